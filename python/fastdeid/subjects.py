"""Subject code maps for ingest (spec 9.6): `--load-subjects` / `--save-subjects` CSV files whose
header is `<code_format>,<key1>,...` (e.g. `ex{SubjectCode:04d},PatientName,PatientBirthDate`) and
whose rows are `code,value1,...`. Keys compare as `str(value).strip().lower()`."""

from __future__ import annotations

import csv
import os
from pathlib import Path

from .errors import UsageError


class SubjectMap:
    """Original key values -> subject code, extended with new codes as new patients appear."""

    def __init__(self, code_format: str = "ex{SubjectCode:04d}", keys: tuple[str, ...] = ("PatientID",)):
        self.code_format = code_format
        self.keys = keys
        self.codes: dict[tuple[str, ...], str] = {}

    @classmethod
    def load(cls, path: str | os.PathLike[str]) -> SubjectMap:
        with Path(path).open(newline="", encoding="utf-8") as f:
            rows = list(csv.reader(f))
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
        # The map links subject codes to identities: private like the deid log.
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with open(fd, "w", newline="", encoding="utf-8") as f:
            writer = csv.writer(f)
            writer.writerow([self.code_format, *self.keys])
            for key, code in self.codes.items():
                writer.writerow([code, *key])


def _key(values: list[str | None] | list[str]) -> tuple[str, ...]:
    return tuple(str(v or "").strip().lower() for v in values)
