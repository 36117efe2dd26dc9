"""Hierarchy labels and file names of an ingest, from de-identified header values (spec 9.4).

Labels follow flywheel-cli: subject = PatientID, session = the study timestamp
(`%Y-%m-%d %H:%M:%S`) or StudyInstanceUID, acquisition = "SeriesNumber - SeriesDescription" (or
the series timestamp, or SeriesInstanceUID), file = "<SOPInstanceUID>.<Modality>.dcm".
"""

from __future__ import annotations

import re
from datetime import datetime

# Header values an ingest reads for each file, after the profile's rules.
LABEL_KEYWORDS = (
    "PatientID",
    "StudyInstanceUID",
    "SeriesInstanceUID",
    "SOPInstanceUID",
    "StudyDate",
    "StudyTime",
    "SeriesNumber",
    "SeriesDescription",
    "Modality",
    "Manufacturer",
    "SeriesDate",
    "SeriesTime",
    "AcquisitionDate",
    "AcquisitionTime",
)


def timestamp(date: str | None, time: str | None) -> str | None:
    """`%Y-%m-%d %H:%M:%S` of a DA and a TM, or None without a valid date."""
    if not date:
        return None
    try:
        day = datetime.strptime(date.strip()[:8], "%Y%m%d")
    except ValueError:
        return None
    digits = re.match(r"\d*", (time or "").strip().replace(":", "")).group(0)  # type: ignore[union-attr]
    h, m, s = (int(digits[i : i + 2]) if len(digits) > i else 0 for i in (0, 2, 4))
    if h > 23 or m > 59 or s > 59:
        return day.strftime("%Y-%m-%d %H:%M:%S")
    return day.replace(hour=h, minute=m, second=s).strftime("%Y-%m-%d %H:%M:%S")


def safe(label: str) -> str:
    """A label usable as one path component: no separators, NULs or leading dots."""
    cleaned = re.sub(r"[/\\\x00]", "_", label).strip()
    return "_" + cleaned if cleaned.startswith(".") else cleaned


def session_label(v: dict[str, str | None]) -> str | None:
    return timestamp(v.get("StudyDate"), v.get("StudyTime")) or v.get("StudyInstanceUID")


def acquisition_label(v: dict[str, str | None]) -> str | None:
    if (v.get("Manufacturer") or "").upper() == "SIEMENS":
        stamp = timestamp(v.get("SeriesDate"), v.get("SeriesTime"))
    else:
        stamp = timestamp(v.get("AcquisitionDate"), v.get("AcquisitionTime"))
    label = (v.get("SeriesDescription") or "").replace(",", "_") or stamp or v.get("SeriesInstanceUID")
    if not label:
        return None
    number = v.get("SeriesNumber")
    return f"{number} - {label}" if number not in (None, "") else label


def file_name(v: dict[str, str | None], fallback: str) -> str:
    sop = v.get("SOPInstanceUID")
    if not sop:
        return fallback
    modality = (v.get("Modality") or "").replace("/", "_") or "NA"
    return safe(f"{sop}.{modality}.dcm")
