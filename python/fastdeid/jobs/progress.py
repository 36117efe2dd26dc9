"""Progress on a terminal: a spinner with a count while the tree is walked, then a bar with the
total, percent, MB/s and ETA. Off when stderr is not a terminal or with -q."""

from __future__ import annotations

import sys
from typing import Any


class Progress:
    def __init__(self, enabled: bool, action: str = "de-identifying"):
        self.enabled = enabled
        self.action = action
        self._bar: Any = None

    @staticmethod
    def for_terminal(quiet: bool, action: str = "de-identifying") -> Progress:
        return Progress(not quiet and sys.stderr.isatty(), action)

    def planned(self, files: int, done: bool) -> None:
        """The walk found `files` so far (`done`: all of them)."""
        if not self.enabled:
            return
        # Imported here, for a terminal only: tqdm costs 40 ms of every command's start-up.
        from tqdm import tqdm

        if self._bar is None:
            self._bar = tqdm(desc="walking", unit=" files", file=sys.stderr, leave=False)
        if not done:
            self._bar.update(files - self._bar.n)
            self._bar.refresh()  # called every 1,000 files only: show each count
            return
        self._bar.close()
        self._bar = tqdm(total=files, desc=self.action, unit=" files", file=sys.stderr, dynamic_ncols=True)

    def update(self, report: Any) -> None:
        """After each chunk: files finished (ok, failed, skipped) and the MB/s so far."""
        if self._bar is None:
            return
        self._bar.update(report.ok + report.failed + report.skipped - self._bar.n)
        self._bar.set_postfix_str(f"{report.mb_per_second:.1f} MB/s", refresh=True)

    def close(self) -> None:
        if self._bar is not None:
            self._bar.close()
            self._bar = None
