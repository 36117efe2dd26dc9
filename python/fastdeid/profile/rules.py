"""What Python reads of a compiled profile's rules: where each field rule points, as the core
resolved its name (`docs/profiles.md#addressing`: keywords, hex and tuple tags, private
`(gggg, "Creator", ee)`, nested paths with indices and `*`, 50xx/60xx repeaters, and `regex:`),
and its `filenames:` output-name templates (docs/profiles.md#filenames).

Both are checked, compiled and applied by the core; the core names each output before it is
written (see fastdeid.jobs.naming). Python reads the rules to list and cover them (`profile
coverage`) and the templates for the deid log, which shows the text each group captured.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Address:
    """Where a field rule points."""

    name: str  # the name as the log shows it (keywords case-corrected)
    kind: str  # keyword | tag | private | repeater | path | regex
    target: dict[str, Any]  # the core's form: {"path": [...]} or {"regex": "..."}
    tag: int | None  # the leaf element's tag when it is fixed
    vr: str | None  # the leaf's dictionary VR, when known


@dataclass(frozen=True)
class FieldRule:
    """One validated field rule, in the order it runs."""

    address: Address
    action: str
    value: Any = None
    insert: bool = True
    shift: dict[str, Any] | None = None  # increment-date/-datetime parameters
    jitter: dict[str, Any] | None = None  # jitter parameters
    cases: list[dict[str, Any]] | None = None  # regex-sub cases

    @property
    def name(self) -> str:
        return self.address.name

    @property
    def tag(self) -> int | None:
        return self.address.tag


@dataclass(frozen=True)
class FilenameTemplate:
    """A `filenames:` item: the first whose input-regex matches the input file's name gives the
    output name; `{Keyword}` takes the de-identified header value and `{group}` the captured text
    passed through the group's rule."""

    output: str
    regex: re.Pattern[str]
    groups: tuple[str, ...]  # names of the groups that have a rule (logged as `_fwmtk_filename{i}_{group}`)
    keywords: tuple[str, ...]  # header keywords the output uses
