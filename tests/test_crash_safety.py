"""Crash and full-disk safety: SIGKILL at random moments never leaves a damaged final-named
output, a rerun of the same command finishes the job, and the tree equals an uninterrupted run;
a full disk stops the run cleanly with its own exit code, and a rerun completes once space is free."""

from __future__ import annotations

import csv
import filecmp
import io
import os
import random
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from fastdeid.jobs.resume import MANIFEST
from fastdeid.synth import make_dataset

PROFILE = "dicom:\n  fields:\n    - name: PatientName\n      replace-with: ANON\n    - name: SOPInstanceUID\n      hashuid: true\n    - name: PatientID\n      hash: true\n"


def _corpus(root: Path, small: int, large_mb: int) -> None:
    for n in range(small):
        folder = root / f"s{n // 50}"
        folder.mkdir(parents=True, exist_ok=True)
        make_dataset(patient=n % 7, series=n // 50, instance=n, rows=16, columns=16).save_as(
            folder / f"{n:04d}.dcm", enforce_file_format=True
        )
    big = make_dataset(patient=99, rows=16, columns=16)
    side = int((large_mb * 2**20 // 2) ** 0.5)
    big.Rows = big.Columns = side
    big.PixelData = os.urandom(side * side * 2)
    big.save_as(root / "large.dcm", enforce_file_format=True)


def _run(src: Path, dst: Path, profile: Path, log: Path | None = None) -> subprocess.Popen[bytes]:
    args = [sys.executable, "-m", "fastdeid", "run", str(src), str(dst), "--profile", str(profile), "--jobs", "2", "-q"]
    return subprocess.Popen(
        args + (["--deid-log", str(log)] if log else []),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )


def _check_log(log: Path, out: Path) -> None:
    """Exactly one before/after pair per output, in order, and nothing else: no torn or duplicate rows."""
    raw = log.read_bytes()
    assert raw.endswith(b"\r\n"), "torn last row"
    rows = list(csv.reader(io.StringIO(raw.decode(), newline="")))
    header, body = rows[0], rows[1:]
    assert header[:2] == ["src_path", "type"] and all(len(r) == len(header) for r in body)
    outputs = sorted(p.relative_to(out).as_posix() for p in out.rglob("*.dcm"))
    assert [r[1] for r in body] == ["before", "after"] * (len(body) // 2)
    pairs = [r[0] for r in body[::2]]
    assert [r[0] for r in body[1::2]] == pairs
    assert sorted(pairs) == outputs  # one pair per output, no duplicates


def _same_tree(a: Path, b: Path) -> None:
    """The same outputs, byte for byte (the manifests differ: each names its own deid log)."""
    names_a = sorted(p.relative_to(a) for p in a.rglob("*") if p.is_file() and p.name != MANIFEST)
    names_b = sorted(p.relative_to(b) for p in b.rglob("*") if p.is_file() and p.name != MANIFEST)
    assert names_a == names_b
    for name in names_a:
        assert filecmp.cmp(a / name, b / name, shallow=False), name


def test_sigkill_at_random_moments_then_rerun(tmp_path: Path) -> None:
    src, ref = tmp_path / "src", tmp_path / "ref"
    _corpus(src, small=200, large_mb=32)
    profile = tmp_path / "p.yaml"
    profile.write_text(PROFILE)
    started = time.perf_counter()
    assert _run(src, ref, profile).wait() == 0
    full = time.perf_counter() - started
    rng = random.Random(20261125)
    kills = trial = 0
    while kills < 20 and trial < 40:  # a run can finish before its random moment comes
        trial += 1
        out, log = tmp_path / f"out{trial}", tmp_path / f"log{trial}.csv"
        proc = _run(src, out, profile, log)
        time.sleep(rng.uniform(0.0, 0.9 * full))  # a random moment of the run
        if proc.poll() is None:
            proc.send_signal(signal.SIGKILL)
            kills += 1
        proc.wait()
        # Every final-named output is complete: byte-identical to the uninterrupted run's.
        for path in out.rglob("*") if out.exists() else []:
            if path.is_file() and not path.name.endswith(".fastdeid-tmp") and path.name != MANIFEST:
                assert filecmp.cmp(path, ref / path.relative_to(out), shallow=False), path
        rerun = _run(src, out, profile, log)
        assert rerun.wait() == 0, rerun.stderr.read() if rerun.stderr else ""
        _same_tree(ref, out)
        _check_log(log, out)
    assert kills >= 20, f"only {kills} runs were still going when killed"


def test_sigint_stops_after_the_files_in_flight_and_a_rerun_completes_tree_and_log(tmp_path: Path) -> None:
    src, ref = tmp_path / "src", tmp_path / "ref"
    _corpus(src, small=1500, large_mb=1)
    profile = tmp_path / "p.yaml"
    profile.write_text(PROFILE)
    started = time.perf_counter()
    assert _run(src, ref, profile, tmp_path / "ref.csv").wait() == 0
    full = time.perf_counter() - started
    interrupted = 0
    for trial, moment in enumerate((0.45, 0.6, 0.75, 0.9)):
        out, log = tmp_path / f"out{trial}", tmp_path / f"log{trial}.csv"
        proc = _run(src, out, profile, log)
        time.sleep(moment * full)
        proc.send_signal(signal.SIGINT)
        code = proc.wait()
        if code == 130:
            interrupted += 1
            assert b"interrupted" in proc.stderr.read()  # type: ignore[union-attr]
            _check_log(log, out)  # what finished before the stop is logged, pair by pair
        assert _run(src, out, profile, log).wait() == 0
        _same_tree(ref, out)
        _check_log(log, out)
    assert interrupted >= 2, f"only {interrupted} runs were still going when interrupted"


def test_a_full_disk_stops_cleanly_and_a_rerun_completes(tmp_path: Path) -> None:
    if os.geteuid() != 0:
        pytest.skip("mounting a small tmpfs needs root")
    src, ref, mnt = tmp_path / "src", tmp_path / "ref", tmp_path / "small"
    _corpus(src, small=120, large_mb=4)
    profile = tmp_path / "p.yaml"
    profile.write_text(PROFILE)
    assert _run(src, ref, profile).wait() == 0
    mnt.mkdir()
    if (
        subprocess.run(
            ["mount", "-t", "tmpfs", "-o", "size=3m", "tmpfs", str(mnt)], capture_output=True, check=False
        ).returncode
        != 0
    ):
        pytest.skip("tmpfs cannot be mounted here")
    try:
        out = mnt / "out"
        proc = subprocess.run(
            [sys.executable, "-m", "fastdeid", "run", str(src), str(out), "--profile", str(profile), "-j", "2"],
            capture_output=True,
            text=True,
            check=False,
        )
        assert proc.returncode == 3
        assert proc.stderr.count("disk is full") == 1 and "not started" not in proc.stderr  # one line for the stop
        summary = re.match(r"(\d+) ok, (\d+) failed, (\d+) skipped, (\d+) not started", proc.stdout)
        assert summary, proc.stdout
        assert sum(map(int, summary.groups())) == 121  # every file is counted
        assert not list(out.rglob("*.fastdeid-tmp"))
        for path in out.rglob("*.dcm"):
            assert filecmp.cmp(path, ref / path.relative_to(out), shallow=False), path
        subprocess.run(["mount", "-o", "remount,size=64m", str(mnt)], check=True)
        assert _run(src, out, profile).wait() == 0
        _same_tree(ref, out)
    finally:
        subprocess.run(["umount", str(mnt)], check=False)


def test_each_chunks_output_names_are_made_durable_before_the_next_chunk(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A rename is durable only once its folder is: after each chunk the core fsyncs the folders
    the chunk's outputs went into (which folders: the core's destination tests). A folder that
    cannot be synced stops the run like a full disk, and the same command finishes the job."""
    import fastdeid.jobs.runner
    from fastdeid.jobs.job import Engine
    from fastdeid.jobs.runner import run

    for n, rel in enumerate(("a/b/one.dcm", "a/two.dcm", "c/three.dcm")):
        (tmp_path / "src" / rel).parent.mkdir(parents=True, exist_ok=True)
        make_dataset(instance=n).save_as(tmp_path / "src" / rel, enforce_file_format=True)
    monkeypatch.setattr(fastdeid.jobs.runner, "CHUNK", 2)
    seen: list[int] = []  # outputs on disk at each sync: the sync follows its chunk
    real_sync = Engine.sync

    def sync(engine: Engine) -> None:
        seen.append(sum(1 for p in (tmp_path / "out").rglob("*.dcm")))
        real_sync(engine)

    monkeypatch.setattr(Engine, "sync", sync)
    assert run(tmp_path / "src", tmp_path / "out", "minimal").ok == 3
    assert seen == [2, 3]

    def failing(engine: Engine) -> None:
        raise OSError("cannot sync the output folder x: Input/output error (os error 5)")

    monkeypatch.setattr(Engine, "sync", failing)
    report = run(tmp_path / "src", tmp_path / "broken", "minimal")
    assert report.stopped == "disk-full" and report.ok == 2 and report.not_started == 1
    assert any("cannot sync the output folder" in n for n in report.notes), report.notes
    monkeypatch.setattr(Engine, "sync", real_sync)
    rerun = run(tmp_path / "src", tmp_path / "broken", "minimal")
    assert rerun.stopped is None and rerun.ok == 3


def test_a_local_rerun_removes_what_a_killed_cluster_client_left_staged(tmp_path: Path) -> None:
    from fastdeid.jobs.runner import run
    from fastdeid.jobs.temporaries import STAGING

    (tmp_path / "src").mkdir()
    make_dataset().save_as(tmp_path / "src" / "a.dcm", enforce_file_format=True)
    out = tmp_path / "out"
    assert run(tmp_path / "src", out, "minimal", name_by_uid=True).ok == 1
    staged = out / STAGING / "dask-0123" / "chunk-0" / "x.dcm"  # a chunk never placed
    staged.parent.mkdir(parents=True)
    staged.write_bytes(b"staged")
    rerun = run(tmp_path / "src", out, "minimal", name_by_uid=True)
    assert rerun.ok == rerun.resumed == 1 and not (out / STAGING).exists()
