"""Resumable runs: a manifest in DST says which source and profile wrote it, so that the same
command, run again after a crash, a kill or a full disk, finishes the job.

An output only gets its final name once it is complete and on disk, so an existing output is
finished. Where the core names the outputs from what it reads (by UID, `filenames:` templates, the
Basic Profile), an input's output name is only known once it was processed: a journal in DST
(`DONE`) says which inputs are finished and where their outputs went. It is redone when its input changed after it was written (the input's mtime or ctime
is newer than the output, as `make` decides), when the run keeps a deid log that lacks its
before/after pair, or with `--force`.

The manifest holds no path: folder names can identify patients. The source is recorded by its
device and inode, the profile by its digest, and the deid log by its device and inode and the
byte offset where this run's rows start.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..errors import UsageError
from .temporaries import TEMP_SUFFIX

MANIFEST = ".fastdeid-run.json"
DONE = ".fastdeid-done"  # the journal of finished inputs, for outputs the core names (DoneJournal)


def file_id(path: str | os.PathLike[str]) -> str:
    """A path's identity without its name: device and inode."""
    st = os.stat(path)
    return f"{st.st_dev}:{st.st_ino}"


@dataclass(frozen=True)
class Manifest:
    source: str  # file_id of SRC
    profile_sha256: str
    log: str | None = None  # file_id of the deid log
    log_start: int = 0  # where this run's rows start in the log

    def same_job(self, other: Manifest) -> bool:
        return (self.source, self.profile_sha256) == (other.source, other.profile_sha256)

    def to_json(self) -> str:
        return json.dumps(self.__dict__, sort_keys=True) + "\n"

    @staticmethod
    def from_json(text: str) -> Manifest | None:
        try:
            doc: Any = json.loads(text)
            return Manifest(
                str(doc["source"]), str(doc["profile_sha256"]), doc.get("log"), int(doc.get("log_start", 0))
            )
        except (ValueError, KeyError, TypeError):
            return None


def read_manifest(dst: Path) -> tuple[bool, Manifest | None]:
    """(whether DST is a fastdeid run's folder, its manifest). An unreadable or torn manifest in a
    folder that holds nothing else of ours (power lost right after the start) counts as absent."""
    path = dst / MANIFEST
    if not dst.is_dir():
        return False, None
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return False, None
    except OSError as exc:
        raise UsageError(f"{path}: cannot read the run manifest: {exc.strerror}") from None
    manifest = Manifest.from_json(text)
    if manifest is None:
        if any(e.name not in (MANIFEST, DONE) and not e.name.endswith(TEMP_SUFFIX) for e in os.scandir(dst)):
            raise UsageError(f"{path}: damaged run manifest and other files in the folder; use an empty folder")
        return False, None
    return True, manifest


def check_destination(dst: Path, manifest: Manifest) -> Manifest | None:
    """Refuses a DST this job may not write into; returns the previous manifest of a resumed run."""
    if dst.exists() and not dst.is_dir():
        raise UsageError(f"{dst}: exists and is not a folder")
    ours, previous = read_manifest(dst)
    if ours:
        assert previous is not None
        if not previous.same_job(manifest):
            raise UsageError(f"{dst}: holds the output of a run with another source or profile; use an empty folder")
        return previous
    if dst.is_dir() and any(e.name != MANIFEST and not e.name.endswith(TEMP_SUFFIX) for e in os.scandir(dst)):
        raise UsageError(f"{dst}: not empty and not written by a fastdeid run; use an empty folder")
    return None


def write_manifest(dst: Path, manifest: Manifest) -> None:
    """Writes the manifest atomically (temporary file, fsync, rename, fsync of the folder), creating DST."""
    try:
        dst.mkdir(parents=True, exist_ok=True)
        tmp = dst / f"{MANIFEST}.{os.getpid()}{TEMP_SUFFIX}"
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
        try:
            os.write(fd, manifest.to_json().encode())
            os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(tmp, dst / MANIFEST)
        dir_fd = os.open(dst, os.O_RDONLY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)
    except OSError as exc:
        raise UsageError(f"{dst}: cannot write the output folder: {exc.strerror}") from None


def is_finished(src: str, dst: str) -> bool:
    """Whether dst exists and was written after src last changed (mtime or ctime, as make decides)."""
    try:
        out = os.stat(dst)
        inp = os.stat(src)
    except OSError:
        return False
    return out.st_mtime_ns >= max(inp.st_mtime_ns, inp.st_ctime_ns)


def input_id(path: str | os.PathLike[str]) -> str | None:
    """An input's identity and version without its name: device, inode and last change (mtime or
    ctime, the later); None when it cannot be read."""
    try:
        st = os.stat(path)
    except OSError:
        return None
    return f"{st.st_dev}:{st.st_ino}:{max(st.st_mtime_ns, st.st_ctime_ns)}"


class DoneJournal:
    """Which inputs a run whose output names the core decides has finished, and where each output
    went: one line per input, `<input_id>\t<output name relative to DST>`, appended after each
    chunk. It holds no input path (folder names can identify patients); output names are made of
    de-identified values and are in DST already."""

    def __init__(self, dst: Path) -> None:
        self.dst = dst
        self.path = dst / DONE

    def read(self) -> dict[str, str]:
        """input_id -> output name; a torn last line (a kill mid-write) is ignored."""
        try:
            text = self.path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return {}
        except (OSError, UnicodeDecodeError) as exc:
            raise UsageError(f"{self.path}: cannot read the run's journal: {exc}") from None
        done = {}
        for line in text.splitlines():
            key, sep, name = line.partition("\t")
            if sep and name:
                done[key] = name
        return done

    def finished(self, pairs: list[tuple[str, str]]) -> list[tuple[str, str]]:
        """The (input, planned output) pairs whose journaled output exists and is newer than the input."""
        done = self.read()
        out = []
        for src, planned in pairs:
            name = done.get(input_id(src) or "")
            if name is not None and is_finished(src, os.fspath(self.dst / name)):
                out.append((src, planned))
        return out

    def clear(self) -> None:
        self.path.unlink(missing_ok=True)

    def append(self, entries: list[tuple[str, str]]) -> None:
        """Records finished (input path, output path) pairs; flushed, not fsynced: a line lost to a
        power cut only makes a rerun redo that input."""
        lines = []
        for src, out in entries:
            key = input_id(src)
            if key is not None:
                lines.append(f"{key}\t{os.path.relpath(out, self.dst)}\n")
        if not lines:
            return
        try:
            with self.path.open("a", encoding="utf-8") as fh:
                fh.write("".join(lines))
        except OSError as exc:
            raise UsageError(f"{self.path}: cannot write the run's journal: {exc.strerror}") from None
