"""`filenames:` output-name templates (docs/profiles.md#filenames): the first item whose input-regex matches the
input file's name gives the output name; `{Keyword}` takes the de-identified header value and
`{group}` the captured text passed through the group's rule. Checked here; applied by the core
(`naming.rs`), which names each output before it is written (see fastdeid.job)."""

from __future__ import annotations

import re
import string
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from .dictionary import lower_keywords, tag_for_keyword
from .errors import ProfileError
from .regex_sub import _group_rule


@dataclass(frozen=True)
class FilenameTemplate:
    output: str
    regex: re.Pattern[str]
    groups: dict[str, dict[str, Any]]  # group name -> core group rule
    keywords: tuple[str, ...]  # header keywords the output uses


def compile_filenames(raw: Any, dicom: dict[str, Any], where: str, now: datetime) -> list[FilenameTemplate]:
    if not isinstance(raw, list):
        raise ProfileError(f"{where}: filenames must be a list of {{output, input-regex, groups}} items")
    out = []
    for item in raw:
        if (
            not isinstance(item, dict)
            or not isinstance(item.get("output"), str)
            or not isinstance(item.get("input-regex"), str)
        ):
            raise ProfileError(f"{where}: each filenames item needs `output:` and `input-regex:` strings")
        try:
            regex = re.compile(item["input-regex"])
        except re.error as exc:
            raise ProfileError(f"{where}: filenames input-regex does not compile: {exc}") from None
        captures = set(regex.groupindex)
        for name in captures:
            if name.lower() in lower_keywords():
                raise ProfileError(f"{where}: filenames input-regex group {name!r} is colliding with Dicom keywords")
        groups = {g["name"]: g for g in (_group_rule(r, captures, dicom, where, now) for r in item.get("groups") or [])}
        keywords = []
        for var in (v for _, v, _, _ in string.Formatter().parse(item["output"]) if v):
            if var in captures:
                continue
            if tag_for_keyword(var) is None:
                raise ProfileError(
                    f"{where}: filenames output variable {{{var}}} is neither a DICOM keyword nor a group of input-regex"
                )
            keywords.append(var)
        out.append(FilenameTemplate(item["output"], regex, groups, tuple(keywords)))
    return out
