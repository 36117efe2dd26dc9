"""The user's workflow: `deid create`, `deid test` with its before/after CSV, and the profile's
deid log honoured by `run` (docs/profiles.md#deid-log, #cli-deid-test, #starter)."""

from __future__ import annotations

import csv
import os
import shutil
import stat
import subprocess
import sys
from pathlib import Path

import pydicom
import pytest

import fastdeid
from conftest import PYDICOM_FILES


def fastdeid_cli(
    *args: str | Path, cwd: Path | None = None, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "fastdeid.cli", *map(str, args)],
        capture_output=True,
        text=True,
        cwd=cwd,
        env=env,
        check=False,
    )


@pytest.fixture
def acquisition(tmp_path: Path) -> Path:
    src = tmp_path / "sample" / "T1"
    src.mkdir(parents=True)
    for name in ("CT_small.dcm", "MR_small.dcm", "waveform_ecg.dcm"):
        shutil.copy(PYDICOM_FILES / name, src / name)
    shutil.copy(PYDICOM_FILES / "CT_small.dcm", src / "ignored.DCM")  # fw deid test patterns are case-sensitive
    (src / ".hidden.dcm").write_bytes(b"")
    return tmp_path / "sample"


def test_deid_create_writes_a_valid_commented_profile(tmp_path: Path) -> None:
    path = tmp_path / "deid_profile.yaml"
    assert fastdeid_cli("deid", "create", path).returncode == 0
    assert path.read_text().startswith("#")
    profile = fastdeid.load_profile(path)
    assert profile.name == "custom" and len(profile.rules) > 10
    assert fastdeid_cli("deid", "create", path).returncode == 2  # never overwrites


def test_deid_test_writes_files_and_a_before_after_log(acquisition: Path, tmp_path: Path) -> None:
    profile = Path(__file__).parent / "profiles" / "01_seed.yaml"
    out = tmp_path / "deid_test_dir"  # created if missing
    result = fastdeid_cli("deid", "test", acquisition, profile, out)
    assert result.returncode == 0, result.stderr
    log = out / "deid_log.csv"
    assert stat.S_IMODE(log.stat().st_mode) == 0o600
    with log.open(newline="") as f:
        rows = list(csv.reader(f))
    header = rows[0]
    assert header[:5] == ["src_path", "type", "StudyInstanceUID", "SeriesInstanceUID", "SOPInstanceUID"]
    assert header[5:] == ["PatientID", "StationName", "StudyDate", "AccessionNumber", "ConcatenationUID"]
    assert [(r[0], r[1]) for r in rows[1:]] == [
        (f"T1/{n}", t) for n in ("CT_small.dcm", "MR_small.dcm", "waveform_ecg.dcm") for t in ("before", "after")
    ]
    ecg_before, ecg_after = rows[5], rows[6]
    col = header.index
    assert (ecg_before[col("PatientID")], ecg_before[col("StationName")], ecg_before[col("AccessionNumber")]) == (
        "642341",
        "1,0",
        "03028041970546",
    )
    assert (ecg_after[col("PatientID")], ecg_after[col("StationName")], ecg_after[col("AccessionNumber")]) == (
        "",
        "XXXX",
        "e9d5432fd34f4af9",
    )
    assert ecg_after[col("StudyDate")] == "20130108"
    written = pydicom.dcmread(out / "T1" / "waveform_ecg.dcm")
    assert "PatientID" not in written and written.StationName == "XXXX"
    assert not (out / "T1" / "ignored.DCM").exists()


def test_deid_test_log_only_keeps_no_files(acquisition: Path, tmp_path: Path) -> None:
    out = tmp_path / "o"
    assert fastdeid_cli("deid", "test", acquisition, "minimal", out, "--log-only").returncode == 0
    assert sorted(p.name for p in out.rglob("*")) == ["deid_log.csv"]


def test_profile_deid_log_is_honoured_by_run_with_home_expanded(tmp_path: Path) -> None:
    home = tmp_path / "home"
    home.mkdir()
    profile = tmp_path / "p.yaml"
    profile.write_text(
        "deid-log: ~/logs/deid_log.csv\ndicom:\n  fields:\n    - name: PatientName\n      replace-with: X\n"
    )
    env = {**os.environ, "HOME": str(home)}
    result = fastdeid_cli("run", PYDICOM_FILES / "CT_small.dcm", tmp_path / "out.dcm", "--profile", profile, env=env)
    assert result.returncode == 0, result.stderr
    log = home / "logs" / "deid_log.csv"
    rows = list(csv.reader(log.open(newline="")))
    assert rows[0][0] == "src_path" and rows[1][:2] == ["CT_small.dcm", "before"] and rows[2][-1] == "X"
    assert log.read_bytes().count(b"\r\n") == 3  # the toolkit flavour ends rows with CRLF
    assert stat.S_IMODE(log.stat().st_mode) == 0o600


def test_bare_log_name_works_and_values_with_commas_quotes_and_newlines_are_escaped(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from io import BytesIO

    from fastdeid.synth import make_dataset

    ds = make_dataset()
    ds.PatientComments = 'said "hello",\nthen left'
    src = tmp_path / "src"
    src.mkdir()
    buf = BytesIO()
    ds.save_as(buf, enforce_file_format=True)
    (src / "a.dcm").write_bytes(buf.getvalue())
    profile = tmp_path / "p.yaml"
    profile.write_text("dicom:\n  fields:\n    - name: PatientComments\n      remove: true\n")
    monkeypatch.chdir(tmp_path)
    fastdeid.run(src, tmp_path / "out", profile, deid_log="log.csv")  # a bare file name (the reference crashes, E26)
    rows = list(csv.reader((tmp_path / "log.csv").open(newline="")))
    assert rows[1][-1] == 'said "hello",\nthen left' and rows[2][-1] == ""


def test_log_is_refused_inside_the_output_tree_and_with_another_header(tmp_path: Path) -> None:
    with pytest.raises(fastdeid.UsageError, match="may not be written inside the output folder"):
        fastdeid.run(PYDICOM_FILES / "CT_small.dcm", tmp_path / "out", "minimal", deid_log=tmp_path / "out" / "log.csv")
    log = tmp_path / "log.csv"
    fastdeid.run(PYDICOM_FILES / "CT_small.dcm", tmp_path / "a.dcm", "minimal", deid_log=log)
    fastdeid.run(PYDICOM_FILES / "MR_small.dcm", tmp_path / "b.dcm", "minimal", deid_log=log)  # same columns: appended
    assert len(list(csv.reader(log.open(newline="")))) == 5
    with pytest.raises(fastdeid.UsageError, match="existing deid log with other columns"):
        fastdeid.run(
            PYDICOM_FILES / "CT_small.dcm",
            tmp_path / "c.dcm",
            Path(__file__).parent / "profiles" / "01_seed.yaml",
            deid_log=log,
        )


def test_run_names_outputs_with_filenames_templates(tmp_path: Path) -> None:
    # docs/profiles.md#filenames: the first template whose input-regex matches the input name names the output
    # (de-identified values, group rules applied); a name no template matches is skipped, and two
    # outputs that would share a name are reported, never overwritten. Input names often carry
    # identifiers, so with templates they never reach the output tree.
    from fastdeid.synth import make_dataset

    src = tmp_path / "src" / "sub"
    src.mkdir(parents=True)
    for n, name in enumerate(["DOE_JOHN_20200310.dcm", "DOE_JOHN_20200311.dcm", "ROE_JANE_20200310.dcm", "notes.dcm"]):
        ds = make_dataset(instance=n)
        ds.SeriesNumber = 5 if n < 3 else 6
        ds.save_as(src / name, enforce_file_format=True)
    profile = tmp_path / "p.yaml"
    profile.write_text(
        "dicom:\n  date-increment: -1\n  fields:\n    - name: PatientID\n      replace-with: NEWPID\n"
        "  filenames:\n    - output: '{PatientID}_{sdate}_{SeriesNumber}.dcm'\n"
        "      input-regex: '^[A-Z]+_[A-Z]+_(?P<sdate>\\d{8})\\.dcm$'\n"
        "      groups:\n        - name: sdate\n          increment-date: true\n"
    )
    report = fastdeid.run(tmp_path / "src", tmp_path / "out", profile)
    names = sorted(p.name for p in (tmp_path / "out" / "sub").iterdir())
    assert names == ["NEWPID_20200309_5.dcm", "NEWPID_20200310_5.dcm"]
    assert report.ok == 2 and report.skipped == 1 and report.failed == 1
    assert report.failures[0].code == "duplicate-output"
    assert report.skips[0][0].endswith("notes.dcm")
    kept = pydicom.dcmread(tmp_path / "out" / "sub" / "NEWPID_20200309_5.dcm")
    assert kept.PatientID == "NEWPID" and kept.SOPInstanceUID == make_dataset(instance=0).SOPInstanceUID


def test_run_can_name_outputs_by_their_deidentified_uid(tmp_path: Path) -> None:
    # Input names often carry identifiers; --name-by-uid names each output from the de-identified
    # SOPInstanceUID and Modality (as ingest does), inside the mirrored folder.
    from fastdeid.synth import make_dataset

    src = tmp_path / "src" / "DOE_JOHN"
    src.mkdir(parents=True)
    for n in range(2):
        make_dataset(instance=n).save_as(src / f"DOE_JOHN_{n}.dcm", enforce_file_format=True)
    profile = tmp_path / "p.yaml"
    profile.write_text("dicom:\n  fields:\n    - name: SOPInstanceUID\n      hashuid: true\n")
    result = fastdeid_cli("run", tmp_path / "src", tmp_path / "out", "--profile", profile, "--name-by-uid", "--quiet")
    assert result.returncode == 0, result.stderr
    written = sorted((tmp_path / "out" / "DOE_JOHN").iterdir())
    assert len(written) == 2
    for path in written:
        ds = pydicom.dcmread(path)
        assert path.name == f"{ds.SOPInstanceUID}.MR.dcm"
        assert ds.SOPInstanceUID not in {make_dataset(instance=n).SOPInstanceUID for n in range(2)}
    assert not any("JOHN" in p.name for p in written)
