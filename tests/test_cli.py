"""The `fastdeid` command line: run, dump, demo, profile; exit codes and error lines."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pydicom
import pytest

from conftest import PYDICOM_FILES


def fastdeid(*args: str | Path, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "fastdeid.cli", *map(str, args)], capture_output=True, text=True, cwd=cwd, check=False
    )


@pytest.fixture
def mixed_tree(tmp_path: Path) -> Path:
    src = tmp_path / "src"
    (src / "a" / "b").mkdir(parents=True)
    shutil.copy(PYDICOM_FILES / "CT_small.dcm", src / "a" / "ct.dcm")
    shutil.copy(PYDICOM_FILES / "MR_small_implicit.dcm", src / "a" / "b" / "mr.dcm")
    shutil.copy(PYDICOM_FILES / "MR_truncated.dcm", src / "a" / "truncated.dcm")
    (src / "notes.dcm").write_text("this is not DICOM\n")
    (src / "empty.dcm").write_bytes(b"")
    return src


def test_run_reports_each_bad_file_and_processes_the_rest(mixed_tree: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    result = fastdeid("run", mixed_tree, out, "--de-identify", "--jobs", "2")
    assert result.returncode == 1
    errors = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 3
    assert any("truncated.dcm: length-past-end" in e and "(7FE0,0010)" in e and "byte 1488" in e for e in errors)
    assert any("notes.dcm: not-dicom" in e for e in errors)
    assert any("empty.dcm: not-dicom: file is empty" in e for e in errors)
    assert "2 ok, 3 failed, 0 skipped" in result.stdout
    assert sorted(p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file()) == [
        ".fastdeid-run.json",
        "a/b/mr.dcm",
        "a/ct.dcm",
    ]
    ct = pydicom.dcmread(out / "a" / "ct.dcm")
    assert "PatientName" not in ct and "PatientID" not in ct and "PatientBirthDate" not in ct
    # No patient value appears in any message.
    assert "CompressedSamples" not in result.stderr


def test_run_exit_zero_and_identity_with_none(tmp_path: Path) -> None:
    src = PYDICOM_FILES / "MR_small.dcm"
    result = fastdeid("run", src, tmp_path / "copy.dcm", "--profile", "none")
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "copy.dcm").read_bytes() == src.read_bytes()


def test_profile_errors_and_usage_errors_exit_two(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("dicom:\n  fields:\n    - name: PatientNmae\n      remove: true\n")
    result = fastdeid("run", PYDICOM_FILES / "CT_small.dcm", tmp_path / "o.dcm", "--profile", bad)
    assert result.returncode == 2
    assert f"{bad}:3:13: Not in DICOM keyword list: PatientNmae; did you mean 'PatientName'?" in result.stderr
    assert not (tmp_path / "o.dcm").exists()

    src = tmp_path / "tree"
    src.mkdir()
    result = fastdeid("run", src, src / "out", "--de-identify")
    assert result.returncode == 2
    assert "inside the source tree" in result.stderr


def test_dump_shows_tags_keywords_values_and_nesting(tmp_path: Path) -> None:
    result = fastdeid("dump", PYDICOM_FILES / "rtplan.dcm")
    assert result.returncode == 0
    lines = result.stdout.splitlines()
    assert "(0010,0010) PN PatientName" in result.stdout
    assert any(line.startswith("(300A,0010) SQ DoseReferenceSequence") and "item(s)" in line for line in lines)
    assert any(line.startswith("  Item #0") for line in lines)
    assert any(line.startswith("    (300A,0012) IS DoseReferenceNumber") for line in lines)
    pixel = fastdeid("dump", PYDICOM_FILES / "MR_small.dcm").stdout
    assert "(7FE0,0010) OW PixelData" in pixel and "<binary, 8192 bytes>" in pixel
    rows = next(line for line in pixel.splitlines() if line.startswith("(0028,0010)"))
    assert rows.split() == ["(0028,0010)", "US", "Rows", "64"]
    big_endian = fastdeid("dump", PYDICOM_FILES / "MR_small_bigendian.dcm").stdout
    assert any(line.split() == ["(0028,0010)", "US", "Rows", "64"] for line in big_endian.splitlines())

    bad = fastdeid("dump", PYDICOM_FILES / "MR_truncated.dcm")
    assert bad.returncode == 1 and "MR_truncated.dcm" in bad.stderr and "length-past-end" in bad.stderr


def test_demo_runs_end_to_end(tmp_path: Path) -> None:
    result = fastdeid("demo", tmp_path)
    assert result.returncode == 0, result.stderr
    assert "12 ok, 0 failed" in result.stdout
    out_files = list((tmp_path / "deidentified").rglob("*.dcm"))
    assert len(out_files) == 12
    for path in out_files:
        ds = pydicom.dcmread(path)
        assert "PatientName" not in ds and "PatientID" not in ds


def test_profile_list_and_validate(tmp_path: Path) -> None:
    listed = fastdeid("profile", "list")
    assert "minimal" in listed.stdout and "none" in listed.stdout
    good = tmp_path / "p.yaml"
    good.write_text("name: mine\ndicom:\n  fields:\n    - name: PatientName\n      replace-with: ANON\n")
    ok = fastdeid("profile", "validate", good)
    assert ok.returncode == 0 and "valid profile 'mine' with 1 field rule(s)" in ok.stdout


def test_enhanced_validation_applies_the_profile_in_memory_and_names_the_files_it_fails_on(tmp_path: Path) -> None:
    # The reference's validate(enhanced=True) writes into pydicom's folder (E27); here nothing is
    # written, unreadable files are only counted, and a file the profile fails on is named.
    samples = tmp_path / "samples"
    samples.mkdir()
    shutil.copy(PYDICOM_FILES / "CT_small.dcm", samples)  # PatientID 1CT1
    shutil.copy(PYDICOM_FILES / "MR_small.dcm", samples)  # PatientID 4MR1: no input-regex matches
    (samples / "notes.txt").write_text("not DICOM")
    before = sorted(p.name for p in samples.iterdir())
    profile = tmp_path / "p.yaml"
    profile.write_text(
        "dicom:\n  fields:\n    - name: PatientID\n      regex-sub:\n        - input-regex: '[0-9]CT'\n          output: 'N'\n"
    )
    result = fastdeid("profile", "validate", profile, "--enhanced", samples)
    assert result.returncode == 1
    assert "applied to 1 file(s)" in result.stdout and "failed on 1; 1 not readable DICOM" in result.stdout
    failing = [line for line in result.stderr.splitlines() if line.startswith("fails on")]
    assert len(failing) == 1 and "bad-value" in failing[0]
    assert sorted(p.name for p in samples.iterdir()) == before


@pytest.mark.parametrize(
    ("argv", "where"),
    [
        (["run", "a", "b", "--jobs", "abc"], "fastdeid run: error: argument --jobs"),
        (["run", "a", "b", "--bogus"], "fastdeid run: error: unrecognized arguments: --bogus"),
        (["deid", "test", "a"], "fastdeid deid test: error: the following arguments are required"),
        (["verify", "x", "--jobs", "y"], "fastdeid verify: error: argument --jobs"),
        (["bench", "--rounds", "0"], "fastdeid bench: error: argument --rounds"),
        (["bench", "--profile", "nosuch"], "fastdeid: error: nosuch: no such profile file"),
    ],
)
def test_argument_errors_are_one_line_naming_the_command(
    argv: list[str], where: str, capsys: pytest.CaptureFixture[str]
) -> None:
    from fastdeid.cli import main

    try:
        code = main(argv)
    except SystemExit as exc:
        code = int(exc.code or 0)
    err = capsys.readouterr().err
    assert code == 2 and len(err.splitlines()) == 1, err
    assert err.startswith(where) and ("--help" in err or "built-in" in err)
