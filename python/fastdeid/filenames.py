"""`filenames:` output-name templates (docs/profiles.md#filenames): the first item whose input-regex matches the
input file's name gives the output name; `{Keyword}` takes the de-identified header value and
`{group}` the captured text passed through the group's rule. Checked and compiled by the core with
the profile, and applied by the core (`naming.rs`), which names each output before it is written
(see fastdeid.job). This module holds what the Python side reads of them: the deid log shows the
text each group captured."""

from __future__ import annotations

import re
from dataclasses import dataclass


@dataclass(frozen=True)
class FilenameTemplate:
    output: str
    regex: re.Pattern[str]
    groups: tuple[str, ...]  # names of the groups that have a rule (logged as `_fwmtk_filename{i}_{group}`)
    keywords: tuple[str, ...]  # header keywords the output uses
