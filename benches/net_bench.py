"""Throughput on loopback: N small files stored into Orthanc directly by a sender, and the same files
sent to `fastdeid listen --forward` to another Orthanc (time until all are in Orthanc), in the same
run, alternating, for several rounds (each measurement into a fresh Orthanc).

    python benches/net_bench.py [N] [--sender pynetdicom|storescu] [--rounds R] [--no-fsync]

N defaults to 1000. Needs Orthanc with its DICOMweb plugin and pynetdicom; `--sender storescu` needs
DCMTK's storescu (`apt-get install dcmtk`), run with TCP_NODELAY=1 as Orthanc is: without it each
C-STORE waits for a delayed ACK and both rates measure that wait. `--no-fsync` runs the listener
without its fsyncs, to see what durability costs.
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "tests"))

from net_helpers import free_port, write_tree  # noqa: E402
from orthanc import Orthanc  # noqa: E402
from test_net_listen import send, start_listen  # noqa: E402

from fastdeid.net.responses import return_stolen_responses  # noqa: E402
from fastdeid.net.tcp import no_delay  # noqa: E402

Sender = Callable[[int, str, Path, list[Path]], None]  # (port, called AE title, source folder, files)


def count(server: Orthanc) -> int:
    return int(server.get("/statistics")["CountInstances"])


def wait_for(server: Orthanc, n: int, timeout: float = 600) -> None:
    deadline = time.monotonic() + timeout
    while count(server) < n:
        if time.monotonic() > deadline:
            raise RuntimeError(f"timed out waiting for Orthanc: {count(server)} of {n}")
        time.sleep(0.05)


def pynetdicom_sender(port: int, called: str, src: Path, paths: list[Path]) -> None:
    statuses = send(port, paths, set(), called=called)
    if statuses != [0] * len(paths):
        raise RuntimeError(f"pynetdicom: {len(paths) - statuses.count(0)} of {len(paths)} not acknowledged")


def dcmtk_storescu() -> str:
    """DCMTK's storescu (pynetdicom installs a `storescu` of its own, which may come first on PATH)."""
    for candidate in (shutil.which("storescu"), "/usr/bin/storescu"):
        if candidate and "dcmtk" in subprocess.run([candidate, "--version"], capture_output=True, text=True).stdout:
            return candidate
    raise SystemExit("net_bench: DCMTK's storescu is not installed (apt-get install dcmtk)")


def storescu_sender(port: int, called: str, src: Path, paths: list[Path]) -> None:
    # One association for the folder (+sd scan, +r recurse), as a modality sends a study;
    # TCP_NODELAY=1: DCMTK turns Nagle's algorithm off only when told to.
    command = [dcmtk_storescu(), "-aet", "SENDER", "-aec", called, "+sd", "+r", "127.0.0.1", str(port), str(src)]
    done = subprocess.run(command, capture_output=True, text=True, env={**os.environ, "TCP_NODELAY": "1"})
    if done.returncode != 0:
        raise RuntimeError(f"storescu exited {done.returncode}: {done.stderr[-500:]}")


def direct(root: Path, sender: Sender, src: Path, paths: list[Path]) -> float:
    server = Orthanc(root)
    server.start()
    try:
        started = time.perf_counter()
        sender(server.dicom_port, "ORTHANC", src, paths)
        wait_for(server, len(paths))
        return time.perf_counter() - started
    finally:
        server.stop()


def relay(root: Path, sender: Sender, src: Path, paths: list[Path], *options: str) -> tuple[float, float]:
    """(seconds until the sender had every acknowledgement, seconds until all were in Orthanc)."""
    server = Orthanc(root / "orthanc")
    server.start()
    port = free_port()
    listen = start_listen(root, port, "--forward", server.dicom_url, "--outbox", str(root / "outbox"), *options)
    try:
        started = time.perf_counter()
        sender(port, "DEIDNODE", src, paths)
        acked = time.perf_counter() - started
        wait_for(server, len(paths))
        return acked, time.perf_counter() - started
    finally:
        listen.send_signal(signal.SIGTERM)
        _, stderr = listen.communicate(timeout=120)
        server.stop()
        for line in stderr.splitlines()[1:]:  # what the listener warned of (the first line says where it listens)
            print(f"  listen: {line}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("n", nargs="?", type=int, default=1000)
    parser.add_argument("--sender", choices=("pynetdicom", "storescu"), default="pynetdicom")
    parser.add_argument("--rounds", type=int, default=1)
    parser.add_argument("--no-fsync", action="store_true", help="run the listener with --no-fsync")
    args = parser.parse_args()
    # The pynetdicom sender gets TCP_NODELAY as fastdeid's sockets and Orthanc (TCP_NODELAY=1) have it.
    no_delay()
    return_stolen_responses()
    sender: Sender = storescu_sender if args.sender == "storescu" else pynetdicom_sender
    if args.sender == "storescu":
        dcmtk_storescu()  # fail before any Orthanc starts
    n = args.n
    directs: list[float] = []
    relays: list[tuple[float, float]] = []
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        write_tree(root / "src", n)
        paths = sorted((root / "src").rglob("*.dcm"))
        for r in range(args.rounds):  # alternating, so that both see the same machine load
            directs.append(direct(root / f"direct{r}", sender, root / "src", paths))
            options = ("--no-fsync",) if args.no_fsync else ()
            relays.append(relay(root / f"relay{r}", sender, root / "src", paths, *options))
            d, (a, t) = directs[-1], relays[-1]
            print(f"round {r + 1}: direct {n / d:7.1f} files/s, via listen {n / a:7.1f} acked, {n / t:7.1f} in Orthanc")
    d, t = statistics.median(directs), statistics.median(t for _, t in relays)
    a = statistics.median(a for a, _ in relays)
    fsync = "without" if args.no_fsync else "with"
    print(f"{n} files, loopback, sender {args.sender}, listener {fsync} fsync, median of {args.rounds} round(s)")
    print(f"direct to Orthanc:                 {d:6.2f} s  {n / d:7.1f} files/s")
    print(f"via listen --forward (acked):      {a:6.2f} s  {n / a:7.1f} files/s")
    print(f"via listen --forward (in Orthanc): {t:6.2f} s  {n / t:7.1f} files/s")
    print(f"ratio (in Orthanc): {d / t:.2f} of the direct rate")


if __name__ == "__main__":
    main()
