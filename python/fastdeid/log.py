"""The de-identification log (spec 8): one `before` and one `after` row per file with the original
and new value of every rule's element. It re-identifies the data, so it is created with mode 0600
and never inside the de-identified output tree."""

from __future__ import annotations

import csv
import io
import os
from pathlib import Path

from .errors import UsageError

# Spec 8.1 (profile `deid-log:`) and 8.2 (`deid test`, `--save-deid-logs`): the flavours differ in
# the first column's name and the line ending; both are written as real CSV here (E26).
TOOLKIT = ("path", "\r\n")
CLI = ("src_path", "\n")


class DeidLog:
    """Appends rows to a log file, checking an existing file's header first."""

    def __init__(
        self,
        path: str | os.PathLike[str],
        columns: list[str],
        flavour: tuple[str, str] = TOOLKIT,
        *,
        outside: Path | None = None,
    ):
        self.path = Path(path).expanduser()
        if outside is not None and _inside(self.path, outside):
            raise UsageError(
                f"{self.path}: the deid log re-identifies the data and may not be written inside the output folder {outside}"
            )
        first, self._newline = flavour
        self.header = [first, "type", *columns]
        self._file: io.TextIOWrapper | None = None

    def _open(self) -> io.TextIOWrapper:
        if self._file is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            exists = self.path.exists() and self.path.stat().st_size > 0
            if exists:
                with self.path.open(newline="", encoding="utf-8") as f:
                    old = next(csv.reader(f), [])
                if old != self.header:
                    # The reference appends rows under a different header, misaligning columns (E26).
                    raise UsageError(f"{self.path}: an existing deid log with other columns; choose another log file")
            fd = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
            os.chmod(self.path, 0o600)
            self._file = open(fd, "w", newline="", encoding="utf-8")  # noqa: SIM115 (closed in close())
            self._writer = csv.writer(self._file, lineterminator=self._newline)
            if not exists:
                self._writer.writerow(self.header)
        return self._file

    def check(self) -> None:
        """Opens the log now, so a bad log path stops a run before any file is written."""
        self._open()

    def write(self, path: str, before: list[str | None], after: list[str | None] | None) -> None:
        """Writes a file's rows; a file whose rules failed has only its `before` row (spec 8.1)."""
        self._open()
        self._writer.writerow([path, "before", *("" if v is None else v for v in before)])
        if after is not None:
            self._writer.writerow([path, "after", *("" if v is None else v for v in after)])

    def close(self) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None


def _inside(path: Path, folder: Path) -> bool:
    p, f = path.resolve(), folder.resolve()
    return p == f or f in p.parents
