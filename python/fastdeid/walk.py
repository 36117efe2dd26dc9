"""The ingest walker's filters (spec 9.5), shared by `ingest dicom` and `ingest template`.

--include/--exclude match file names (case-sensitive, exclude wins); --exclude-dirs matches a
folder's own name at any depth; --include-dirs patterns are `/`-separated and matched component by
component. Several --include-dirs patterns are alternatives: the reference requires all of them
at once (E31), which no folder can satisfy. Dot files and folders, and symlinked folders, are
skipped.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from fnmatch import fnmatchcase
from pathlib import Path

DICOM_INCLUDE = (
    "*.[dD][cC][mM]",
    "*.[dD][cC][mM].[gG][zZ]",
    "*.[dD][iI][cC][oO][mM]",
    "*.[dD][iI][cC][oO][mM].[gGzZ]",
    "*.[iI][mM][aA]",
    "*.[iI][mM][aA].[gG][zZ]",
    "[0-9]*[0-9.]*[0-9]",
)


@dataclass(frozen=True)
class Filters:
    include: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()
    include_dirs: tuple[str, ...] = ()
    exclude_dirs: tuple[str, ...] = ()

    def file_ok(self, name: str) -> bool:
        if any(fnmatchcase(name, p) for p in self.exclude):
            return False
        return not self.include or any(fnmatchcase(name, p) for p in self.include)

    def dir_ok(self, rel_parts: tuple[str, ...]) -> bool:
        """Whether a folder (its path below the root) may be entered."""
        if any(fnmatchcase(rel_parts[-1], p) for p in self.exclude_dirs):
            return False
        if not self.include_dirs:
            return True
        # A folder is entered while it is a prefix of, or inside, some include-dirs pattern.
        return any(_prefix_match(rel_parts, p.strip("/").split("/")) for p in self.include_dirs)


def _prefix_match(parts: tuple[str, ...], pattern: list[str]) -> bool:
    return all(fnmatchcase(part, pat) for part, pat in zip(parts, pattern))


def walk(root: Path, filters: Filters) -> Iterator[Path]:
    """Files under root that pass the filters, in sorted order."""
    yield from _walk(root, (), filters)


def _walk(folder: Path, rel: tuple[str, ...], filters: Filters) -> Iterator[Path]:
    with os.scandir(folder) as it:
        entries = sorted(it, key=lambda e: e.name)
    for e in entries:
        if e.name.startswith(".") or e.is_symlink():
            continue  # dot entries are skipped and symlinks are not followed
        if e.is_dir():
            parts = (*rel, e.name)
            if filters.dir_ok(parts):
                yield from _walk(Path(e.path), parts, filters)
        elif e.is_file() and filters.file_ok(e.name):
            yield Path(e.path)
