"""`fastdeid profile coverage PROFILE SAMPLE_DIR`: the elements present in a sample that a profile
neither changes nor explicitly keeps, grouped by tag with counts: what users otherwise find by
reading dcmdump listings by hand. The sample is listed by the core (`fastdeid.dump_partial`,
headers only); the profile is read through `profile_scope`, a small adapter over the loaded profile.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from .._core import basic_row, dump_partial
from ..errors import DicomError, UsageError
from .load import load_profile

# One element line of a listing: indentation, tag, VR, then the keyword (or [CREATOR] / (private) /
# (unknown), which may hold spaces) padded to KEYWORD_WIDTH and the value.
_ELEMENT = re.compile(r"^( *)\(([0-9A-F]{4}),([0-9A-F]{4})\) ([A-Z]{2}) (.*)$")
KEYWORD_WIDTH = 32  # `fastdeid dump`'s keyword column (rust/core/src/dicom/dump.rs)


@dataclass(frozen=True)
class ProfileScope:
    """What coverage needs to know of a profile: the tags its rules name (any action, keep
    included), its regex rules (matched from the start of the keyword or of the tag's eight hex
    digits), its whole-class flags, and whether the PS3.15 Basic Profile is its base (then every
    element a Table E.1-1 row or a fastdeid addition names is changed or explicitly kept)."""

    tags: frozenset[int]
    patterns: tuple[re.Pattern[str], ...]
    removes_private: bool
    removes_undefined: bool
    basic: bool = False

    def covers(self, tag: int, keyword: str) -> bool:
        hex_tag = f"{tag:08X}"
        if tag in self.tags or any(p.match(keyword) or p.match(hex_tag) for p in self.patterns):
            return True
        # Options only change a row's action (to K or C), never whether a row names the tag.
        if self.basic and basic_row(tag) is not None:
            return True
        if self.removes_private and (tag >> 16) % 2 == 1:
            return True
        return self.removes_undefined  # every element no rule names is removed


def profile_scope(profile: str | os.PathLike[str]) -> ProfileScope:
    """The adapter: reads only rule tags, regex patterns, the two removal flags and whether the
    Basic Profile is the base from the loaded profile, so coverage does not depend on the rest of
    its shape. No key is needed: coverage writes nothing."""
    prof = load_profile(profile)
    tags = frozenset(r.tag for r in prof.rules if r.tag is not None)
    patterns = tuple(re.compile(str(r.address.target["regex"])) for r in prof.rules if r.address.kind == "regex")
    spec = prof.spec
    return ProfileScope(
        tags,
        patterns,
        bool(spec.get("remove_private_tags")),
        bool(spec.get("remove_undefined")),
        basic=spec.get("base") is not None,
    )


@dataclass
class Uncovered:
    """One tag the profile leaves alone: its VR and name as listed, in how many files and how often."""

    tag: int
    vr: str
    keyword: str
    files: int = 0
    times: int = 0
    nested: bool = False  # seen inside a sequence
    top: bool = False  # seen at the top level


@dataclass
class Coverage:
    profile: str
    files: int = 0
    unreadable: int = 0
    elements: dict[int, Uncovered] = field(default_factory=dict)

    def lines(self) -> list[str]:
        out = []
        for u in sorted(self.elements.values(), key=lambda u: u.tag):
            where = (" (also in sequences)" if u.top else " (in sequences only)") if u.nested else ""
            tag = f"({u.tag >> 16:04X},{u.tag & 0xFFFF:04X})"
            out.append(f"{tag} {u.vr} {u.keyword:<40} {u.files:>6} file(s) {u.times:>7} time(s){where}")
        skipped = f", {self.unreadable} not readable as DICOM" if self.unreadable else ""
        out.append(
            f"{len(self.elements)} tag(s) in {self.files} file(s){skipped} that profile {self.profile} "
            "neither changes nor explicitly keeps"
        )
        return out


def coverage(profile: str | os.PathLike[str], sample: str | os.PathLike[str]) -> Coverage:
    """The elements of the DICOM files under SAMPLE that PROFILE's rules do not name."""
    root = Path(sample)
    if not root.exists():
        raise UsageError(f"{os.fspath(sample)}: io: no such file or folder")
    scope = profile_scope(profile)
    result = Coverage(os.fspath(profile))
    for path in _files(root):
        text, error = dump_partial(path)
        if isinstance(error, DicomError) and not text.strip("# \n"):
            result.unreadable += 1
            continue
        result.files += 1
        seen: set[int] = set()
        for tag, vr, keyword, nested in _elements(text.splitlines()):
            if (tag >> 16) in (0x0002, 0xFFFE) or tag & 0xFFFF == 0 or scope.covers(tag, keyword):
                continue
            entry = result.elements.setdefault(tag, Uncovered(tag, vr, keyword))
            entry.times += 1
            entry.nested = entry.nested or nested
            entry.top = entry.top or not nested
            if tag not in seen:
                seen.add(tag)
                entry.files += 1
    return result


def _files(root: Path) -> Iterable[Path]:
    if root.is_file():
        yield root
        return
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames.sort()
        for name in sorted(filenames):
            path = Path(dirpath) / name
            if not path.is_symlink():
                yield path


def _elements(lines: list[str]) -> Iterable[tuple[int, str, str, bool]]:
    for line in lines:
        m = _ELEMENT.match(line)
        if m:
            indent, group, element, vr, rest = m.groups()
            padded = len(rest) > KEYWORD_WIDTH and rest[KEYWORD_WIDTH] == " "
            # A keyword longer than the column has no padding, and no spaces either (PS3.6 keywords).
            keyword = rest[:KEYWORD_WIDTH].rstrip() if padded else rest.split(" ", 1)[0]
            yield int(group + element, 16), vr, keyword, bool(indent)
