"""The plan of a run: the (input, output) pairs of a file or a tree, DST mirroring SRC, before
anything is written; two inputs that would have one output are set aside."""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import UsageError
from .walk import NO_FILTERS, Filters, entries, output_name


@dataclass
class Plan:
    """The (input, output) pairs of a run, as strings, and what the walk could not use."""

    pairs: list[tuple[str, str]]
    root: str  # SRC; log paths are relative to it
    single_file: bool = False
    named_output: bool = False  # a single file whose output name the user gave
    unreadable: list[tuple[str, str]] = field(default_factory=list)  # folders: (path, reason)
    collisions: list[tuple[str, str]] = field(default_factory=list)  # (input, output another input takes)


def plan(
    src: str | os.PathLike[str],
    dst: str | os.PathLike[str],
    filters: Filters = NO_FILTERS,
    tick: Callable[[int, bool], None] | None = None,
) -> Plan:
    """The (input, output) pairs of a run: DST mirrors the relative paths under SRC (gzip-compressed
    DICOM gets its plain name, `a.dcm.gz` -> `a.dcm`).

    A single file SRC goes to DST, or into DST when DST is a folder or ends with `/`; an existing
    file is never overwritten. Symbolic links and special files are listed too, so that the core
    reports them as skipped. `tick(n, False)` is called every 1,000 entries of the walk.
    """
    src_text, dst_text = os.fspath(src), os.fspath(dst)
    src_path, dst_path = Path(src_text), Path(dst_text)
    if not src_path.exists() and not src_path.is_symlink():
        raise UsageError(f"{src_text}: no such file or directory")
    if not src_path.is_dir():
        return _plan_single(src_path, dst_text)
    if dst_path.exists() and not dst_path.is_dir():
        raise UsageError(f"{dst_text}: exists and is not a folder; SRC is a folder, so DST must be one")
    src_real, dst_real = src_path.resolve(), dst_path.resolve()
    if dst_real == src_real or src_real in dst_real.parents:
        raise UsageError(f"{dst_text}: the destination is inside the source tree; choose a folder outside {src_text}")
    root, out = src_text.rstrip(os.sep) or os.sep, dst_text.rstrip(os.sep) or os.sep
    result = Plan([], root)
    taken: dict[str, str] = {}
    for n, path in enumerate(entries(root, filters, unreadable=result.unreadable), 1):
        head, name = os.path.split(path[len(root) :])
        target = out + head + os.sep + output_name(name)
        if target in taken:  # a.dcm and a.dcm.gz: the second would overwrite the first
            result.collisions.append((path, target))
            continue
        taken[target] = path
        result.pairs.append((path, target))
        if tick is not None and n % 1000 == 0:
            tick(n, False)
    return result


def _plan_single(src: Path, dst: str) -> Plan:
    into_folder = dst.endswith(("/", os.sep)) or os.path.isdir(dst)
    target = Path(dst) / output_name(src.name) if into_folder else Path(dst)
    if target.exists() or target.is_symlink():
        if target.resolve() == src.resolve():
            raise UsageError(f"{dst}: the output would overwrite the input")
        raise UsageError(
            f"{target}: already exists; fastdeid never overwrites a file (remove it or choose another name)"
        )
    return Plan([(str(src), str(target))], str(src.parent), single_file=True, named_output=not into_folder)
