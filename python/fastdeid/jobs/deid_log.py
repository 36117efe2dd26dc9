"""The de-identification log (docs/profiles.md, "The deid log"): one `before` and one `after` row
per file with the original and new value of every rule's element. It re-identifies the data, so it
is created with mode 0600 and never inside the de-identified output tree.

The log is the only way back to the patient, so it must match the outputs exactly: rows are
appended a chunk at a time in one write, a resumed run first cuts a torn last row and drops rows
of files it will redo, and an output whose rows are missing is redone (see resume.py).
"""

from __future__ import annotations

import csv
import errno
import io
import os
from collections.abc import Iterable
from pathlib import Path

from ..errors import UsageError

# The flavours differ only in their line ending: the profile's `deid-log:` writes CRLF as the
# reference's toolkit does, `deid test` and `ingest --save-deid-logs` LF as its CLI does. Both
# name the first column `src_path`, the input's path relative to SRC (docs/compatibility.md).
TOOLKIT = "\r\n"
CLI = "\n"
PATH_COLUMN = "src_path"

Row = tuple[str, list[str | None], list[str | None] | None]  # path, before, after (None: the file failed)


class DeidLog:
    """Appends rows to a log file, checking an existing file's header first."""

    def __init__(
        self,
        path: str | os.PathLike[str],
        columns: list[str],
        newline: str = TOOLKIT,
        *,
        outside: Path | None = None,
    ):
        self.path = Path(path).expanduser()
        if outside is not None and _inside(self.path, outside):
            raise UsageError(
                f"{self.path}: the deid log re-identifies the data and may not be written inside the output folder {outside}"
            )
        self._newline = newline
        self.header = [PATH_COLUMN, "type", *columns]
        self._fd: int | None = None

    def open(self) -> None:
        """Opens (or creates) the log now, so a bad log path stops a run before any file is written."""
        if self._fd is not None:
            return
        if self.path.is_dir():
            raise UsageError(f"{self.path}: the deid log path is a folder; give a file name")
        if not self.path.parent.parent.is_dir():
            # One missing folder is made (a fresh `logs/`); a deeper missing path is more likely a typo.
            raise UsageError(
                f"{self.path}: not-writable: the deid log's folder {self.path.parent.parent} does not exist"
            )
        try:
            self.path.parent.mkdir(exist_ok=True)
            exists = self.path.exists() and self.path.stat().st_size > 0
            if exists:
                with self.path.open(newline="", encoding="utf-8", errors="surrogateescape") as f:
                    old = next(csv.reader(f), [])
                if old != self.header:
                    # The reference appends rows under a different header, misaligning columns (E26).
                    raise UsageError(f"{self.path}: an existing deid log with other columns; choose another log file")
            self._fd = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
            os.chmod(self.path, 0o600)
        except OSError as exc:
            raise UsageError(f"{self.path}: not-writable: cannot write the deid log ({exc.strerror})") from None
        if not exists:
            self._append(self._encode([self.header]))

    @property
    def size(self) -> int:
        """The log's length in bytes: where the next row goes."""
        return self.path.stat().st_size

    def file_id(self) -> str:
        st = self.path.stat()
        return f"{st.st_dev}:{st.st_ino}"

    def write(self, rows: Iterable[Row]) -> None:
        """Appends the rows of finished files in one write; a failed file has only its `before` row."""
        records: list[list[str]] = []
        for path, before, after in rows:
            records.append([path, "before", *("" if v is None else v for v in before)])
            if after is not None:
                records.append([path, "after", *("" if v is None else v for v in after)])
        if records:
            self._append(self._encode(records))

    def sync(self) -> None:
        """fsync(2): the rows written so far survive a power cut (`listen` before it acknowledges)."""
        if self._fd is not None:
            os.fsync(self._fd)

    def keep_only(self, start: int, finished: set[str]) -> set[str]:
        """For a resumed run: keeps, of the rows from byte `start` on, one before/after pair for each
        path in `finished` and drops the rest (a torn last row, rows of files that will be redone);
        returns the paths that kept a pair. The file is rewritten atomically."""
        self.open()
        data = self.path.read_bytes()
        start = min(max(start, 0), len(data))
        head, tail = data[:start], data[start:].decode("utf-8", errors="surrogateescape")
        pairs: dict[str, list[list[str]]] = {}
        pending: list[str] | None = None
        for record in _complete_records(tail, self._newline, len(self.header)):
            if record[1] == "before":
                pending = record
            elif record[1] == "after" and pending is not None and pending[0] == record[0]:
                if record[0] in finished and record[0] not in pairs:
                    pairs[record[0]] = [pending, record]
                pending = None
        kept = head + self._encode([r for pair in pairs.values() for r in pair])
        if kept != data:
            self._replace(kept)
        return set(pairs)

    def close(self) -> None:
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None

    def _encode(self, records: list[list[str]]) -> bytes:
        buf = io.StringIO()
        csv.writer(buf, lineterminator=self._newline).writerows(records)
        return buf.getvalue().encode("utf-8", errors="surrogateescape")

    def _append(self, data: bytes) -> None:
        assert self._fd is not None
        view = memoryview(data)
        while view:
            try:
                n = os.write(self._fd, view)
            except OSError as exc:
                if exc.errno == errno.ENOSPC:
                    raise LogDiskFull(f"{self.path}: the disk holding the deid log is full") from None
                raise UsageError(f"{self.path}: not-writable: cannot write the deid log ({exc.strerror})") from None
            view = view[n:]

    def _replace(self, data: bytes) -> None:
        self.close()
        tmp = self.path.with_name(f".{self.path.name}.{os.getpid()}.fastdeid-tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        try:
            os.write(fd, data)
            os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(tmp, self.path)
        self.open()


class LogDiskFull(UsageError):
    """The deid log could not be written because its disk is full; the run stops like on a full output disk."""


def _complete_records(text: str, newline: str, width: int) -> list[list[str]]:
    """The well-formed records of a log's text: a torn last record (cut by a kill or a power loss)
    is left out, and so is any record with the wrong number of columns."""
    records: list[list[str]] = []
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    try:
        records.extend(reader)
    except csv.Error:
        pass  # an unterminated quote: the last record was cut
    else:
        if records and not text.endswith(newline):
            records.pop()  # cut after its last complete field
    return [r for r in records if len(r) == width]


def _inside(path: Path, folder: Path) -> bool:
    p, f = path.resolve(), folder.resolve()
    return p == f or f in p.parents
