"""`fastdeid bench`: throughput of fastdeid against a plain copy of the same tree, on this machine.

The two are run alternately, each until its data is on disk (`sync` after each): a copy that
follows a slow run would otherwise find the page cache's write-back already done and look several
times faster. Every round writes into a new folder and old outputs are deleted only at the end:
on ext4, creating files right after deleting thousands makes the inode allocator scan the recently
deleted ones, which slowed either side up to fivefold in our runs. fastdeid runs in a child process
so its peak memory (VmHWM) is its own.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from .synth import write_archive

BENCH_PROFILE = Path(__file__).parent / "profiles" / "bench.yaml"


@dataclass
class Timing:
    name: str
    seconds: list[float]
    peak_kb: int = 0

    @property
    def best(self) -> float:
        return min(self.seconds)


def _sync() -> None:
    os.sync()


def _copy(src: Path, dst: Path) -> float:
    _sync()
    started = time.perf_counter()
    if shutil.which("cp"):
        subprocess.run(["cp", "-r", str(src), str(dst)], check=True)
    else:
        shutil.copytree(src, dst)
    _sync()
    return time.perf_counter() - started


def _fastdeid(src: Path, dst: Path, profile: str, jobs: int, log: Path | None) -> tuple[float, int]:
    if log is not None:
        log.unlink(missing_ok=True)
    _sync()
    args = ["run", str(src), str(dst), "--profile", profile, "--jobs", str(jobs), "--quiet", "--no-fsync"]
    if log is not None:
        args += ["--deid-log", str(log)]
    script = (
        "import sys\nfrom fastdeid.cli import main\n"
        f"code = main({args!r})\n"
        "print(next(l for l in open('/proc/self/status') if l.startswith('VmHWM')))\nsys.exit(code)\n"
    )
    started = time.perf_counter()
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=False)
    _sync()
    elapsed = time.perf_counter() - started
    if done.returncode != 0:
        raise RuntimeError(f"fastdeid run failed: {done.stderr[-500:]}")
    return elapsed, int(done.stdout.split("VmHWM:")[1].split()[0])


def bench(size_mb: int, jobs: int, profile: str | None, rounds: int, workdir: Path, log: bool) -> str:
    corpus = workdir / f"archive-{size_mb}mb"
    files = write_archive(corpus, size_mb)
    total = sum(p.stat().st_size for p in files)
    profile_path = profile or str(BENCH_PROFILE)
    log_path = workdir / "bench_deid_log.csv" if log else None
    copy = Timing("cp -r", [])
    ours = Timing("fastdeid", [])
    outputs = workdir / "outputs"
    shutil.rmtree(outputs, ignore_errors=True)
    outputs.mkdir()
    for n in range(rounds):
        copy.seconds.append(_copy(corpus, outputs / f"copy{n}"))
        seconds, peak = _fastdeid(corpus, outputs / f"out{n}", profile_path, jobs, log_path)
        ours.seconds.append(seconds)
        ours.peak_kb = max(ours.peak_kb, peak)
    shutil.rmtree(outputs, ignore_errors=True)
    lines = [
        f"machine: {os.cpu_count()} cores; corpus: {len(files)} files, {total / 1e6:.0f} MB ({corpus}); profile: {profile_path}; jobs: {jobs or os.cpu_count()}; deid log: {'on' if log else 'off'}",
        f"{'':10} {'best s':>8} {'files/s':>9} {'MB/s':>8}  (each side timed until its data is on disk, best of {rounds})",
    ]
    for t in (copy, ours):
        lines.append(f"{t.name:10} {t.best:8.2f} {len(files) / t.best:9.0f} {total / 1e6 / t.best:8.0f}")
    lines.append(
        f"fastdeid / copy wall time: {ours.best / copy.best:.2f}x; fastdeid peak memory: {ours.peak_kb / 1024:.0f} MB"
    )
    return "\n".join(lines)
