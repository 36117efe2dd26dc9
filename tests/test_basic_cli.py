"""The Basic Profile end to end from the command line (docs/basic-profile.md, "Running it"): outputs
named by de-identified UIDs with nothing of the input's names, burned-in quarantine (lines, count,
CSV, exit code, --allow-burned-in), DICOMDIR skipped, ingest with the key and options, the key
required before any output exists, verify and coverage of `basic`."""

from __future__ import annotations

import csv
import os
import re
import stat
from pathlib import Path

import pydicom
import pytest
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.uid import ExplicitVRLittleEndian, generate_uid

from fastdeid.cli import main
from fastdeid.profile.coverage import coverage
from fastdeid.profile.keys import ENV_VAR, new_key
from fastdeid.verify import verify

CT_IMAGE = "1.2.840.10008.5.1.4.1.1.2"
SECONDARY_CAPTURE = "1.2.840.10008.5.1.4.1.1.7"
DICOMDIR_CLASS = "1.2.840.10008.1.3.10"
# The input's names carry the patient's name and MRN, as PACS exports often do.
PATIENT_FOLDER = "Doe_Jane_MRN40411"
MARKERS = ("Doe", "Jane", "MRN40411", "scan", "CT_HEAD")
UID_NAME = re.compile(r"2\.25\.[1-9]\d*(\.dcm)?")


def _file(path: Path, sop_class: str = CT_IMAGE, **extra: str) -> Path:
    meta = FileMetaDataset()
    meta.MediaStorageSOPClassUID = sop_class
    meta.MediaStorageSOPInstanceUID = generate_uid()
    meta.TransferSyntaxUID = ExplicitVRLittleEndian
    ds = Dataset()
    ds.file_meta = meta
    ds.SOPClassUID = sop_class
    ds.SOPInstanceUID = meta.MediaStorageSOPInstanceUID
    ds.StudyInstanceUID = "1.2.826.0.1.3680043.10.1"
    ds.SeriesInstanceUID = "1.2.826.0.1.3680043.10.2"
    ds.Modality = "CT"
    ds.PatientName = "Doe^Jane"
    ds.PatientID = "MRN40411"
    ds.PatientSex = "F"
    ds.StudyDate = "20240102"
    for keyword, value in extra.items():
        if keyword == "OverlayDescription":  # a repeating-group element: pydicom needs its tag
            ds.add_new(0x60000022, "LO", value)
        else:
            setattr(ds, keyword, value)
    path.parent.mkdir(parents=True, exist_ok=True)
    pydicom.dcmwrite(path, ds, enforce_file_format=True)
    return path


@pytest.fixture
def key(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.delenv(ENV_VAR, raising=False)
    return new_key(tmp_path / "project.key")


def _tree(root: Path) -> Path:
    _file(root / PATIENT_FOLDER / "CT_HEAD" / "scan1.dcm")
    _file(root / PATIENT_FOLDER / "CT_HEAD" / "scan2.dcm")
    return root


def _outputs(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("*") if p.is_file() and not p.name.startswith(".fastdeid"))


def test_basic_names_outputs_by_uid_with_no_input_name_anywhere(tmp_path: Path, key: Path) -> None:
    src, dst = _tree(tmp_path / "src"), tmp_path / "out"
    assert main(["run", str(src), str(dst), "--profile", "basic", "--key-file", str(key), "-q"]) == 0
    outputs = _outputs(dst)
    assert len(outputs) == 2
    for p in outputs:
        parts = p.relative_to(dst).parts
        assert len(parts) == 3 and all(UID_NAME.fullmatch(part) for part in parts), parts
    # both files of the series land in one study and one series folder, named by the new UIDs
    assert len({p.parent for p in outputs}) == 1
    for p in dst.rglob("*"):
        assert not any(m.lower() in p.name.lower() for m in MARKERS), p
    ds = pydicom.dcmread(outputs[0])
    assert outputs[0].parent.parent.name == ds.StudyInstanceUID
    assert outputs[0].parent.name == ds.SeriesInstanceUID
    assert outputs[0].stem in {pydicom.dcmread(p).SOPInstanceUID for p in outputs}


def test_keep_names_keeps_the_input_names_under_basic(tmp_path: Path, key: Path) -> None:
    src, dst = _tree(tmp_path / "src"), tmp_path / "out"
    argv = ["run", str(src), str(dst), "--profile", "basic", "--key-file", str(key), "--keep-names", "-q"]
    assert main(argv) == 0
    assert [p.relative_to(dst).as_posix() for p in _outputs(dst)] == [
        f"{PATIENT_FOLDER}/CT_HEAD/scan1.dcm",
        f"{PATIENT_FOLDER}/CT_HEAD/scan2.dcm",
    ]


def test_flywheel_profiles_keep_mirroring_input_names(tmp_path: Path) -> None:
    src, dst = _tree(tmp_path / "src"), tmp_path / "out"
    assert main(["run", str(src), str(dst), "--profile", "minimal", "-q"]) == 0
    assert (dst / PATIENT_FOLDER / "CT_HEAD" / "scan1.dcm").is_file()


def test_burned_in_files_are_quarantined_listed_counted_and_exit_1(
    tmp_path: Path, key: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    src, dst, report = tmp_path / "src", tmp_path / "out", tmp_path / "quarantine.csv"
    _file(src / "ok.dcm")
    yes = _file(src / "marked.dcm", BurnedInAnnotation="YES")
    sc = _file(src / "screenshot.dcm", SECONDARY_CAPTURE)
    argv = ["run", str(src), str(dst), "--profile", "basic", "--key-file", str(key), "-q"]
    assert main([*argv, "--quarantine-report", str(report)]) == 1
    out, err = capsys.readouterr()
    lines = [line for line in err.splitlines() if line.startswith("quarantined: ")]
    assert sorted(line.split(": ")[1] for line in lines) == sorted([str(yes), str(sc)])
    assert all(": burned-in: " in line for line in lines)
    assert "error:" not in err
    assert "1 ok, 0 failed, 0 skipped, 2 quarantined" in out
    assert len(_outputs(dst)) == 1
    assert stat.S_IMODE(os.stat(report).st_mode) == 0o600
    with report.open(newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    assert sorted(r["path"] for r in rows) == sorted([str(yes), str(sc)])
    assert {r["code"] for r in rows} == {"burned-in"}
    assert all(r["reason"] and "Doe" not in r["reason"] for r in rows)

    # --allow-burned-in: the user has checked them; they are written and the run is clean.
    allowed = tmp_path / "allowed"
    assert main(["run", str(src), str(allowed), "--profile", "basic", "--key-file", str(key), "--allow-burned-in"]) == 0
    out, err = capsys.readouterr()
    assert "quarantined" not in err + out
    assert len(_outputs(allowed)) == 3


def test_the_quarantine_report_stays_out_of_the_output_tree(
    tmp_path: Path, key: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    src, dst = tmp_path / "src", tmp_path / "out"
    _file(src / "ok.dcm")
    argv = ["run", str(src), str(dst), "--profile", "basic", "--key-file", str(key), "-q"]
    assert main([*argv, "--quarantine-report", str(dst / "q.csv")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "quarantine report" in err and "Traceback" not in err
    assert not _outputs(dst)


def test_a_dicomdir_is_skipped_with_its_reason_not_failed(
    tmp_path: Path, key: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    src, dst = tmp_path / "src", tmp_path / "out"
    _file(src / "ok.dcm")
    dicomdir = _file(src / "DICOMDIR", DICOMDIR_CLASS)
    assert main(["run", str(src), str(dst), "--profile", "basic", "--key-file", str(key), "-q"]) == 0
    out, err = capsys.readouterr()
    assert f"skipped: {dicomdir}: DICOMDIR (its records name patients; not copied)" in err.splitlines()
    assert "1 ok, 0 failed, 1 skipped" in out
    assert len(_outputs(dst)) == 1


def test_without_a_key_run_and_ingest_stop_with_one_line_before_any_output(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv(ENV_VAR, raising=False)
    src = _tree(tmp_path / "src")
    assert main(["run", str(src), str(tmp_path / "out"), "--profile", "basic"]) == 2
    assert main(["ingest", "dicom", str(src), "g", "p", "--to", str(tmp_path / "dest"), "--deid-profile", "basic"]) == 2
    err = capsys.readouterr().err
    lines = err.splitlines()
    assert len(lines) == 2 and all(line.startswith("fastdeid: error: ") and "--key-file" in line for line in lines)
    assert not (tmp_path / "out").exists() and not (tmp_path / "dest").exists()


def test_ingest_takes_the_key_options_and_burned_in_flags(
    tmp_path: Path, key: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    src, dest = _tree(tmp_path / "src"), tmp_path / "dest"
    _file(src / PATIENT_FOLDER / "sc.dcm", SECONDARY_CAPTURE)
    argv = ["ingest", "dicom", str(src), "g", "p", "--to", str(dest), "--deid-profile", "basic", "-q"]
    argv += ["--key-file", str(key), "--option", "retain-patient-characteristics"]
    assert main(argv) == 1  # the secondary capture is quarantined
    out, err = capsys.readouterr()
    assert "2 ok, 0 failed, 0 skipped, 1 quarantined" in out
    assert f"quarantined: {src / PATIENT_FOLDER / 'sc.dcm'}: burned-in: " in err
    outputs = _outputs(dest)
    assert len(outputs) == 2
    ds = pydicom.dcmread(outputs[0])
    assert ds.PatientID != "MRN40411" and ds.PatientSex == "F"  # keyed pseudonym; the option kept the sex
    assert "retain-patient-characteristics" in " ".join(ds.DeidentificationMethod)
    subject = outputs[0].relative_to(dest).parts[2]
    assert subject == ds.PatientID
    assert not any(m.lower() in str(p.relative_to(dest)).lower() for p in outputs for m in MARKERS)

    assert main([*argv, "--allow-burned-in"]) == 0
    assert len(_outputs(dest)) == 3


def test_a_project_profile_built_on_basic_takes_the_command_lines_options_and_flags(
    tmp_path: Path, key: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    src, dest = _tree(tmp_path / "src"), tmp_path / "dest"
    _file(src / PATIENT_FOLDER / "sc.dcm", SECONDARY_CAPTURE)
    stored = tmp_path / "project.yaml"
    stored.write_text("name: project\ndicom:\n  base: basic\n", encoding="utf-8")
    assert main(["project", "set-profile", str(dest), "g", "p", str(stored)]) == 0
    # No --deid-profile: the project's own profile applies, with the command line's Basic settings.
    argv = ["ingest", "dicom", str(src), "g", "p", "--to", str(dest), "--de-identify", "-q", "--key-file", str(key)]
    argv += ["--option", "retain-patient-characteristics", "--allow-burned-in"]
    assert main(argv) == 0, capsys.readouterr().err
    outputs = [p for p in _outputs(dest) if p.suffix == ".dcm"]
    assert len(outputs) == 3  # the secondary capture too: --allow-burned-in reached the stored profile
    ds = pydicom.dcmread(outputs[0])
    assert ds.PatientSex == "F" and "retain-patient-characteristics" in " ".join(ds.DeidentificationMethod)


def test_an_sr_document_loses_its_content_and_verifier_and_says_unverified(tmp_path: Path, key: Path) -> None:
    comprehensive_sr = "1.2.840.10008.5.1.4.1.1.88.33"
    item = Dataset()
    item.RelationshipType, item.ValueType, item.TextValue = "CONTAINS", "TEXT", "Jane Doe fell at home"
    observer = Dataset()
    observer.VerifyingObserverName, observer.VerifyingOrganization = "Smith^Ann", "St Elsewhere"
    observer.VerificationDateTime = "20240102120000"
    src = _file(
        tmp_path / "src" / "sr.dcm",
        comprehensive_sr,
        ValueType="CONTAINER",
        CompletionFlag="COMPLETE",
        VerificationFlag="VERIFIED",
    )
    ds = pydicom.dcmread(src)
    ds.ContentSequence, ds.VerifyingObserverSequence = [item], [observer]
    ds.save_as(src, enforce_file_format=True)
    argv = ["run", str(src.parent), str(tmp_path / "out"), "--profile", "basic", "--key-file", str(key)]
    assert main([*argv, "--allow-burned-in", "-q"]) == 0
    (out,) = _outputs(tmp_path / "out")
    result = pydicom.dcmread(out)
    # Both are Type 1C: an empty one would be invalid, an absent one is not once nothing requires it.
    assert "ContentSequence" not in result and "VerifyingObserverSequence" not in result
    assert result.VerificationFlag == "UNVERIFIED"
    assert b"Jane" not in out.read_bytes() and b"Smith" not in out.read_bytes()


def test_a_rerun_under_basic_resumes_from_the_journal_and_redoes_only_changed_inputs(
    tmp_path: Path, key: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    src, dst = _tree(tmp_path / "src"), tmp_path / "out"
    argv = ["run", str(src), str(dst), "--profile", "basic", "--key-file", str(key)]
    assert main(argv) == 0
    first = {p: p.read_bytes() for p in _outputs(dst) if p.suffix == ".dcm"}
    journal = (dst / ".fastdeid-done").read_text(encoding="utf-8")
    assert len(journal.splitlines()) == 2 and not any(m in journal for m in MARKERS), "no input name in it"
    capsys.readouterr()
    # Output names come from the core, not from the input names: found again through the journal.
    assert main(argv) == 0
    assert "2 ok (2 already done)" in capsys.readouterr().out
    scan2 = src / PATIENT_FOLDER / "CT_HEAD" / "scan2.dcm"
    os.utime(scan2, ns=(scan2.stat().st_atime_ns, scan2.stat().st_mtime_ns + 10**9))  # the user touched it
    assert main(argv) == 0
    assert "2 ok (1 already done)" in capsys.readouterr().out
    assert {p: p.read_bytes() for p in _outputs(dst) if p.suffix == ".dcm"} == first
    assert main([*argv, "--force"]) == 0
    assert "already done" not in capsys.readouterr().out
    assert verify(dst, against=src, profile="basic").findings == []


def test_quarantined_files_are_written_by_a_rerun_into_the_same_folder_with_allow_burned_in(
    tmp_path: Path, key: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    src, dst = _tree(tmp_path / "src"), tmp_path / "out"
    _file(src / PATIENT_FOLDER / "sc.dcm", SECONDARY_CAPTURE)
    argv = ["run", str(src), str(dst), "--profile", "basic", "--key-file", str(key)]
    assert main(argv) == 1  # the secondary capture is quarantined
    capsys.readouterr()
    # The user checked it: the same folder, the same job, only the quarantined file is new.
    assert main([*argv, "--allow-burned-in"]) == 0
    assert "3 ok (2 already done)" in capsys.readouterr().out
    assert len([p for p in _outputs(dst) if p.suffix == ".dcm"]) == 3


def test_verify_honours_the_options_a_basic_output_was_made_with(tmp_path: Path, key: Path) -> None:
    src, dst = _tree(tmp_path / "src"), tmp_path / "out"
    option = "retain-patient-characteristics"
    assert main(["run", str(src), str(dst), "--profile", "basic", "--key-file", str(key), "--option", option]) == 0
    clean = verify(dst, against=src, profile="basic", options=(option,))
    assert clean.findings == [], [f.line() for f in clean.findings]
    # Without the option, the kept PatientSex is what the Basic Profile would have emptied.
    strict = verify(dst, against=src, profile="basic")
    assert {(f.tag, f.kind) for f in strict.findings} >= {("(0010,0040)", "holds-input-value")}


def test_coverage_of_basic_lists_only_what_no_table_row_names(tmp_path: Path) -> None:
    sample = tmp_path / "sample"
    _file(sample / "a.dcm", Manufacturer="ACME", OverlayDescription="x")
    listed = {u.keyword for u in coverage("basic", sample).elements.values()}
    # Modality and Manufacturer have no row; names, IDs, sex, UIDs and dates have rows; the
    # overlay text is an addition.
    assert {"Modality", "Manufacturer"} <= listed
    assert not listed & {"PatientName", "PatientID", "PatientSex", "StudyInstanceUID", "StudyDate"}
    assert "OverlayDescription" not in listed
    # A Flywheel profile that does not name PatientSex leaves it: the listing differs by profile.
    assert "PatientSex" in {u.keyword for u in coverage("minimal", sample).elements.values()}
