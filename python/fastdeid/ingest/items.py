"""An ingest's inputs: the files under SRC with the labels fixed for each, found by walking the tree
(`ingest dicom`: files with DICOM names by default) or by matching folder names with the config's
template (`ingest template`, template.py)."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from ..jobs.walk import DICOM_INCLUDE, Filters, walk
from .template import compile_template, match

# The labels a template captures for each file; group and project are the ingest's, not a file's.
FILE_LABELS = ("subject", "session", "acquisition")


@dataclass(frozen=True)
class Item:
    """One input file and the labels fixed for it (by --subject/--session or a template)."""

    src: Path
    rel: str
    labels: dict[str, str] = field(default_factory=dict)


def dicom_items(
    src: Path, filters: Filters, fixed: dict[str, str], unreadable: list[tuple[str, str]] | None = None
) -> list[Item]:
    """`ingest dicom`: every file under SRC that passes the filters (without --include, the names
    that say DICOM and all-digit names), with the labels FIXED by the command line."""
    if not filters.include:
        filters = replace(filters, include=DICOM_INCLUDE)
    return [Item(p, p.relative_to(src).as_posix(), dict(fixed)) for p in walk(src, filters, unreadable)]


def template_items(
    src: Path,
    template: Any,
    filters: Filters,
    fixed: dict[str, str],
    unreadable: list[tuple[str, str]] | None = None,
    *,
    group: str | None = None,
    project: str | None = None,
) -> tuple[list[Item], str | None, str | None]:
    """`ingest template`: every file the TEMPLATE places under SRC, with the labels its folders
    captured (FIXED ones win), and the group and project: those given, else the first captured."""
    items = []
    for path, captured in match(src, compile_template(template), filters, unreadable):
        labels = {**{k: v for k, v in captured.items() if k in FILE_LABELS}, **fixed}
        group, project = group or captured.get("group"), project or captured.get("project")
        items.append(Item(path, path.relative_to(src).as_posix(), labels))
    return items, group, project
