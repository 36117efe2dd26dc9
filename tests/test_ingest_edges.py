"""Ingest's rough edges (issue 10): interrupts leave nothing a rerun does not clean, outputs that
cannot be written are one-line usage errors, `--deid-profile FILE`, deid log paths relative to
SRC, and a project's own profile (`fastdeid project set-profile/show`)."""

from __future__ import annotations

import csv
import fcntl
import filecmp
import os
import signal
import stat
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pydicom
import pytest

from fastdeid.synth import make_dataset

PROFILE = (
    "dicom:\n  fields:\n    - name: PatientName\n      replace-with: ANON\n"
    "    - name: SOPInstanceUID\n      hashuid: true\n    - name: PatientID\n      hash: true\n"
)
SALTED = "name: salted\ndicom:\n  salt: 'project-secret'\n  fields:\n    - name: PatientID\n      hash: true\n"


def cli(*args: str | Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "fastdeid.cli", *map(str, args)], capture_output=True, text=True, check=False
    )


def _start(*args: str | Path) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "fastdeid.cli", *map(str, args)], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )


def _corpus(root: Path, files: int) -> None:
    for n in range(files):
        folder = root / f"s{n // 50}"
        folder.mkdir(parents=True, exist_ok=True)
        make_dataset(patient=n % 7, series=n // 50, instance=n, rows=16, columns=16).save_as(
            folder / f"{n:04d}.dcm", enforce_file_format=True
        )


def _files(root: Path) -> list[str]:
    return sorted(p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file()) if root.exists() else []


def _same_tree(a: Path, b: Path) -> None:
    assert _files(a) == _files(b)
    for name in _files(a):
        assert filecmp.cmp(a / name, b / name, shallow=False), name


def _staging_folders(dest: Path) -> list[str]:
    return [p.name for p in dest.iterdir() if p.name.startswith(".fastdeid-staging-")] if dest.exists() else []


def _one_line_usage_error(result: subprocess.CompletedProcess[str], code: str) -> None:
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr
    lines = [line for line in result.stderr.splitlines() if line.startswith("fastdeid: error:")]
    assert len(lines) == 1 and code in lines[0], result.stderr


# 1. Interrupts ----------------------------------------------------------------------------------


def _when_writing_starts(dest: Path) -> bool:
    return (dest / ".fastdeid-tmp").exists()


def _when_placed(count: int) -> Callable[[Path], bool]:
    def ready(dest: Path) -> bool:
        return len(_files(dest / "g")) >= count

    return ready


# Outputs are written under temporary names in DEST/.fastdeid-tmp and linked into place one by one.
MOMENTS = {"writing starts": _when_writing_starts, "first placed": _when_placed(1), "mid-run": _when_placed(150)}


@pytest.mark.parametrize("sig", [signal.SIGKILL, signal.SIGINT], ids=["SIGKILL", "SIGINT"])
def test_an_interrupted_ingest_leaves_nothing_a_rerun_does_not_finish(tmp_path: Path, sig: signal.Signals) -> None:
    src, ref = tmp_path / "src", tmp_path / "ref"
    _corpus(src, 400)
    config = tmp_path / "config.yaml"
    config.write_text("deid-profiles:\n  - name: p\n" + "\n".join("    " + line for line in PROFILE.splitlines()))

    def ingest(dest: Path) -> subprocess.Popen[bytes]:
        return _start("ingest", "dicom", src, "g", "p", "--to", dest, "-C", config, "--deid-profile", "p", "-j", "2")

    assert ingest(ref).wait() == 0
    assert not _staging_folders(ref)
    hits = 0
    for label, ready in MOMENTS.items():
        dest = tmp_path / label.replace(" ", "-")
        proc = ingest(dest)
        deadline = time.monotonic() + 60
        while proc.poll() is None and not (dest.exists() and ready(dest)) and time.monotonic() < deadline:
            time.sleep(0.001)
        if proc.poll() is None:
            proc.send_signal(sig)
            hits += 1
        code = proc.wait()
        if sig == signal.SIGINT and code != 0:
            # Ctrl-C exits 130 and removes its own staging folder.
            assert code == 130, proc.stderr.read() if proc.stderr else ""
            assert not _staging_folders(dest), label
        # Whatever is in place is complete: byte-identical to the uninterrupted ingest's file.
        for name in _files(dest / "g"):
            assert filecmp.cmp(dest / "g" / name, ref / "g" / name, shallow=False), (label, name)
        rerun = ingest(dest)
        assert rerun.wait() == 0, rerun.stderr.read() if rerun.stderr else ""
        assert not _staging_folders(dest), label
        _same_tree(ref, dest)
    assert hits >= 2, f"only {hits} ingests were still running when signalled"


def test_the_sweep_removes_dead_runs_staging_and_keeps_a_live_runs(tmp_path: Path) -> None:
    src, dest = tmp_path / "src", tmp_path / "dest"
    _corpus(src, 3)
    dead = dest / ".fastdeid-staging-dead"
    live = dest / ".fastdeid-staging-live"
    for folder in (dead, live):
        folder.mkdir(parents=True)
        (folder / "0.dcm").write_bytes(b"de-identified bytes of a run")
    fd = os.open(live, os.O_RDONLY)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)  # as a concurrent ingest into DEST holds its own
        result = cli("ingest", "dicom", src, "g", "p", "--to", dest, "--deid-profile", "none")
        assert result.returncode == 0, result.stderr
        assert _staging_folders(dest) == [live.name]
        assert (live / "0.dcm").exists()
    finally:
        os.close(fd)


def test_a_rerun_counts_identical_outputs_as_done(tmp_path: Path) -> None:
    src, dest = tmp_path / "src", tmp_path / "dest"
    _corpus(src, 4)
    args = ("ingest", "dicom", src, "g", "p", "--to", dest, "--de-identify", "--subject", "s")
    assert cli(*args).returncode == 0
    before = {name: (dest / name).stat().st_ino for name in _files(dest)}
    rerun = cli(*args)
    assert rerun.returncode == 0, rerun.stderr
    assert "4 ok (4 already done), 0 failed" in rerun.stdout
    assert {name: (dest / name).stat().st_ino for name in _files(dest)} == before  # not rewritten


# 2. Outputs that cannot be written --------------------------------------------------------------


@pytest.fixture
def read_only(tmp_path: Path) -> Iterator[Path]:
    """A folder nobody can write into: root ignores permission bits, so for root a read-only tmpfs."""
    folder = tmp_path / "ro"
    folder.mkdir()
    if os.geteuid() != 0:
        folder.chmod(0o555)
        yield folder
        folder.chmod(0o755)
        return
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "ro,size=1m", "tmpfs", str(folder)], capture_output=True, check=False
    )
    if mounted.returncode != 0:
        pytest.skip("a read-only tmpfs cannot be mounted here")
    try:
        yield folder
    finally:
        subprocess.run(["umount", str(folder)], check=False)


@pytest.fixture
def small_tree(tmp_path: Path) -> Path:
    src = tmp_path / "src"
    _corpus(src, 2)
    return src


def test_a_read_only_dest_is_a_one_line_usage_error(small_tree: Path, read_only: Path, tmp_path: Path) -> None:
    for dest in (read_only, read_only / "new", tmp_path / "a-file" / "dest"):
        (tmp_path / "a-file").write_text("not a folder")
        result = cli("ingest", "dicom", small_tree, "g", "p", "--to", dest, "--de-identify", "--subject", "s")
        _one_line_usage_error(result, "not-writable")
        assert str(dest) in result.stderr


def test_unwritable_mappings_and_logs_stop_the_ingest_before_any_output(
    small_tree: Path, read_only: Path, tmp_path: Path
) -> None:
    (tmp_path / "a-file").write_text("not a folder")
    cases = [
        ("--save-mappings", read_only / "maps"),
        ("--save-mappings", tmp_path / "a-file" / "maps"),
        ("--save-deid-logs", read_only / "logs/"),
        ("--save-deid-logs", read_only / "deid.csv"),
        ("--save-deid-logs", tmp_path / "a-file" / "deid.csv"),
        ("--save-subjects", read_only / "subjects.csv"),
    ]
    for option, path in cases:
        dest = tmp_path / "dest"
        result = cli(
            "ingest", "dicom", small_tree, "g", "p", "--to", dest, "--de-identify", "--subject", "s", option, path
        )
        _one_line_usage_error(result, "not-writable")
        assert option in result.stderr or str(path).rstrip("/") in result.stderr
        assert _files(dest) == [], (option, path)


def test_a_missing_path_two_folders_deep_is_refused_not_created(small_tree: Path, tmp_path: Path) -> None:
    """One missing folder is made (a fresh `maps/`); a deeper missing path is more likely a typo."""
    for option, path in [
        ("--save-mappings", tmp_path / "nonexist" / "maps"),
        ("--save-deid-logs", f"{tmp_path / 'nonexist' / 'logs'}/"),
        ("--save-deid-logs", tmp_path / "nonexist" / "deeper" / "deid.csv"),
    ]:
        dest = tmp_path / "dest"
        result = cli(
            "ingest", "dicom", small_tree, "g", "p", "--to", dest, "--de-identify", "--subject", "s", option, path
        )
        _one_line_usage_error(result, "not-writable")
        assert not (tmp_path / "nonexist").exists() and _files(dest) == [], option
    run = cli(
        "run", small_tree, tmp_path / "out", "--de-identify", "--deid-log", tmp_path / "nope" / "deep" / "log.csv"
    )
    assert run.returncode == 2 and "does not exist" in run.stderr and not (tmp_path / "nope").exists()
    ok = cli("run", small_tree, tmp_path / "out2", "--de-identify", "--deid-log", tmp_path / "logs" / "log.csv")
    assert ok.returncode == 0 and (tmp_path / "logs" / "log.csv").is_file()


def test_a_missing_subject_map_is_a_one_line_usage_error(small_tree: Path, tmp_path: Path) -> None:
    result = cli(
        "ingest", "dicom", small_tree, "g", "p", "--to", tmp_path / "d", "--load-subjects", tmp_path / "no.csv"
    )
    _one_line_usage_error(result, "not-readable")


# 3. --deid-profile FILE -------------------------------------------------------------------------


def test_deid_profile_takes_a_profile_file_as_run_does(small_tree: Path, tmp_path: Path) -> None:
    profile = tmp_path / "p.yaml"
    profile.write_text(PROFILE)
    dest, mirror = tmp_path / "dest", tmp_path / "mirror"
    result = cli("ingest", "dicom", small_tree, "g", "p", "--to", dest, "--deid-profile", profile)
    assert result.returncode == 0, result.stderr
    assert cli("run", small_tree, mirror, "--profile", profile, "--name-by-uid").returncode == 0
    ingested = sorted((dest / name).read_bytes() for name in _files(dest))
    mirrored = sorted((mirror / name).read_bytes() for name in _files(mirror) if not name.startswith("."))
    assert len(ingested) == 2 and ingested == mirrored
    assert pydicom.dcmread(dest / _files(dest)[0]).PatientName == "ANON"
    missing = cli("ingest", "dicom", small_tree, "g", "p", "--to", dest, "--deid-profile", tmp_path / "nope.yaml")
    _one_line_usage_error(missing, "nope.yaml")


# 4. The deid log's src_path ---------------------------------------------------------------------


def test_the_deid_log_names_inputs_relative_to_src(tmp_path: Path) -> None:
    src = tmp_path / "src"
    for n, folder in enumerate(("a", "b", "b/c")):
        (src / folder).mkdir(parents=True)
        make_dataset(patient=n, instance=n).save_as(src / folder / "0000.dcm", enforce_file_format=True)
    log = tmp_path / "deid.csv"
    result = cli(
        "ingest", "dicom", src, "g", "p", "--to", tmp_path / "d", "--de-identify", "--subject", "s",
        "--save-deid-logs", log,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    rows = list(csv.reader(log.open(newline="")))
    assert rows[0][:2] == ["src_path", "type"]
    assert [(r[0], r[1]) for r in rows[1:]] == [
        (path, kind) for path in ("a/0000.dcm", "b/0000.dcm", "b/c/0000.dcm") for kind in ("before", "after")
    ]
    assert stat.S_IMODE(log.stat().st_mode) == 0o600


def test_a_deid_log_inside_dest_is_refused(small_tree: Path, tmp_path: Path) -> None:
    dest = tmp_path / "dest"
    result = cli("ingest", "dicom", small_tree, "g", "p", "--to", dest, "--de-identify", "--subject", "s",
                 "--save-deid-logs", dest / "log.csv")  # fmt: skip
    _one_line_usage_error(result, "may not be written inside the output folder")
    assert _files(dest) == []


# 5. A project's own profile ---------------------------------------------------------------------


def test_a_projects_profile_is_stored_privately_shown_and_applied(small_tree: Path, tmp_path: Path) -> None:
    dest, profile = tmp_path / "dest", tmp_path / "salted.yaml"
    profile.write_text(SALTED)
    result = cli("project", "set-profile", dest, "g", "p", profile)
    assert result.returncode == 0, result.stderr
    stored = dest / ".fastdeid" / "projects" / "g" / "p" / "profile.yaml"
    assert stored.read_bytes() == profile.read_bytes()
    assert stat.S_IMODE(stored.stat().st_mode) == 0o600
    shown = cli("project", "show", dest, "g", "p")
    assert shown.returncode == 0 and shown.stdout == SALTED

    # No flags: the project's profile applies, and ingest says so.
    result = cli("ingest", "dicom", small_tree, "g", "p", "--to", dest, "--subject", "s")
    assert result.returncode == 0, result.stderr
    assert "de-identifying with the project's profile" in result.stderr and "copied without" not in result.stderr
    outputs = _files(dest / "g")
    assert len(outputs) == 2
    import fastdeid

    expected = fastdeid.deidentify_bytes((small_tree / "s0" / "0000.dcm").read_bytes(), fastdeid.load_profile(profile))
    assert expected in [(dest / "g" / name).read_bytes() for name in outputs]
    # The same profile named again, or --de-identify alone, is accepted.
    for flags in (("--deid-profile", profile), ("--de-identify",)):
        again = cli("ingest", "dicom", small_tree, "g", "p", "--to", dest, "--subject", "s", *flags)
        assert again.returncode == 0 and "4 ok" not in again.stdout and "2 ok (2 already done)" in again.stdout
    # Another project of the same DEST is not affected.
    other = cli("ingest", "dicom", small_tree, "g", "q", "--to", dest, "--subject", "s")
    assert other.returncode == 0 and "copied without de-identification" in other.stderr


def test_a_projects_profile_refuses_other_profiles_unless_overridden(small_tree: Path, tmp_path: Path) -> None:
    dest, salted, other = tmp_path / "dest", tmp_path / "salted.yaml", tmp_path / "other.yaml"
    salted.write_text(SALTED)
    other.write_text(PROFILE)
    assert cli("project", "set-profile", dest, "g", "p", salted).returncode == 0
    base = ("ingest", "dicom", small_tree, "g", "p", "--to", dest, "--subject", "s")
    for refused in (("--deid-profile", other), ("--deid-profile", "none"), ("--deid-profile", "minimal")):
        _one_line_usage_error(cli(*base, *refused), "project-profile")
        assert _files(dest / "g") == []
    overridden = cli(*base, "--deid-profile", other, "--override-project-profile")
    assert overridden.returncode == 0, overridden.stderr
    assert "overridden" in overridden.stderr
    assert {str(pydicom.dcmread(dest / "g" / name).PatientName) for name in _files(dest / "g")} == {"ANON"}


def test_set_profile_refuses_an_invalid_profile_and_show_without_one(tmp_path: Path) -> None:
    dest, bad = tmp_path / "dest", tmp_path / "bad.yaml"
    bad.write_text("dicom:\n  salt: x\n  fields:\n    - name: PatientName\n      replace-wth: ANON\n")
    result = cli("project", "set-profile", dest, "g", "p", bad)
    assert result.returncode == 2 and "Traceback" not in result.stderr and "bad.yaml" in result.stderr
    assert not (dest / ".fastdeid").exists() or _files(dest / ".fastdeid") == []
    _one_line_usage_error(cli("project", "show", dest, "g", "p"), "no-project-profile")


def test_the_projects_profile_is_never_ingested_as_data(small_tree: Path, tmp_path: Path) -> None:
    dest, profile = tmp_path / "dest", tmp_path / "salted.yaml"
    profile.write_text(SALTED)
    assert cli("project", "set-profile", dest, "g", "p", profile).returncode == 0
    assert cli("ingest", "dicom", small_tree, "g", "p", "--to", dest, "--subject", "s").returncode == 0
    assert not [name for name in _files(dest / "g") if not name.endswith(".dcm")]
    # DEST itself as the source of another ingest, taking every file name: the dot folder is skipped.
    again = cli("ingest", "dicom", dest, "g2", "p2", "--to", tmp_path / "d2", "--include", "*", "--subject", "s")
    assert again.returncode == 0, again.stderr
    assert "profile.yaml" not in again.stderr and len(_files(tmp_path / "d2")) == 2
