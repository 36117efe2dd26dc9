"""`ingest dicom` and `ingest template` into a local destination (docs/profiles.md#ingest-profiles, #ingest-labels, #ingest-template, #subject-map): layout, labels
from de-identified values, filters, template matching, profiles from the config file, collisions,
subject maps, mapping files and dry runs."""

from __future__ import annotations

import csv
import stat
import subprocess
import sys
from pathlib import Path

import pydicom
import pytest

from fastdeid.synth import make_dataset


def cli(*args: str | Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "fastdeid.cli", *map(str, args)], capture_output=True, text=True, check=False
    )


def _write(path: Path, series_number: bool = True, **kw: object) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    ds = make_dataset(**kw)  # type: ignore[arg-type]
    ds.SeriesDescription = "anat-T1w_acq-mpr08_run-01"
    if not series_number:
        del ds.SeriesNumber
    ds.save_as(path, enforce_file_format=True)


@pytest.fixture
def t1_tree(tmp_path: Path) -> Path:
    """A generated copy of the seed's just_t1_dummy_ids layout: subject/session/acquisition folders
    of DICOM files whose series have a description and no number, so that `ingest dicom` and
    `ingest template` both land in .../deid02/inc01/anat-T1w_acq-mpr08_run-01/."""
    root = tmp_path / "just_t1_dummy_ids"
    for i in range(3):
        _write(
            root / "deid02" / "inc01" / "anat-T1w_acq-mpr08_run-01" / f"IM{i:04d}.dcm",
            series_number=False,
            patient=2,
            instance=i,
        )
    (root / "deid02" / "inc01" / "anat-T1w_acq-mpr08_run-01" / "notes.txt").write_text("not dicom")
    return root


CONFIG = """
template:
  - pattern: "{subject}"
  - pattern: "{session}"
  - pattern: "{acquisition}"
    packfile_type: dicom
exclude:
  - "*.txt"
deid-profiles:
  - name: Anschutz
    dicom:
      date-increment: -17
      fields:
        - name: PatientName
          replace-with: ANON
        - name: PatientID
          remove: true
        - name: PatientBirthDate
          remove: true
        - name: StudyDate
          increment-date: true
"""


def _files(dest: Path) -> list[str]:
    return sorted(p.relative_to(dest).as_posix() for p in dest.rglob("*") if p.is_file())


def test_ingest_dicom_with_labels_given_and_minimal_profile(t1_tree: Path, tmp_path: Path) -> None:
    dest = tmp_path / "dest"
    result = cli(
        "ingest",
        "dicom",
        t1_tree,
        "ics",
        "deid",
        "--to",
        dest,
        "--de-identify",
        "--subject",
        "deid01",
        "--session",
        "inc01",
    )
    assert result.returncode == 0, result.stderr
    files = _files(dest)
    assert len(files) == 3
    acquisition = "ics/deid/deid01/inc01/anat-T1w_acq-mpr08_run-01"
    for f in files:
        assert f.startswith(acquisition + "/") and f.endswith(".MR.dcm")
        ds = pydicom.dcmread(dest / f)
        assert "PatientName" not in ds and "PatientID" not in ds and "PatientBirthDate" not in ds
        assert f == f"{acquisition}/{ds.SOPInstanceUID}.MR.dcm"


def test_ingest_dicom_labels_come_from_deidentified_values(tmp_path: Path) -> None:
    src = tmp_path / "src"
    _write(src / "a.dcm", patient=1)
    profile_config = tmp_path / "c.yaml"
    profile_config.write_text(
        "deid-profiles:\n  - name: shift\n    dicom:\n      date-increment: -17\n      fields:\n"
        "        - name: PatientID\n          replace-with: SUBJ-9\n        - name: StudyDate\n          increment-date: true\n"
    )
    dest = tmp_path / "dest"
    assert (
        cli("ingest", "dicom", src, "g", "p", "--to", dest, "-C", profile_config, "--deid-profile", "shift").returncode
        == 0
    )
    (path,) = _files(dest)
    original = make_dataset(patient=1)
    shifted = pydicom.dcmread(dest / path).StudyDate
    assert shifted != original.StudyDate
    session = f"{shifted[:4]}-{shifted[4:6]}-{shifted[6:]} 10:15:30"
    assert path.startswith(f"g/p/SUBJ-9/{session}/1 - anat-T1w_acq-mpr08_run-01/")


def test_removed_patient_id_needs_a_subject_label(tmp_path: Path) -> None:
    src = tmp_path / "src"
    _write(src / "a.dcm")
    result = cli("ingest", "dicom", src, "g", "p", "--to", tmp_path / "dest", "--de-identify")
    assert result.returncode == 1
    assert "cannot determine the subject label (the profile removes PatientID: give --subject)" in result.stderr
    assert _files(tmp_path / "dest") == []


def test_kept_patient_id_as_folder_name_is_warned_about(tmp_path: Path) -> None:
    src = tmp_path / "src"
    _write(src / "a.dcm")
    result = cli("ingest", "dicom", src, "g", "p", "--to", tmp_path / "dest", "--deid-profile", "none")
    assert "the profile keeps PatientID" in result.stderr
    assert _files(tmp_path / "dest")[0].startswith("g/p/PID000000/")


def test_ingest_template_with_config_profile(t1_tree: Path, tmp_path: Path) -> None:
    config = tmp_path / "config.yaml"
    config.write_text(CONFIG)
    dest = tmp_path / "dest"
    result = cli(
        "ingest",
        "template",
        "-C",
        config,
        t1_tree,
        "--group",
        "ics",
        "--project",
        "deid",
        "--de-identify",
        "--deid-profile",
        "Anschutz",
        "--to",
        dest,
    )
    assert result.returncode == 0, result.stderr
    files = _files(dest)
    assert len(files) == 3 and all(f.startswith("ics/deid/deid02/inc01/anat-T1w_acq-mpr08_run-01/") for f in files)
    ds = pydicom.dcmread(dest / files[0])
    assert ds.PatientName == "ANON" and "PatientID" not in ds


def test_same_profile_through_ingest_dicom_and_config(t1_tree: Path, tmp_path: Path) -> None:
    config = tmp_path / "config.yaml"
    config.write_text(CONFIG)
    dest = tmp_path / "dest"
    args = (
        "ingest",
        "dicom",
        "--config-file",
        config,
        "--de-identify",
        "--deid-profile",
        "Anschutz",
        "--subject",
        "deid02",
        "--session",
        "inc01",
    )
    assert cli(*args, t1_tree, "ics", "deid", "--to", dest).returncode == 0
    files = _files(dest)
    assert len(files) == 3 and all(f.startswith("ics/deid/deid02/inc01/anat-T1w_acq-mpr08_run-01/") for f in files)
    ds = pydicom.dcmread(dest / files[0])
    assert ds.PatientName == "ANON" and "PatientID" not in ds and "PatientBirthDate" not in ds
    bad = cli("ingest", "dicom", t1_tree, "ics", "deid", "--to", dest, "-C", config, "--deid-profile", "Nope")
    assert bad.returncode == 2 and "Unknown deid profile 'Nope'" in bad.stderr


def test_two_inputs_with_one_sop_instance_uid_are_reported_not_overwritten(tmp_path: Path) -> None:
    src = tmp_path / "src"
    _write(src / "a.dcm")
    _write(src / "b.dcm")  # same generated SOPInstanceUID
    result = cli("ingest", "dicom", src, "g", "p", "--to", tmp_path / "dest", "--subject", "s", "--de-identify")
    assert result.returncode == 1
    assert "b.dcm: duplicate-output: would overwrite the output of a.dcm" in result.stderr
    assert len(_files(tmp_path / "dest")) == 1


def test_filters_and_include_dirs_alternatives(tmp_path: Path) -> None:
    src = tmp_path / "src"
    for folder in ("subjA", "subjB", "other"):
        _write(src / folder / "x.dcm", patient=ord(folder[-1]))
        _write(src / folder / "skip" / "y.dcm", patient=ord(folder[-1]), instance=1)
    dest = tmp_path / "dest"
    args = [
        "ingest",
        "dicom",
        src,
        "g",
        "p",
        "--to",
        dest,
        "--deid-profile",
        "none",
        "--include-dirs",
        "subjA",
        "--include-dirs",
        "subjB",
        "--exclude-dirs",
        "skip",
    ]
    result = cli(*args)
    assert result.returncode == 0, result.stderr
    # Both include-dirs patterns are honoured (the reference AND-s them and takes nothing, E31).
    assert len(_files(dest)) == 2
    assert (
        cli(
            "ingest", "dicom", src, "g", "p", "--to", tmp_path / "d2", "--deid-profile", "none", "--exclude", "x.*"
        ).returncode
        == 0
    )
    assert len(_files(tmp_path / "d2")) == 3  # only the y.dcm files


def test_subject_maps_and_mapping_files(tmp_path: Path) -> None:
    src = tmp_path / "src"
    for p in range(3):
        _write(src / f"{p}.dcm", patient=p)
    subjects_in = tmp_path / "subjects.csv"
    subjects_in.write_text("ex{SubjectCode:04d},PatientName\nex0042,Doe^Jane\n")
    subjects_out, maps = tmp_path / "subjects_out.csv", tmp_path / "maps"
    result = cli(
        "ingest",
        "dicom",
        src,
        "g",
        "p",
        "--to",
        tmp_path / "dest",
        "--de-identify",
        "--load-subjects",
        subjects_in,
        "--save-subjects",
        subjects_out,
        "--save-mappings",
        maps,
    )
    assert result.returncode == 0, result.stderr
    # The summary names every file written beside the outputs.
    assert f"mappings: {maps}" in result.stdout and f"subject map: {subjects_out}" in result.stdout
    subjects = sorted({f.split("/")[2] for f in _files(tmp_path / "dest")})
    assert subjects == ["ex0002", "ex0003", "ex0042"]  # Doe^Jane (patient 0) keeps her code
    rows = list(csv.reader(subjects_out.open()))
    assert rows[0] == ["ex{SubjectCode:04d}", "PatientName"] and ["ex0042", "doe^jane"] in rows
    for name in (
        "uid_mapping.csv",
        "patid_mapping.csv",
    ):
        assert stat.S_IMODE((maps / name).stat().st_mode) == 0o600
    patids = list(csv.reader((maps / "patid_mapping.csv").open()))
    assert patids[0] == ["id_old", "id_new"] and ["PID000000", ""] in patids
    uids = list(csv.reader((maps / "uid_mapping.csv").open()))
    assert uids[0] == ["id_old", "id_new"] and len(uids) > 3


def test_dry_run_writes_nothing(t1_tree: Path, tmp_path: Path) -> None:
    dest = tmp_path / "dest"
    result = cli(
        "ingest", "dicom", t1_tree, "ics", "deid", "--to", dest, "--de-identify", "--subject", "s1", "--dry-run"
    )
    assert result.returncode == 0, result.stderr
    assert "dry run: 3 file(s) would be written" in result.stdout
    assert "ics/deid/s1/" in result.stdout
    assert not dest.exists() or _files(dest) == []


def test_deid_logs_of_an_ingest(t1_tree: Path, tmp_path: Path) -> None:
    logs = tmp_path / "logs"
    logs.mkdir()
    assert (
        cli(
            "ingest",
            "dicom",
            t1_tree,
            "ics",
            "deid",
            "--to",
            tmp_path / "dest",
            "--de-identify",
            "--subject",
            "s",
            "--save-deid-logs",
            logs,
        ).returncode
        == 0
    )
    (log,) = list(logs.iterdir())
    rows = list(csv.reader(log.open(newline="")))
    assert rows[0][:2] == ["src_path", "type"] and len(rows) == 7
    assert rows[1][rows[0].index("PatientID")] == "PID000002" and rows[2][rows[0].index("PatientID")] == ""


def test_filenames_templates_name_the_outputs(tmp_path: Path) -> None:
    # docs/profiles.md#filenames: sub_20200310_abc.dcm -> NEWPID_20200309_5.dcm
    src = tmp_path / "src"
    src.mkdir()
    ds = make_dataset()
    ds.SeriesNumber = 5
    ds.save_as(src / "sub_20200310_abc.dcm", enforce_file_format=True)
    make_dataset(instance=1).save_as(src / "other.dcm", enforce_file_format=True)
    config = tmp_path / "c.yaml"
    config.write_text(
        "deid-profiles:\n  - name: named\n    dicom:\n      date-increment: -1\n      filenames:\n"
        "        - output: '{PatientID}_{sdate}_{SeriesNumber}.dcm'\n          input-regex: '^sub_(?P<sdate>\\d{8})_.*$'\n"
        "          groups:\n            - name: sdate\n              increment-date: true\n"
        "      fields:\n        - name: PatientID\n          replace-with: NEWPID\n"
    )
    dest = tmp_path / "dest"
    logs = tmp_path / "logs"
    logs.mkdir()
    result = cli(
        "ingest",
        "dicom",
        src,
        "g",
        "p",
        "--to",
        dest,
        "-C",
        config,
        "--deid-profile",
        "named",
        "--subject",
        "s",
        "--session",
        "x",
        "--save-deid-logs",
        logs,
    )
    assert result.returncode == 0, result.stderr
    assert [Path(f).name for f in _files(dest)] == ["NEWPID_20200309_5.dcm"]
    assert "other.dcm: no filenames input-regex matches the file name" in result.stderr
    # "The log gained the columns _fwmtk_filename0_sdate and SeriesNumber": the captured
    # text in both rows, as the reference logs it.
    (log,) = list(logs.iterdir())
    header, *rows = list(csv.reader(log.open(newline="")))
    assert header[-3:] == ["PatientID", "_fwmtk_filename0_sdate", "SeriesNumber"]
    by_file = {(r[0], r[1]): r[-2:] for r in rows}
    assert (
        by_file[("sub_20200310_abc.dcm", "before")] == by_file[("sub_20200310_abc.dcm", "after")] == ["20200310", "5"]
    )
    assert not any(name == "other.dcm" for name, _ in by_file)  # skipped before de-identification
    import fastdeid

    bad = tmp_path / "bad.yaml"
    bad.write_text("dicom:\n  filenames:\n    - output: '{date}.dcm'\n      input-regex: '(?P<date>.*)'\n")
    with pytest.raises(fastdeid.ProfileError, match="colliding with Dicom keywords"):
        fastdeid.load_profile(bad)
    good = tmp_path / "good.yaml"
    good.write_text(
        "dicom:\n  filenames:\n    - output: '{SeriesNumber}_{x}.dcm'\n      input-regex: '(?P<x>.*)'\n  fields: []\n"
    )
    assert "SeriesNumber" in fastdeid.load_profile(good).log_columns()  # implicit keep rule
