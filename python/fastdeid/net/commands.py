"""The command line's network front ends: `run SRC URL` and `listen` (cli.py parses, this runs)."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable

from ..jobs.progress import Progress
from ..jobs.report import Report
from ..jobs.walk import Filters
from ..profile.load import Profile
from .ingest import NetIngestReport
from .outbox import Delivery
from .send import run_to_network

EXIT_OK, EXIT_NOT_DELIVERED = 0, 1


def retries_from_env() -> tuple[int, float]:
    """Send retries and the first backoff in seconds (`FASTDEID_SEND_RETRIES`, `FASTDEID_SEND_BACKOFF`)."""
    return int(os.environ.get("FASTDEID_SEND_RETRIES", "3")), float(os.environ.get("FASTDEID_SEND_BACKOFF", "0.5"))


def cmd_run(args: argparse.Namespace, profile: Profile, finish: Callable[[Report], int]) -> int:
    """`run SRC URL`: prints the run's report, then the sender's summary; exit 1 when anything is
    left undelivered (a rerun of the same command sends it)."""
    retries, backoff = retries_from_env()
    progress = Progress.for_terminal(args.quiet)
    try:
        result = run_to_network(
            args.src,
            args.dst,
            profile,
            outbox=args.outbox,
            force=args.force,
            retries=retries,
            backoff=backoff,
            jobs=args.jobs,
            fsync=not args.no_fsync,
            progress=progress.update,
            on_plan=progress.planned,
            deid_log=args.deid_log,
            accept_no_meta=args.accept_no_meta,
            name_by_uid=args.name_by_uid,
            filters=Filters(tuple(args.include), tuple(args.exclude)),
        )
    finally:
        progress.close()
    return report_delivery(result.delivery, result.outbox, finish(result.run))


def finish_ingest(sent: NetIngestReport, code: int) -> int:
    """`ingest ... --to URL`: the sender's summary after the ingest's report."""
    return report_delivery(sent.delivery, sent.outbox, code)


def report_delivery(delivery: Delivery, outbox: os.PathLike[str] | str, code: int) -> int:
    """Prints what was sent, failed or is still queued; exit 1 when anything is left undelivered
    (a rerun of the same command sends it)."""
    for path, why in delivery.failed:
        print(f"error: {path}: {why}", file=sys.stderr)
    if delivery.error:
        print(f"fastdeid: {delivery.error}", file=sys.stderr)
    print(f"send: {delivery.summary()} (outbox {outbox})")
    if delivery.failed or delivery.queued:
        print("fastdeid: files are queued in the outbox; run the same command again to send them", file=sys.stderr)
        return max(code, EXIT_NOT_DELIVERED)
    return code


def cmd_listen(args: argparse.Namespace, profile: Profile) -> int:
    """`listen`: serves until SIGTERM; usage errors (no folder, bad URL) exit 2 before listening."""
    import logging
    from pathlib import Path

    from .callers import Allowed
    from .listen import Listener, serve
    from .outbox import outbox_root
    from .url import parse_destination

    logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING, format="%(asctime)s %(message)s")
    retries, backoff = retries_from_env()
    forward = parse_destination(args.forward) if args.forward else None
    folder = outbox_root(forward, args.outbox) if forward is not None else Path(args.to)
    listener = Listener(
        profile,
        folder,
        forward=forward,
        allowed=Allowed.parse(args.allow or []),
        fsync=not args.no_fsync,
        retries=retries,
        backoff=backoff,
        deid_log=args.deid_log,
    )
    where = f"forwarding to {args.forward} (outbox {folder})" if forward else f"into {folder}"

    def ready(host: str, port: int) -> None:  # once bound: the port actually taken (--port 0)
        print(f"listening as {args.aet} on {host}:{port}, {where}", file=sys.stderr, flush=True)

    code = serve(listener, args.aet, args.bind, args.port, on_ready=ready)
    left = len(queued_files(folder)) if forward is not None else 0
    print(
        f"{listener.received} received, {listener.stored} stored, {listener.failed} failed, "
        f"{listener.refused} callers refused"
        + (f", {listener.sent} sent, {left} queued" if forward is not None else ""),
        flush=True,
    )
    return code


def queued_files(folder: os.PathLike[str] | str) -> list[object]:
    from pathlib import Path

    from .outbox import queued

    return list(queued(Path(folder)))
