"""Hierarchy labels of an ingest (docs/profiles.md#ingest-labels). The labels and file names are made in the core
(`naming.rs`), from de-identified header values, as flywheel-cli makes them: subject = PatientID,
session = the study timestamp (`%Y-%m-%d %H:%M:%S`) or StudyInstanceUID, acquisition =
"SeriesNumber - SeriesDescription" (or the series timestamp, or SeriesInstanceUID), file =
"<SOPInstanceUID>.<Modality>.dcm". Here: the header values the core reads for them, and `safe`
for folder names Python makes itself (a project's profile folder).
"""

from __future__ import annotations

import re

from .._core import label_keywords

# Header values an ingest reads for each file, after the profile's rules: the core names outputs
# by them, so the core's list is the one list.
LABEL_KEYWORDS: tuple[str, ...] = tuple(label_keywords())


def safe(label: str) -> str:
    """A label usable as one path component: no separators, NULs or leading dots."""
    cleaned = re.sub(r"[/\\\x00]", "_", label).strip()
    return "_" + cleaned if cleaned.startswith(".") else cleaned
