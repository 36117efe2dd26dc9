"""The listener's group commit (net/durable.py): a commit returns only after a round of fsyncs that
started after its write, rounds are shared by the threads waiting, and a failed round is retried."""

from __future__ import annotations

import os
import threading
import time
from pathlib import Path

import pytest

from fastdeid.net.durable import GroupCommit, folders_up_to


def test_each_commit_waits_for_a_round_that_started_after_its_write() -> None:
    written = 0
    rounds: list[tuple[int, float, float]] = []  # (writes before the round, start, end)
    returned: list[tuple[int, float]] = []  # (this thread's write number, when commit returned)
    lock = threading.Lock()

    def sync() -> None:
        start = time.monotonic()
        seen = written
        time.sleep(0.02)  # a slow disk: more writes arrive meanwhile
        rounds.append((seen, start, time.monotonic()))

    commit = GroupCommit(sync)

    def worker() -> None:
        nonlocal written
        for _ in range(10):
            mine = 0

            def write() -> None:
                nonlocal written, mine
                written += 1
                mine = written

            commit.commit([], write)
            with lock:
                returned.append((mine, time.monotonic()))

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert len(returned) == 40
    for mine, at in returned:
        # Some round that saw this write had finished when the commit returned.
        assert any(seen >= mine and end <= at for seen, _, end in rounds), mine
    assert commit.rounds == len(rounds) < 40  # shared: fewer rounds than commits


def test_a_failed_round_raises_and_the_next_commit_syncs_again(tmp_path: Path) -> None:
    calls = 0

    def sync() -> None:
        nonlocal calls
        calls += 1
        if calls == 1:
            raise OSError(5, "Input/output error")

    commit = GroupCommit(sync)
    with pytest.raises(OSError):
        commit.commit([str(tmp_path)])
    commit.commit([])
    assert calls == 2 and commit.rounds == 1


def test_disabled_only_writes() -> None:
    wrote: list[int] = []
    commit = GroupCommit(lambda: pytest.fail("no fsync with --no-fsync"), enabled=False)
    commit.commit(["/nonexistent"], lambda: wrote.append(1))
    assert wrote == [1] and commit.rounds == 0


def test_folders_up_to_the_root(tmp_path: Path) -> None:
    root = str(tmp_path / "out")
    assert folders_up_to(os.path.join(root, "a.dcm"), root) == [root]
    assert folders_up_to(os.path.join(root, "x", "y", "a.dcm"), root + "/") == [
        os.path.join(root, "x", "y"),
        os.path.join(root, "x"),
        root,
    ]
