"""Throughput on loopback: N small files stored into Orthanc directly by a pynetdicom sender, and
the same files sent to `fastdeid listen --forward` (time until all are in Orthanc), same run.

    python benches/net_bench.py [N]        # default 1000; needs Orthanc + its DICOMweb plugin, pynetdicom
"""

from __future__ import annotations

import signal
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "tests"))

from net_helpers import free_port, write_tree  # noqa: E402
from orthanc import Orthanc  # noqa: E402
from test_net_listen import send, start_listen  # noqa: E402

from fastdeid.net.tcp import no_delay  # noqa: E402


def wait_for(server: Orthanc, count: int, timeout: float = 600) -> None:
    deadline = time.monotonic() + timeout
    while len(server.instances()) < count:
        if time.monotonic() > deadline:
            raise RuntimeError("timed out waiting for Orthanc")
        time.sleep(0.05)


def main(n: int) -> None:
    # The sender gets TCP_NODELAY as fastdeid's sockets and Orthanc (TCP_NODELAY=1) have it: without
    # it each C-STORE waits for a delayed ACK and both rates measure that wait.
    no_delay()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        write_tree(root / "src", n)
        paths = sorted((root / "src").rglob("*.dcm"))

        direct = Orthanc(root / "direct")
        direct.start()
        try:
            started = time.perf_counter()
            statuses = send(direct.dicom_port, paths, set(), called="ORTHANC")
            wait_for(direct, n)
            direct_s = time.perf_counter() - started
            assert statuses == [0] * n
        finally:
            direct.stop()

        relay = Orthanc(root / "relay")
        relay.start()
        port = free_port()
        listen = start_listen(root, port, "--forward", relay.dicom_url, "--outbox", str(root / "outbox"))
        try:
            started = time.perf_counter()
            acked_s = 0.0
            statuses = send(port, paths, set())
            acked_s = time.perf_counter() - started
            wait_for(relay, n)
            relay_s = time.perf_counter() - started
            assert statuses == [0] * n
        finally:
            listen.send_signal(signal.SIGTERM)
            listen.communicate(timeout=120)
            relay.stop()
    print(f"{n} files, loopback")
    print(f"direct to Orthanc:            {direct_s:6.2f} s  {n / direct_s:7.1f} files/s")
    print(f"via listen --forward (acked): {acked_s:6.2f} s  {n / acked_s:7.1f} files/s")
    print(f"via listen --forward (in Orthanc): {relay_s:6.2f} s  {n / relay_s:7.1f} files/s")
    print(f"ratio (in Orthanc): {direct_s / relay_s:.2f} of the direct rate")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 1000)
