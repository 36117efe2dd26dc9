"""The network front ends: `listen` (net/listen.py), and what `run` and `ingest` print after
delivering to an archive (net/send.py, net/ingest.py): the sender's summary, exit 1 when anything
is left undelivered (a rerun of the same command sends it). Send retries and backoff come from the
environment (`FASTDEID_SEND_RETRIES`, `FASTDEID_SEND_BACKOFF`)."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from ..jobs.progress import Progress
from ..jobs.walk import Filters
from ..net.aet import ae_title_problem
from ..profile.load import Profile
from .options import Commands, basic_options, profile_from_args
from .report import finish

if TYPE_CHECKING:  # imported only when a command sends: the senders load pynetdicom
    from ..net.ingest import NetIngestReport
    from ..net.outbox import Delivery

EXIT_NOT_DELIVERED = 1


def add_to(sub: Commands) -> None:
    """`listen`."""
    p = sub.add_parser("listen", help="receive DICOM (C-STORE), de-identify in memory, store into DIR or forward")
    p.add_argument("--aet", type=ae_title, required=True, help="this node's AE title (1-16 characters)")
    p.add_argument("--port", type=tcp_port, required=True, help="TCP port to listen on (0: any free port)")
    p.add_argument("--bind", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    p.add_argument("--profile", required=True, help="profile file or built-in name")
    target = p.add_mutually_exclusive_group(required=True)
    target.add_argument("--to", help="folder for the de-identified instances")
    target.add_argument("--forward", help="dicom://AET@host:port or dicomweb+http(s)://host:port/path")
    p.add_argument("--outbox", default=None, help="with --forward: where instances wait until acknowledged")
    p.add_argument(
        "--allow",
        action="append",
        help="calling AE title or address/network allowed to send (repeatable; default: loopback callers only);"
        " others are refused before they can send anything",
    )
    p.add_argument("--no-fsync", action="store_true", help="do not fsync outputs before acknowledging (unsafe)")
    p.add_argument(
        "--deid-log", default=None, help="the log of original and new values (overrides the profile's deid-log)"
    )
    p.add_argument(
        "--verbose", "-v", action="store_true", help="log each association and instance (never a patient value)"
    )
    basic_options(p)
    p.set_defaults(handler=_cmd_listen)


def tcp_port(text: str) -> int:
    """`--port`: 0 (any free port) to 65535."""
    try:
        port = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r}: not a port number (0 to 65535)") from None
    if not 0 <= port <= 65535:
        raise argparse.ArgumentTypeError(f"{text}: not a port number (0 to 65535)")
    return port


def ae_title(text: str) -> str:
    """`--aet`: an AE title (see net/aet.py)."""
    problem = ae_title_problem(text)
    if problem is not None:
        raise argparse.ArgumentTypeError(f"{text!r}: {problem}")
    return text


def _cmd_listen(args: argparse.Namespace) -> int:
    return _serve(args, profile_from_args(args, args.profile))


def retries_from_env() -> tuple[int, float]:
    """Send retries and the first backoff in seconds (`FASTDEID_SEND_RETRIES`, `FASTDEID_SEND_BACKOFF`)."""
    return int(os.environ.get("FASTDEID_SEND_RETRIES", "3")), float(os.environ.get("FASTDEID_SEND_BACKOFF", "0.5"))


def run_to_archive(args: argparse.Namespace, profile: Profile) -> int:
    """`run SRC URL`: prints the run's report, then the sender's summary; exit 1 when anything is
    left undelivered (a rerun of the same command sends it)."""
    from ..net.send import run_to_network

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


def _serve(args: argparse.Namespace, profile: Profile) -> int:
    """`listen`: serves until SIGTERM; usage errors (no folder, bad URL) exit 2 before listening."""
    import logging

    from ..net.callers import Allowed
    from ..net.listen import Listener, serve
    from ..net.outbox import outbox_root, queued
    from ..net.url import parse_destination

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
    left = len(queued(Path(folder))) if forward is not None else 0
    print(
        f"{listener.received} received, {listener.stored} stored, {listener.failed} failed, "
        f"{listener.refused} callers refused"
        + (f", {listener.sent} sent, {left} queued" if forward is not None else ""),
        flush=True,
    )
    return code
