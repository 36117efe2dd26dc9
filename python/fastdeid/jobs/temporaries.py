"""fastdeid's own temporary files and folders in a destination, and how what a dead run left there
is told from what a live run is still writing, and removed.

An output is written under a temporary name (TEMP_SUFFIX, by the core: rust/core/src/batch.rs) and
renamed or linked into place once complete, so a final name only ever holds a complete file. A run
killed outright leaves its temporaries: a `run` destination is the run's own, so the rerun removes
them all; an ingest destination may be shared by concurrent ingests, so only those of dead
processes go (their names carry the writer's pid). A Dask client stages chunks in folders of its
own (STAGING in a run's destination, TEMP_FOLDER in an ingest's), locked while the run lasts
(`held`), so that the next run removes only those nobody holds (`sweep`).
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
from collections.abc import Iterator
from pathlib import Path

try:
    import fcntl
except ImportError:  # not POSIX: no locks, so stale staging folders are not swept
    fcntl = None  # type: ignore[assignment]

TEMP_SUFFIX = ".fastdeid-tmp"  # the core's temporary outputs
TEMP_FOLDER = ".fastdeid-tmp"  # below an ingest's DEST: where its outputs are written before they are linked
STAGING = ".fastdeid-staging"  # below a run's DST: a cluster run's staged chunks, never final outputs
# A temporary output's name ends with `.<pid>-<n>.fastdeid-tmp`.
TEMP_NAME = re.compile(rf"\.(\d+)-\d+{re.escape(TEMP_SUFFIX)}$")


def remove_stale_temporaries(dst: Path) -> None:
    """Temporary outputs a killed run left behind (never final-named, so never complete), and the
    staging folder of a killed cluster client (its chunks were never placed: the rerun redoes them)."""
    for stale in dst.rglob(f"*{TEMP_SUFFIX}"):
        stale.unlink(missing_ok=True)
    shutil.rmtree(dst / STAGING, ignore_errors=True)


def remove_dead_temporaries(folder: Path) -> None:
    """Removes the temporary files of processes that are gone (a killed ingest's half-written
    outputs); a live run's are kept."""
    try:
        entries = list(os.scandir(folder))
    except FileNotFoundError:
        return
    for entry in entries:
        m = TEMP_NAME.search(entry.name)
        if m is not None and not _alive(int(m.group(1))):
            with contextlib.suppress(OSError):
                os.unlink(entry.path)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # another user's process
    return True


def sweep(parent: Path, prefix: str) -> None:
    """Removes the staging folders under PARENT whose run is gone (nobody holds their lock)."""
    with os.scandir(parent) as entries:
        stale = [e.path for e in entries if e.name.startswith(prefix) and e.is_dir(follow_symlinks=False)]
    for path in stale:
        try:
            with held(Path(path), blocking=False):
                shutil.rmtree(path, ignore_errors=True)
        except OSError:
            continue  # locked by a live run, or not ours to open: leave it


@contextlib.contextmanager
def held(folder: Path, *, blocking: bool) -> Iterator[None]:
    """An exclusive advisory lock (flock) on a folder, released by the kernel when the process
    dies however it dies. Raises BlockingIOError when not blocking and another process holds it.
    Where flock is missing (not POSIX) the lock is a no-op and stale folders stay."""
    if fcntl is None:
        yield
        return
    fd = os.open(folder, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | (0 if blocking else fcntl.LOCK_NB))
        yield
    finally:
        os.close(fd)
