"""`fastdeid bench`: throughput of fastdeid against a plain copy of the same tree, on this machine.

The two are run alternately, each until its data is on disk (`sync` after each): a copy that
follows a slow run would otherwise find the page cache's write-back already done and look several
times faster. Every round writes into a new folder and old outputs are deleted only at the end:
on ext4, creating files right after deleting thousands makes the inode allocator scan the recently
deleted ones, which slowed either side up to fivefold in our runs. fastdeid runs in a child process
so its peak memory (VmHWM) is its own.

With `--dask local:N` a third side runs the same command on a Dask LocalCluster of N one-thread worker
processes, next to `--jobs N`, in the same rounds (copy, jobs, dask, copy, jobs, dask, ...). The cluster
is started once before the rounds and its start-up is reported on its own line, not in the timings: a
real cluster is long-lived, and the command connects to it by address as `--dask tcp://...` would
(docs/scale-out.md#where-it-saturates).
"""

from __future__ import annotations

import os
import shutil
import statistics
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from .profile import builtin
from .synth import write_archive

BENCH_PROFILE = builtin.path("bench")


@dataclass
class Timing:
    name: str
    seconds: list[float]
    peak_kb: int = 0
    work: list[float] = field(default_factory=list)  # seconds from the command's `main` on

    @property
    def best(self) -> float:
        return min(self.seconds)


def _sync() -> None:
    os.sync()


def time_copy(src: Path, dst: Path) -> float:
    _sync()
    started = time.perf_counter()
    if shutil.which("cp"):
        subprocess.run(["cp", "-r", str(src), str(dst)], check=True)
    else:
        shutil.copytree(src, dst)
    _sync()
    return time.perf_counter() - started


def time_fastdeid(
    src: Path, dst: Path, profile: str, jobs: int, log: Path | None, dask: str | None = None
) -> tuple[float, float, int]:
    """Runs the command in a child process: (wall seconds from its start until the data is on disk,
    the same from the call of the command's `main` on, peak memory in KB). With `dask` the child
    imports distributed before that call: the client's start-up, like the cluster's, is not the work."""
    if log is not None:
        log.unlink(missing_ok=True)
    _sync()
    args = ["run", str(src), str(dst), "--profile", profile, "--quiet", "--no-fsync"]
    args += ["--dask", dask] if dask else ["--jobs", str(jobs)]
    if log is not None:
        args += ["--deid-log", str(log)]
    script = (
        "import sys, time\n" + ("import distributed\n" if dask else "") + "from fastdeid.cli import main\n"
        "started = time.perf_counter()\n"
        f"code = main({args!r})\n"
        "print('work', time.perf_counter() - started)\n"
        "print(next(l for l in open('/proc/self/status') if l.startswith('VmHWM')))\nsys.exit(code)\n"
    )
    started = time.perf_counter()
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=False)
    synced = time.perf_counter()
    _sync()
    ended = time.perf_counter()
    if done.returncode != 0:
        raise RuntimeError(f"fastdeid run failed: {done.stderr[-500:]}")
    work = float(done.stdout.split("work ")[1].split()[0]) + ended - synced
    return ended - started, work, int(done.stdout.split("VmHWM:")[1].split()[0])


def bench(
    size_mb: int, jobs: int, profile: str | None, rounds: int, workdir: Path, log: bool, dask: str | None = None
) -> str:
    """The report of `fastdeid bench`. `dask` is `local:N` (then `jobs` is N) or None."""
    corpus = workdir / f"archive-{size_mb}mb"
    files = write_archive(corpus, size_mb)
    total = sum(p.stat().st_size for p in files)
    profile_path = profile or str(BENCH_PROFILE)
    log_path = workdir / "bench_deid_log.csv" if log else None
    copy = Timing("cp -r", [])
    ours = Timing("fastdeid", [])
    on_cluster = Timing("fastdeid --dask", [])
    outputs = workdir / "outputs"
    shutil.rmtree(outputs, ignore_errors=True)
    outputs.mkdir()
    with _cluster(dask) as (address, startup):
        for n in range(rounds):
            copy.seconds.append(time_copy(corpus, outputs / f"copy{n}"))
            seconds, work, peak = time_fastdeid(corpus, outputs / f"out{n}", profile_path, jobs, log_path)
            ours.seconds.append(seconds)
            ours.work.append(work)
            ours.peak_kb = max(ours.peak_kb, peak)
            if address is not None:
                seconds, work, _ = time_fastdeid(corpus, outputs / f"dask{n}", profile_path, jobs, log_path, address)
                on_cluster.seconds.append(seconds)
                on_cluster.work.append(work)
    same = difference(outputs / "out0", outputs / "dask0") if dask else None
    shutil.rmtree(outputs, ignore_errors=True)
    lines = [
        f"machine: {os.cpu_count()} cores; corpus: {len(files)} files, {total / 1e6:.0f} MB ({corpus}); profile: {profile_path}; jobs: {jobs or os.cpu_count()}; deid log: {'on' if log else 'off'}",
        f"{'':15} {'best s':>8} {'files/s':>9} {'MB/s':>8}  (each side timed until its data is on disk, best of {rounds})",
    ]
    sides = (copy, ours, on_cluster) if dask else (copy, ours)
    for t in sides:
        lines.append(f"{t.name:15} {t.best:8.2f} {len(files) / t.best:9.0f} {total / 1e6 / t.best:8.0f}")
    lines.append(
        f"fastdeid / copy wall time: {ours.best / copy.best:.2f}x; fastdeid peak memory: {ours.peak_kb / 1024:.0f} MB"
    )
    if dask:
        lines += _dask_lines(dask, jobs, ours, on_cluster, startup, same)
    return "\n".join(lines)


def _dask_lines(dask: str, jobs: int, ours: Timing, on_cluster: Timing, startup: float, same: str | None) -> list[str]:
    """The comparison of the Dask side with `--jobs N`: throughput ratios, by round and best of
    the rounds, of the work (the command's `main` on, until the data is on disk) and of the wall time."""
    work = [a / b for a, b in zip(ours.work, on_cluster.work)]
    wall = [a / b for a, b in zip(ours.seconds, on_cluster.seconds)]
    return [
        f"--dask {dask} / --jobs {jobs} throughput: {min(ours.work) / min(on_cluster.work):.2f}x best of the rounds "
        f"(work {min(on_cluster.work):.2f} s vs {min(ours.work):.2f} s), by round {_ratios(work)}",
        f"  the whole command, interpreter and imports included: {ours.best / on_cluster.best:.2f}x best, "
        f"by round {_ratios(wall)}",
        f"cluster start-up {startup:.1f} s, once, before the rounds and not timed; outputs of --dask and --jobs: "
        + (same or "identical"),
    ]


def _ratios(values: list[float]) -> str:
    return ", ".join(f"{v:.2f}" for v in values) + f" (median {statistics.median(values):.2f})"


def difference(ours: Path, theirs: Path) -> str | None:
    """How two output trees differ (the first difference), or None when they are byte-identical;
    the resume manifest, which names its run, aside."""
    mine = {p.relative_to(ours) for p in ours.rglob("*") if p.is_file() and not p.name.startswith(".fastdeid")}
    other = {p.relative_to(theirs) for p in theirs.rglob("*") if p.is_file() and not p.name.startswith(".fastdeid")}
    if mine != other:
        return f"DIFFERENT (files only in one: {sorted(mine ^ other)[0]})"
    for rel in sorted(mine):
        if (ours / rel).read_bytes() != (theirs / rel).read_bytes():
            return f"DIFFERENT ({rel})"
    return None


@contextmanager
def _cluster(dask: str | None) -> Iterator[tuple[str | None, float]]:
    """A local cluster for the rounds, started once: (its scheduler's address, start-up seconds)."""
    if dask is None:
        yield None, 0.0
        return
    from .jobs.cluster import connect

    started = time.perf_counter()
    with connect(dask) as client:
        yield client.scheduler.address, time.perf_counter() - started
