"""Subject code maps for ingest (docs/profiles.md#subject-map): `--load-subjects` / `--save-subjects` CSV files whose
header is `<code_format>,<key1>,...` (e.g. `ex{SubjectCode:04d},PatientName,PatientBirthDate`) and
whose rows are `code,value1,...`. Keys compare as `str(value).strip().lower()`."""

from __future__ import annotations

import csv
import os
import tempfile
from pathlib import Path

from ..errors import UsageError


class SubjectMap:
    """Original key values -> subject code, extended with new codes as new patients appear."""

    def __init__(self, code_format: str = "ex{SubjectCode:04d}", keys: tuple[str, ...] = ("PatientID",)):
        self.code_format = code_format
        self.keys = keys
        self.codes: dict[tuple[str, ...], str] = {}

    @classmethod
    def load(cls, path: str | os.PathLike[str]) -> SubjectMap:
        try:
            with Path(path).expanduser().open(newline="", encoding="utf-8") as f:
                rows = list(csv.reader(f))
        except OSError as exc:
            raise UsageError(f"{path}: not-readable: cannot read the subject map ({exc.strerror})") from None
        except (UnicodeDecodeError, csv.Error):
            raise UsageError(f"{path}: bad-subject-map: not a UTF-8 CSV file") from None
        if not rows or len(rows[0]) < 2 or "{SubjectCode" not in rows[0][0]:
            raise UsageError(
                f"{path}: a subject map starts with a header such as ex{{SubjectCode:04d}},PatientName,PatientBirthDate"
            )
        mapping = cls(rows[0][0], tuple(rows[0][1:]))
        for n, row in enumerate(rows[1:], start=2):
            if len(row) != len(rows[0]):
                raise UsageError(f"{path}:{n}: expected {len(rows[0])} columns")
            mapping.codes[_key(row[1:])] = row[0]
        return mapping

    def code(self, values: list[str | None]) -> str:
        key = _key(values)
        if key not in self.codes:
            self.codes[key] = self.code_format.format(SubjectCode=len(self.codes) + 1)
        return self.codes[key]

    def save(self, path: str | os.PathLike[str]) -> None:
        """Writes the map whole under a temporary name, then renames it into place, so an
        interrupt leaves the previous map or the new one. Private (0600) like the deid log: it
        links subject codes to identities."""
        target = Path(path).expanduser()
        try:
            fd, tmp = tempfile.mkstemp(prefix=f".{target.name}-", dir=target.parent)
        except OSError as exc:
            raise UsageError(f"{path}: not-writable: cannot write the subject map ({exc.strerror})") from None
        try:
            with open(fd, "w", newline="", encoding="utf-8") as f:
                writer = csv.writer(f)
                writer.writerow([self.code_format, *self.keys])
                for key, code in self.codes.items():
                    writer.writerow([code, *key])
            os.replace(tmp, target)
        except OSError as exc:
            Path(tmp).unlink(missing_ok=True)
            raise UsageError(f"{path}: not-writable: cannot write the subject map ({exc.strerror})") from None
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise


def _key(values: list[str | None] | list[str]) -> tuple[str, ...]:
    return tuple(str(v or "").strip().lower() for v in values)
