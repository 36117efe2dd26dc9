"""The one directory walker, shared by `run`, `deid test` and `ingest`, and the name filters.

--include/--exclude match file names (case-sensitive, exclude wins); --exclude-dirs matches a
folder's own name at any depth; --include-dirs patterns are `/`-separated and matched component by
component. Several --include-dirs patterns are alternatives: the reference requires all of them
at once (docs/compatibility.md, E31), which no folder can satisfy. Symlinked folders are never
entered. A folder that cannot be read is reported to the caller and the walk goes on.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from fnmatch import fnmatchcase
from pathlib import Path

# Names that say "DICOM" (case-insensitive), optionally gzip-compressed. A file that carries one
# of them and does not parse is a failure; any other file that does not parse is skipped as not
# DICOM (PACS exports name files IM00001, so names without an extension are still tried).
DICOM_SUFFIXES = (".dcm", ".dicom", ".ima")
GZIP_SUFFIX = ".gz"

# ingest dicom's default --include: the DICOM names above, and all-digit names with dots.
DICOM_INCLUDE = (
    "*.[dD][cC][mM]",
    "*.[dD][iI][cC][oO][mM]",
    "*.[iI][mM][aA]",
    "*.[dD][cC][mM].[gG][zZ]",
    "*.[dD][iI][cC][oO][mM].[gG][zZ]",
    "*.[iI][mM][aA].[gG][zZ]",
    "[0-9]*[0-9.]*[0-9]",
)


def has_dicom_name(name: str) -> bool:
    """Whether a file name says it is DICOM (`.dcm`, `.dicom`, `.ima`, each optionally `.gz`)."""
    lower = name.lower().removesuffix(GZIP_SUFFIX)
    return lower.endswith(DICOM_SUFFIXES)


def output_name(name: str) -> str:
    """The output's name for an input name: gzip-compressed DICOM is written plain (`a.dcm.gz` -> `a.dcm`)."""
    if name.lower().endswith(GZIP_SUFFIX) and has_dicom_name(name):
        return name[: -len(GZIP_SUFFIX)]
    return name


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


NO_FILTERS = Filters()


def _prefix_match(parts: tuple[str, ...], pattern: list[str]) -> bool:
    return all(fnmatchcase(part, pat) for part, pat in zip(parts, pattern))


def entries(
    root: str, filters: Filters = NO_FILTERS, *, unreadable: list[tuple[str, str]], hidden: bool = True
) -> Iterator[str]:
    """Every non-folder entry under root that passes the filters, in sorted order, as strings (for a
    tree of many small files, pathlib objects cost more than the walk). Symbolic links and special
    files are listed too, so that the core reports them as skipped; `hidden=False` leaves out dot
    entries and symbolic links altogether. A folder that cannot be read is appended to
    `unreadable` as (path, reason) and the walk goes on."""
    yield from _entries(root, (), filters, unreadable, hidden)


def _entries(
    folder: str, rel: tuple[str, ...], filters: Filters, unreadable: list[tuple[str, str]], hidden: bool
) -> Iterator[str]:
    try:
        with os.scandir(folder) as it:
            found = sorted(it, key=lambda e: e.name)
    except OSError as exc:
        unreadable.append((folder, f"cannot read folder: {exc.strerror or exc}"))
        return
    for entry in found:
        if not hidden and (entry.name.startswith(".") or entry.is_symlink()):
            continue
        if entry.is_dir(follow_symlinks=False):
            parts = (*rel, entry.name)
            if filters.dir_ok(parts):
                yield from _entries(entry.path, parts, filters, unreadable, hidden)
        elif filters.file_ok(entry.name):
            yield entry.path


def walk(root: Path, filters: Filters, unreadable: list[tuple[str, str]] | None = None) -> Iterator[Path]:
    """Regular files under root that pass the filters, in sorted order, leaving out dot entries and
    symbolic links (ingest's walk). Unreadable folders go to `unreadable` when given."""
    sink: list[tuple[str, str]] = [] if unreadable is None else unreadable
    for path in entries(str(root), filters, unreadable=sink, hidden=False):
        if os.path.isfile(path):
            yield Path(path)
