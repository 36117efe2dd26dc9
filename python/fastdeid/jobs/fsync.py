"""Durable names: the core fsyncs each output before renaming it into place, but the rename (and
a folder created for the output) is durable only once the folders holding the names are fsynced
too. For `run` and `ingest` the core does that once per chunk (`Engine.sync`); `listen` does it
here, in rounds shared by its associations (net/durable.py)."""

from __future__ import annotations

import os


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
