"""`ingest template` (docs/profiles.md#ingest-template): a list of patterns, one per folder level, whose `{group}`,
`{project}`, `{subject}`, `{session}` and `{acquisition}` placeholders capture labels from folder
names. `packfile_type: dicom` packs everything below that level into the acquisition.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..errors import UsageError
from ..jobs.walk import Filters, walk

LEVELS = ("group", "project", "subject", "session", "acquisition")
GROUP_PATTERN = r"[0-9a-z][0-9a-z.@_-]{0,30}[0-9a-z]"


@dataclass(frozen=True)
class Node:
    regex: re.Pattern[str]
    packfile: bool = False
    ignore: bool = False


def compile_template(spec: Any) -> list[list[Node]]:
    """The template as, per level, the alternatives to try in order."""
    if isinstance(spec, str):
        spec = [s for s in spec.split(":") if s]
    if not isinstance(spec, list) or not spec:
        raise UsageError("the template must be a non-empty list of folder patterns")
    return [
        [_node(i) for i in (item["select"] if isinstance(item, dict) and "select" in item else [item])] for item in spec
    ]


def _node(item: Any) -> Node:
    if isinstance(item, str):
        item = {"pattern": item}
    if not isinstance(item, dict) or not isinstance(item.get("pattern"), str):
        raise UsageError(f"template item {item!r} needs a pattern")
    packfile = item.get("packfile_type", item.get("packfile-type"))
    if packfile not in (None, "dicom"):
        raise UsageError(f"packfile_type {packfile!r} is not supported (only dicom)")
    try:
        regex = re.compile(_to_regex(item["pattern"]))
    except re.error as exc:
        raise UsageError(f"template pattern {item['pattern']!r} does not compile: {exc}") from None
    return Node(regex, packfile == "dicom", bool(item.get("ignore", False)))


def _to_regex(pattern: str) -> str:
    def replace(m: re.Match[str]) -> str:
        name = m.group(1).split(".")[0]
        if name not in LEVELS:
            raise UsageError(f"template placeholder {{{m.group(1)}}} is not one of {', '.join(LEVELS)}")
        return f"(?P<{name}>{GROUP_PATTERN if name == 'group' else '.+'})"

    return re.sub(r"(?<!\\){([a-z_.]+)}", replace, pattern)


def match(
    root: Path, template: list[list[Node]], filters: Filters, unreadable: list[tuple[str, str]] | None = None
) -> Iterator[tuple[Path, dict[str, str]]]:
    """Every file the template places, with the labels its folders captured; folders that cannot
    be read go to `unreadable` (path, reason) and the walk goes on."""
    yield from _descend(root, (), 0, {}, template, filters, [] if unreadable is None else unreadable)


def _descend(
    folder: Path,
    rel: tuple[str, ...],
    depth: int,
    labels: dict[str, str],
    template: list[list[Node]],
    filters: Filters,
    unreadable: list[tuple[str, str]],
) -> Iterator[tuple[Path, dict[str, str]]]:
    try:
        found = sorted(folder.iterdir())
    except OSError as exc:
        unreadable.append((str(folder), f"cannot read folder: {exc.strerror or exc}"))
        return
    for entry in found:
        if entry.name.startswith(".") or entry.is_symlink():
            continue
        parts = (*rel, entry.name)
        if entry.is_dir():
            if depth >= len(template) or not filters.dir_ok(parts):
                continue
            node = next((n for n in template[depth] if n.regex.match(entry.name)), None)
            if node is None or node.ignore:
                continue
            m = node.regex.match(entry.name)
            captured = {**labels, **{k: v for k, v in (m.groupdict() if m else {}).items() if v}}
            if node.packfile:
                for path in walk(entry, filters, unreadable):
                    yield path, captured
            else:
                yield from _descend(entry, parts, depth + 1, captured, template, filters, unreadable)
        elif filters.file_ok(entry.name) and depth > 0:
            yield entry, labels
