"""The outbox keeps every file the archive did not acknowledge: a C-STORE failure status, a
STOW-RS response that does not list the instance, or an archive that cannot be reached."""

from __future__ import annotations

import http.server
import json
import os
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from net_helpers import free_port, write_tree

from fastdeid.net.deliver import deliver
from fastdeid.net.outbox import queued
from fastdeid.net.url import parse_destination

pynetdicom = pytest.importorskip("pynetdicom")


def outbox_with(tmp_path: Path, count: int) -> tuple[Path, list[Path]]:
    box = tmp_path / "outbox"
    write_tree(box, count)
    (box / ".fastdeid-run.json").write_text("{}")  # bookkeeping is never sent
    return box, queued(box)


@pytest.fixture
def refusing_scp() -> Iterator[int]:
    """A Storage SCP that stores odd instance numbers and refuses even ones (A700, out of resources)."""
    from pynetdicom.sop_class import MRImageStorage  # type: ignore[attr-defined]

    def on_store(event: object) -> int:
        ds = event.dataset  # type: ignore[attr-defined]
        return 0x0000 if int(ds.InstanceNumber) % 2 else 0xA700

    ae = pynetdicom.AE(ae_title="REFUSER")
    ae.add_supported_context(MRImageStorage, ["1.2.840.10008.1.2.1"])
    port = free_port()
    server = ae.start_server(("127.0.0.1", port), block=False, evt_handlers=[(pynetdicom.evt.EVT_C_STORE, on_store)])
    try:
        yield port
    finally:
        server.shutdown()


def test_a_refused_instance_stays_queued_and_an_acknowledged_one_leaves(tmp_path: Path, refusing_scp: int) -> None:
    box, files = outbox_with(tmp_path, 10)
    assert len(files) == 10
    delivery = deliver(parse_destination(f"dicom://REFUSER@127.0.0.1:{refusing_scp}"), files)
    assert (len(delivery.sent), len(delivery.failed), len(delivery.queued)) == (5, 5, 0)
    assert all("0xA700" in why for _, why in delivery.failed)
    assert sorted(queued(box)) == sorted(p for p, _ in delivery.failed)
    assert all(os.stat(p).st_mode & 0o777 == 0o600 for p in queued(box))
    assert delivery.summary() == "5 sent, 5 failed, 5 queued"


def test_an_unreachable_archive_leaves_everything_queued(tmp_path: Path) -> None:
    box, files = outbox_with(tmp_path, 4)
    delivery = deliver(parse_destination(f"dicom://NOBODY@127.0.0.1:{free_port()}"), files, retries=1, backoff=0.01)
    assert (delivery.sent, delivery.failed, len(delivery.queued)) == ([], [], 4)
    assert delivery.error is not None and "not established" in delivery.error
    assert len(queued(box)) == 4


def test_stow_deletes_only_what_the_response_lists_as_stored(tmp_path: Path) -> None:
    box, files = outbox_with(tmp_path, 6)
    import pydicom

    uids = [str(pydicom.dcmread(p, stop_before_pixels=True).SOPInstanceUID) for p in files]
    stored, failed = uids[:3], uids[3:5]  # the sixth is in neither list

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            self.rfile.read(int(self.headers["Content-Length"]))
            seq = lambda xs: {"vr": "SQ", "Value": [{"00081155": {"vr": "UI", "Value": [u]}} for u in xs]}  # noqa: E731
            body = json.dumps({"00081199": seq(stored), "00081198": seq(failed)}).encode()
            self.send_response(202)
            self.send_header("Content-Type", "application/dicom+json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        url = f"dicomweb+http://127.0.0.1:{server.server_address[1]}/dicom-web"
        delivery = deliver(parse_destination(url), files)
    finally:
        server.shutdown()
    assert (len(delivery.sent), len(delivery.failed), delivery.queued) == (3, 3, [])
    left = {str(pydicom.dcmread(p, stop_before_pixels=True).SOPInstanceUID) for p in queued(box)}
    assert left == set(uids[3:])
