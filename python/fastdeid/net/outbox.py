"""The durable outbox: de-identified files wait here until the archive acknowledged them.

One folder per destination (`~/.cache/fastdeid/outbox/<hash of the URL>/`, or `--outbox DIR`),
mode 0700, files 0600. A file is deleted only once the archive acknowledged it, so a crash, a
kill or an unreachable archive loses nothing: the next attempt sends what is still here first.
Resending an instance the archive already has is harmless: the profile is deterministic, so the
copy has the same de-identified UIDs and the archive keeps one.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from ..jobs.resume import MANIFEST
from ..jobs.temporaries import TEMP_SUFFIX
from .url import Destination

SENT_LEDGER = ".fastdeid-sent"  # names of a run's outputs the archive acknowledged (see send.py)
PRIVATE_DIR = 0o700
PRIVATE_FILE = 0o600


def outbox_root(dest: Destination, override: str | os.PathLike[str] | None = None) -> Path:
    """The outbox of DEST, created private (0700) if missing."""
    if override is not None:
        root = Path(override)
    else:
        cache = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
        root = Path(cache) / "fastdeid" / "outbox" / dest.key
    make_private_dir(root)
    return root


def make_private_dir(path: Path) -> None:
    """Creates PATH (and parents) and makes PATH itself readable by its owner only."""
    path.mkdir(parents=True, exist_ok=True)
    os.chmod(path, PRIVATE_DIR)


def queued(root: Path) -> list[Path]:
    """The files waiting in the outbox, oldest first (a stable order: the rerun sends the same
    files first). Run manifests, sent ledgers and half-written temporaries are not files to send."""
    found: list[tuple[int, str, Path]] = []
    for folder, dirs, files in os.walk(root):
        # fastdeid's own bookkeeping has dot names: temporaries, a project's stored profile.
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        for name in files:
            if name in (MANIFEST, SENT_LEDGER) or name.startswith(".") or TEMP_SUFFIX in name:
                continue
            path = Path(folder, name)
            try:
                st = path.lstat()
            except FileNotFoundError:
                continue  # sent by another sender meanwhile
            found.append((st.st_mtime_ns, str(path), path))
    found.sort()
    return [p for _, _, p in found]


def protect(paths: Iterable[Path]) -> None:
    """Makes queued files readable by their owner only (they hold de-identified, not public, data)."""
    for p in paths:
        try:
            if p.stat().st_mode & 0o777 != PRIVATE_FILE:
                os.chmod(p, PRIVATE_FILE)
        except FileNotFoundError:
            pass


@dataclass
class Delivery:
    """What one sending attempt did: files acknowledged (and deleted), refused by the archive
    (kept, with the reason), and left queued because the archive could not be reached."""

    sent: list[Path] = field(default_factory=list)
    failed: list[tuple[Path, str]] = field(default_factory=list)
    queued: list[Path] = field(default_factory=list)
    error: str | None = None  # why the archive could not be reached, if it could not

    def add(self, other: Delivery) -> None:
        self.sent += other.sent
        self.failed += other.failed
        self.queued += other.queued
        self.error = other.error or self.error

    def summary(self) -> str:
        return f"{len(self.sent)} sent, {len(self.failed)} failed, {len(self.failed) + len(self.queued)} queued"


def acknowledged(path: Path, delivery: Delivery) -> None:
    """The archive has PATH: it leaves the outbox."""
    path.unlink(missing_ok=True)
    delivery.sent.append(path)
