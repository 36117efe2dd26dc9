"""What a front end (`run`, `ingest`) does around the core's chunks: how many worker threads,
Ctrl-C between chunks, and after each chunk its deid log rows in one write and its output names
made durable. A full disk or a folder that cannot be synced stops the run; a rerun finishes it."""

from __future__ import annotations

import os
import signal
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from ..errors import UsageError
from .deid_log import DeidLog, LogDiskFull, Row
from .job import Engine
from .report import Report


def effective_jobs(jobs: int, files: int) -> tuple[int, str | None]:
    """The worker count for `jobs` (0 = every core), capped at 4x the cores and at the number of
    files, with a note when the request was cut down."""
    if jobs < 0:
        raise UsageError(f"--jobs {jobs}: must be 0 (every core) or a positive number of worker threads")
    cores = os.cpu_count() or 1
    limit = 4 * cores
    wanted = jobs or cores
    note = None
    if wanted > limit:
        note = f"--jobs {jobs} is more than 4x the {cores} cores; using {limit}"
        wanted = limit
    return max(1, min(wanted, files)), note


@contextmanager
def interrupts() -> Iterator[Callable[[], bool]]:
    """Ctrl-C during a run: the files being processed are finished and logged, then the run stops
    (a rerun resumes). The core holds no Python state, so the chunk in flight always completes."""
    if threading.current_thread() is not threading.main_thread():
        yield lambda: False
        return
    flag = threading.Event()
    previous = signal.signal(signal.SIGINT, lambda *_: flag.set())
    try:
        yield flag.is_set
    finally:
        signal.signal(signal.SIGINT, previous)


def write_log(log: DeidLog, rows: list[Row], report: Report) -> None:
    """Appends a chunk's rows in one write; a full disk stops the run (its files are redone on rerun)."""
    try:
        log.write(rows)
    except LogDiskFull as exc:
        report.notes.append(str(exc))
        report.stopped = "disk-full"


def sync_names(engine: Engine, root: str, report: Report) -> None:
    """Makes a chunk's output names durable: the core fsyncs the folders its outputs were renamed
    into since the last chunk (and those above them, up to ROOT), so an output a rerun counts as
    finished survives a power cut. A folder that cannot be synced stops the run like a full
    disk: its files are redone on rerun."""
    try:
        engine.sync()
    except OSError as exc:
        report.notes.append(f"{root}: io: {exc}")
        report.stopped = "disk-full"
