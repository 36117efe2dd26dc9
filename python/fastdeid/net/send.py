"""`fastdeid run SRC dicom://... | dicomweb+http(s)://...`: de-identify into the destination's
outbox (a local tree, resumable as any run's), then deliver everything the outbox holds.

Each run has its own folder in the outbox (named by a hash of SRC, never by a path), with a
ledger of the outputs the archive acknowledged, so a rerun neither redoes nor resends them.
Whatever earlier runs left queued for the same destination is sent too.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..jobs.plan import plan
from ..jobs.report import Report
from ..jobs.runner import run
from ..profile.load import Profile
from .deliver import deliver
from .outbox import SENT_LEDGER, Delivery, make_private_dir, outbox_root, queued
from .url import parse_destination


@dataclass
class NetReport:
    """A run to a network destination: the run's report and what the sender did."""

    run: Report
    delivery: Delivery
    outbox: Path


def run_to_network(
    src: str | os.PathLike[str],
    url: str,
    profile: Profile,
    *,
    outbox: str | os.PathLike[str] | None = None,
    force: bool = False,
    retries: int = 3,
    backoff: float = 0.5,
    **run_settings: Any,
) -> NetReport:
    """De-identifies SRC into URL's outbox and delivers it; see the module's docstring."""
    dest = parse_destination(url)
    root = outbox_root(dest, outbox)
    # One folder per (source, profile): a run's manifest refuses another source or profile.
    job_key = os.fsencode(os.path.abspath(src)) + b"\0" + profile.digest.encode()
    box = root / hashlib.sha256(job_key).hexdigest()[:16]
    make_private_dir(box)
    ledger = box / SENT_LEDGER
    sent_before = set() if force else _read_ledger(ledger)
    if Path(src).is_dir():
        pairs = [(s, d) for s, d in plan(src, box, run_settings.get("filters") or _no_filters()).pairs]
    else:
        pairs = [(os.fspath(src), os.fspath(box / Path(src).name.removesuffix(".gz")))]
    todo = [(s, d) for s, d in pairs if _name(box, d) not in sent_before]
    if not Path(src).is_dir():
        todo = [(s, d) for s, d in todo if not os.path.exists(d)]  # queued from an earlier attempt
    report = run(src, box, profile, pairs=todo, force=force, **run_settings)
    report.ok += len(pairs) - len(todo)
    report.resumed += len(pairs) - len(todo)
    delivery = deliver(dest, queued(root), retries=retries, backoff=backoff)
    _append_ledger(ledger, [_name(box, p) for p in delivery.sent if box in p.parents])
    return NetReport(report, delivery, root)


def _no_filters() -> Any:
    from ..jobs.walk import NO_FILTERS

    return NO_FILTERS


def _name(box: Path, path: str | os.PathLike[str]) -> str:
    return os.path.relpath(path, box).replace(os.sep, "/")


def _read_ledger(ledger: Path) -> set[str]:
    try:
        return set(ledger.read_text(encoding="utf-8").splitlines())
    except FileNotFoundError:
        return set()


def _append_ledger(ledger: Path, names: list[str]) -> None:
    """Records acknowledged outputs (flushed to disk: a lost line only means one harmless resend)."""
    if not names:
        return
    fd = os.open(ledger, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    try:
        os.write(fd, "".join(n + "\n" for n in names).encode())
        os.fsync(fd)
    finally:
        os.close(fd)
