"""What a new user hit on real trees (issue 10): no silent copies, a log that matches the outputs,
resumable and refusing runs, one-line errors instead of tracebacks, and the files real trees hold."""

from __future__ import annotations

import csv
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pydicom
import pytest

import fastdeid
from conftest import PYDICOM_FILES
from fastdeid.jobs.resume import MANIFEST

CT = PYDICOM_FILES / "CT_small.dcm"
MR = PYDICOM_FILES / "MR_small.dcm"


def cli(*args: str | Path, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "fastdeid", *map(str, args)], capture_output=True, text=True, cwd=cwd, check=False
    )


def one_line_error(result: subprocess.CompletedProcess[str], code: int = 2) -> str:
    assert result.returncode == code, (result.returncode, result.stderr)
    assert "Traceback" not in result.stderr
    lines = [line for line in result.stderr.splitlines() if line.startswith("fastdeid: error:")]
    assert len(lines) == 1, result.stderr
    return lines[0]


def refuse_to_list(folder: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Listing `folder` fails as an unreadable folder does (root reads every folder, so tests run as
    root meet the error this way)."""
    real = os.scandir

    def scandir(path):  # type: ignore[no-untyped-def]
        if str(path) == str(folder):
            raise PermissionError(13, "Permission denied", str(path))
        return real(path)

    monkeypatch.setattr(os, "scandir", scandir)


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    src = tmp_path / "src"
    (src / "a").mkdir(parents=True)
    shutil.copy(CT, src / "a" / "ct.dcm")
    shutil.copy(MR, src / "mr.dcm")
    return src


# 1. No silent copies.
def test_run_without_a_profile_is_refused_and_none_warns(tree: Path, tmp_path: Path) -> None:
    line = one_line_error(cli("run", tree, tmp_path / "out"))
    assert "--profile" in line and "minimal" in line and "none" in line
    assert not (tmp_path / "out").exists()
    copied = cli("run", tree, tmp_path / "copy", "--profile", "none")
    assert copied.returncode == 0 and "without de-identification" in copied.stderr


# 4. The manifest: atomic, no paths, damaged one in an empty folder ignored, refused runs leave none.
def test_manifest_holds_no_path_and_a_torn_one_does_not_block_a_rerun(tree: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    assert cli("run", tree, out, "--profile", "minimal").returncode == 0
    text = (out / MANIFEST).read_text()
    assert str(tree) not in text and "src" not in json.loads(text)["source"]
    for torn in ("", '{"source": "1:'):
        fresh = tmp_path / f"fresh{len(torn)}"
        fresh.mkdir()
        (fresh / MANIFEST).write_text(torn)
        result = cli("run", tree, fresh, "--profile", "minimal")
        assert result.returncode == 0, result.stderr
        assert (fresh / "a" / "ct.dcm").exists()


def test_a_refused_run_leaves_no_manifest_and_deid_test_does_not_create_dst(tree: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    one_line_error(cli("run", tree, out, "--profile", "minimal", "--deid-log", out / "log.csv"))
    assert not out.exists()
    inside = tree / "test-out"
    one_line_error(cli("deid", "test", tree, "minimal", inside))
    assert not inside.exists()


# 5. Changed inputs are redone; --force redoes everything.
def test_a_changed_input_is_redone_and_force_redoes_all(tree: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    assert cli("run", tree, out, "--profile", "none").returncode == 0
    shutil.copy(PYDICOM_FILES / "MR_small_implicit.dcm", tree / "mr.dcm")  # the user fixed an input
    rerun = cli("run", tree, out, "--profile", "none")
    assert rerun.returncode == 0 and "1 already done" in rerun.stdout
    assert (out / "mr.dcm").read_bytes() == (tree / "mr.dcm").read_bytes()
    forced = cli("run", tree, out, "--profile", "none", "--force")
    assert forced.returncode == 0 and "already done" not in forced.stdout and "2 ok" in forced.stdout


# 6. Single-file mode never overwrites; a trailing slash means a folder.
def test_single_file_never_overwrites_and_a_trailing_slash_is_a_folder(tmp_path: Path) -> None:
    precious = tmp_path / "precious.txt"
    precious.write_text("mine")
    line = one_line_error(cli("run", CT, precious, "--profile", "minimal"))
    assert "already exists" in line and precious.read_text() == "mine"
    result = cli("run", CT, f"{tmp_path / 'newdir'}/", "--profile", "minimal")
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "newdir" / "CT_small.dcm").is_file()


# 7. An unreadable folder is one line, and the rest is done.
def test_an_unreadable_folder_is_reported_and_the_rest_is_done(
    tree: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from fastdeid.cli import main

    locked = tree / "locked"
    locked.mkdir()
    shutil.copy(CT, locked / "x.dcm")
    if os.geteuid() == 0:  # root reads every folder: the walker meets the error a user would
        refuse_to_list(locked, monkeypatch)
    locked.chmod(0)
    try:
        code = main(["run", str(tree), str(tmp_path / "out"), "--profile", "minimal", "-q"])
    finally:
        locked.chmod(0o755)
    err = capsys.readouterr().err
    assert code == 1 and "Traceback" not in err
    lines = [line for line in err.splitlines() if "locked" in line]
    assert lines == [f"error: {locked}: io: cannot read folder: Permission denied"]
    assert (tmp_path / "out" / "a" / "ct.dcm").is_file() and (tmp_path / "out" / "mr.dcm").is_file()


def test_the_ingest_walker_reports_unreadable_folders_too(tmp_path: Path) -> None:
    from fastdeid.jobs.walk import Filters, walk

    (tmp_path / "ok").mkdir()
    (tmp_path / "ok" / "a.dcm").write_bytes(b"x")
    unreadable: list[tuple[str, str]] = []
    found = list(walk(tmp_path / "missing-after-listing", Filters(), unreadable))
    assert found == [] and len(unreadable) == 1 and "cannot read folder" in unreadable[0][1]
    assert [p.name for p in walk(tmp_path, Filters())] == ["a.dcm"]


# 8. One line and exit 2 instead of tracebacks.
def test_setup_errors_are_one_line_with_exit_2(tree: Path, tmp_path: Path) -> None:
    afile = tmp_path / "afile"
    afile.write_text("x")
    one_line_error(cli("run", tree, afile, "--profile", "minimal"))  # DST is a file
    one_line_error(cli("run", tree, tmp_path / "o1", "--profile", "minimal", "--deid-log", tmp_path))  # log is a folder
    one_line_error(cli("deid", "create", tmp_path / "missing" / "p.yaml"))
    bad = tmp_path / "unreadable.yaml"
    bad.write_text("dicom:\n  fields: []\n")
    bad.chmod(0)
    if os.geteuid() != 0:
        one_line_error(cli("run", tree, tmp_path / "o2", "--profile", bad))
    jobs = cli("run", tree, tmp_path / "o3", "--profile", "minimal", "--jobs", "-3")
    assert jobs.returncode == 2 and "must be 0" in jobs.stderr and "Traceback" not in jobs.stderr


def test_a_read_only_destination_is_one_line(tree: Path, tmp_path: Path) -> None:
    if os.geteuid() == 0:
        pytest.skip("root writes into read-only folders")
    ro = tmp_path / "ro"
    ro.mkdir()
    ro.chmod(0o555)
    try:
        line = one_line_error(cli("run", tree, ro / "out", "--profile", "minimal"))
    finally:
        ro.chmod(0o755)
    assert "ro" in line


# 9. --jobs is capped.
def test_jobs_are_capped_with_a_note(tree: Path, tmp_path: Path) -> None:
    result = cli("run", tree, tmp_path / "out", "--profile", "minimal", "--jobs", "100000")
    assert result.returncode == 0
    assert "note: --jobs 100000 is more than 4x" in result.stderr
    assert "2 threads)" in result.stdout  # never more threads than files


# 10. deidentify_dataset without file meta.
def test_deidentify_dataset_without_file_meta(tmp_path: Path) -> None:
    ds = pydicom.dcmread(PYDICOM_FILES / "MR_small_implicit.dcm")
    del ds.file_meta
    out = fastdeid.deidentify_dataset(ds, "minimal")
    assert "PatientName" not in out and out.file_meta.TransferSyntaxUID == pydicom.uid.ImplicitVRLittleEndian
    assert "file_meta" not in ds.__dict__ or ds.file_meta is None or "TransferSyntaxUID" not in ds.file_meta
    empty = pydicom.Dataset()
    empty.PatientName = "A^B"
    with pytest.raises(fastdeid.UsageError, match="cannot be written as a DICOM file"):
        fastdeid.deidentify_dataset(empty, "minimal")


# 13. Non-DICOM files are skipped, --include/--exclude, extensionless DICOM is read.
def test_text_files_are_skipped_and_extensionless_dicom_is_read(tree: Path, tmp_path: Path) -> None:
    (tree / "README").write_text("about this export\n")
    (tree / "notes.txt").write_text("notes\n")
    (tree / "meta.json").write_text("{}\n")
    shutil.copy(CT, tree / "IM00001")
    out = tmp_path / "out"
    result = cli("run", tree, out, "--profile", "minimal")
    assert result.returncode == 0, result.stderr
    assert "3 skipped" in result.stdout and result.stderr.count("not DICOM") == 3
    assert "PatientName" not in pydicom.dcmread(out / "IM00001")
    (tree / "bad.dcm").write_text("not dicom but says so\n")
    failed = cli("run", tree, tmp_path / "out2", "--profile", "minimal")
    assert failed.returncode == 1 and "bad.dcm: not-dicom" in failed.stderr
    only = cli("run", tree, tmp_path / "out3", "--profile", "minimal", "--include", "*.dcm", "--exclude", "bad*")
    assert only.returncode == 0 and "2 ok, 0 failed, 0 skipped" in only.stdout


def test_deid_test_says_how_many_files_it_skipped(tree: Path, tmp_path: Path) -> None:
    (tree / "notes.txt").write_text("x")
    result = cli("deid", "test", tree, "minimal", tmp_path / "t")
    assert result.returncode == 0, result.stderr
    assert "1 file(s) skipped: their names are not *.dcm" in result.stderr


# 14. The summary counts every file and files/s counts only this run's.
def test_a_rerun_of_a_finished_tree_reports_no_absurd_rate(tree: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    assert cli("run", tree, out, "--profile", "minimal").returncode == 0
    rerun = cli("run", tree, out, "--profile", "minimal")
    assert "2 ok (2 already done)" in rerun.stdout and "(0 files/s" in rerun.stdout


def test_report_counts_files_not_started() -> None:
    report = fastdeid.Report(ok=3, failed=1, not_started=5, stopped="disk-full")
    assert report.files == 9 and "5 not started" in report.summary() and report.disk_full


# 16. The summary names what else was written; the starter profile stays beside itself.
def test_summary_names_the_log_and_the_starter_log_is_beside_the_profile(tree: Path, tmp_path: Path) -> None:
    profile = tmp_path / "prof" / "p.yaml"
    profile.parent.mkdir()
    assert cli("deid", "create", profile).returncode == 0
    result = cli("run", tree, tmp_path / "out", "--profile", profile, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    log = tmp_path / "prof" / "deid_log.csv"
    assert f"deid log: {log}" in result.stdout and log.is_file()
    rows = list(csv.reader(log.open(newline="")))
    assert rows[0][0] == "src_path" and {r[0] for r in rows[1:]} == {"a/ct.dcm", "mr.dcm"}


# 17. --version, python -m fastdeid, help for every positional and for --jobs.
def test_version_and_help_texts() -> None:
    version = cli("--version")
    assert version.returncode == 0 and version.stdout.strip() == f"fastdeid {fastdeid.__version__}"
    from fastdeid.cli.parser import build_parser

    def parsers(p):  # type: ignore[no-untyped-def]
        yield p
        for action in p._actions:
            choices = getattr(action, "choices", None)
            if isinstance(choices, dict):  # subcommands (an option's choices are a list)
                for sub in choices.values():
                    if isinstance(sub, type(p)):
                        yield from parsers(sub)

    for p in parsers(build_parser()):
        for action in p._actions:
            if action.dest in ("help", "command") or action.dest.endswith("_command"):
                continue
            assert action.help, f"{p.prog}: {action.dest} has no help text"


# Done when: a real tree, one run.
def test_a_real_tree_in_one_run_then_with_an_unreadable_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import gzip

    from fastdeid.cli import main

    src = tmp_path / "export"
    (src / "study" / "series").mkdir(parents=True)
    shutil.copy(CT, src / "study" / "series" / "ct.dcm")
    (src / "study" / "mr.dcm.gz").write_bytes(gzip.compress(MR.read_bytes()))
    shutil.copy(PYDICOM_FILES / "MR_small_implicit.dcm", src / "study" / "IM00001")
    shutil.copy(PYDICOM_FILES / "SC_rgb_jpeg.dcm", src / "sc.dcm")  # meta says explicit, data is implicit
    (src / "README").write_text("export of 2026-12-01\n")
    (src / "study" / "notes.txt").write_text("notes\n")
    (src / "manifest.json").write_text("{}\n")
    out = tmp_path / "out"
    assert main(["run", str(src), str(out), "--profile", "minimal", "-q"]) == 0
    captured = capsys.readouterr()
    assert "4 ok, 0 failed, 3 skipped" in captured.out
    assert captured.err.count(": not DICOM") == 3
    assert f"warning: {src / 'sc.dcm'}: data-set-reencoded" in captured.err
    outputs = sorted(p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file() and p.name != MANIFEST)
    assert outputs == ["sc.dcm", "study/IM00001", "study/mr.dcm", "study/series/ct.dcm"]
    for name in outputs:
        ds = pydicom.dcmread(out / name)
        assert "PatientName" not in ds and "PatientID" not in ds

    locked = src / "locked"
    locked.mkdir()
    shutil.copy(CT, locked / "x.dcm")
    refuse_to_list(locked, monkeypatch)
    assert main(["run", str(src), str(tmp_path / "out2"), "--profile", "minimal", "-q"]) == 1
    captured = capsys.readouterr()
    assert [line for line in captured.err.splitlines() if "locked" in line] == [
        f"error: {locked}: io: cannot read folder: Permission denied"
    ]
    assert "4 ok, 1 failed, 3 skipped" in captured.out


# 15. Progress: a count while walking, then total, percent and MB/s; nothing when not a terminal.
def test_progress_shows_a_count_then_a_bar_and_is_silent_off_a_terminal(capsys: pytest.CaptureFixture[str]) -> None:
    from fastdeid.jobs.progress import Progress

    shown = Progress(True)
    shown.planned(1000, False)
    shown.planned(2000, True)
    shown.update(fastdeid.Report(ok=500, bytes_in=50_000_000, seconds=1.0))
    shown.close()
    err = capsys.readouterr().err
    assert "walking: 1000" in err and "de-identifying:  25%" in err and "500/2000" in err and "50.0 MB/s" in err
    quiet = Progress.for_terminal(quiet=False)  # stderr is captured here: not a terminal
    quiet.planned(10, True)
    quiet.update(fastdeid.Report(ok=1))
    quiet.close()
    assert capsys.readouterr().err == ""
