"""Durability before acknowledgement, shared between associations (group commit).

The core fsyncs each output before renaming it into place; the rename itself, and the deid log's
rows, are durable only once their folder and the log are fsync'ed too. `listen` must not answer
success before that, yet one fsync per instance and file would cap the rate at the disk's fsync
rate. So a thread that stored an instance waits for one round of fsyncs (log, then each folder
written since the last round) that started after its write; the threads that wrote meanwhile
wait for the same round: as many acknowledgements per round as instances arrived during it.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable

from ..jobs.fsync import folders_up_to, sync_folder

__all__ = ["GroupCommit", "folders_up_to", "sync_folder"]


class GroupCommit:
    """`commit(folders, write)`: runs `write` (serialised, e.g. appending log rows), then returns
    once `write` and the names in `folders` are durable. With `enabled=False`, only the writes."""

    def __init__(self, sync_log: Callable[[], None] | None, *, enabled: bool = True) -> None:
        self._sync_log = sync_log
        self._enabled = enabled
        self._state = threading.Condition()
        self._written = 0  # writes numbered in order; a round covers all those before it started
        self._synced = 0
        self._syncing = False
        self._folders: set[str] = set()
        self.rounds = 0  # fsync rounds made (for tests and the summary of a bench)

    def commit(self, folders: Iterable[str], write: Callable[[], None] | None = None) -> None:
        """Raises OSError when a round failed (the caller answers failure; the next round retries)."""
        with self._state:
            if write is not None:
                write()
            if not self._enabled:
                return
            self._folders.update(folders)
            self._written += 1
            mine = self._written
            while self._synced < mine:
                if self._syncing:
                    self._state.wait()
                    continue
                self._round()

    def _round(self) -> None:
        """One round of fsyncs, made by the thread that found none running (called holding the lock)."""
        target, folders = self._written, self._folders
        self._folders = set()
        self._syncing = True
        self._state.release()
        try:
            if self._sync_log is not None:
                self._sync_log()
            for folder in sorted(folders):
                sync_folder(folder)
        except OSError:
            self._state.acquire()
            self._folders |= folders  # the next round retries them
            self._syncing = False
            self._state.notify_all()
            raise
        self._state.acquire()
        self._synced = max(self._synced, target)
        self._syncing = False
        self.rounds += 1
        self._state.notify_all()
