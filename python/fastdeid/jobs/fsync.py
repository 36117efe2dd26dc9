"""Durable names: the core fsyncs each output before renaming it into place, but the rename (and
a folder created for the output) is durable only once the folders holding the names are fsynced
too. `run` and `ingest` do that once per chunk for the folders the chunk wrote into; `listen` in
rounds shared by its associations (net/durable.py)."""

from __future__ import annotations

import os
from collections.abc import Iterable


def sync_folder(path: str) -> None:
    """fsync(2) of a folder: makes the names created in it (a rename into place) durable."""
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def folders_up_to(path: str, root: str) -> list[str]:
    """The folders from PATH's own up to ROOT (inclusive): each holds a name the output needs
    (the file's, or a folder the core created for it)."""
    out: list[str] = []
    root = os.path.normpath(root)
    folder = os.path.dirname(os.path.normpath(path))
    while True:
        out.append(folder)
        if folder == root or len(folder) <= len(root):
            return out
        folder = os.path.dirname(folder)


def sync_output_folders(outputs: Iterable[str], root: str) -> None:
    """fsyncs, once each, every folder from each output's own up to ROOT. Raises OSError."""
    folders: set[str] = set()
    # Outputs share folders: one output per distinct folder is walked up.
    for path in {os.path.dirname(path): path for path in outputs}.values():
        folders.update(folders_up_to(path, root))
    for folder in sorted(folders, key=len, reverse=True):  # deepest first: a folder before its parent
        sync_folder(folder)
