"""`filenames:` output-name templates (docs/profiles.md#filenames): the first item whose input-regex matches the
input file's name gives the output name; `{Keyword}` takes the de-identified header value and
`{group}` the captured text passed through the group's rule. Checked by the core when the profile is
compiled; applied by the core (`naming.rs`), which names each output before it is written (see
fastdeid.job). This module holds the compiled form the Python side reads."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class FilenameTemplate:
    output: str
    regex: re.Pattern[str]
    groups: dict[str, dict[str, Any]]  # group name -> core group rule
    keywords: tuple[str, ...]  # header keywords the output uses
