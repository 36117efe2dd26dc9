"""`fastdeid listen` against a real sender (pynetdicom) and a real Orthanc: every instance the
sender saw acknowledged ends up de-identified in Orthanc or the folder, once, also across a
SIGKILL of the listener; the original never touches the disk; callers are checked; SIGTERM is a
clean stop."""

from __future__ import annotations

import io
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import TYPE_CHECKING

import pydicom
import pytest
from net_helpers import check_arrived, free_port, write_profile, write_tree

if TYPE_CHECKING:
    from orthanc import Orthanc

pytest_plugins = ("orthanc",)  # the `orthanc` fixture
pynetdicom = pytest.importorskip("pynetdicom")

FILES = int(os.environ.get("FASTDEID_NET_LISTEN_FILES", "1000"))  # the 1,000 files


def start_listen(tmp_path: Path, port: int, *extra: str) -> subprocess.Popen[str]:
    command = [sys.executable, "-m", "fastdeid", "listen", "--aet", "DEIDNODE", "--port", str(port)]
    command += ["--profile", str(write_profile(tmp_path)), *extra]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(process.stderr.read() if process.stderr else "listen exited")
        if echo(port, "SENDER") == 0x0000:
            return process
        time.sleep(0.1)
    raise AssertionError("listen did not answer C-ECHO within 30 s")


def echo(port: int, aet: str) -> int | None:
    from pynetdicom.sop_class import Verification  # type: ignore[attr-defined]

    ae = pynetdicom.AE(ae_title=aet)
    ae.add_requested_context(Verification)
    assoc = ae.associate("127.0.0.1", port, ae_title="DEIDNODE")
    if not assoc.is_established:
        return None
    status = assoc.send_c_echo()
    assoc.release()
    return getattr(status, "Status", None)


def send(port: int, paths: list[Path], acked: set[Path], aet: str = "SENDER", called: str = "DEIDNODE") -> list[int]:
    """C-STOREs PATHS on one association, adding each acknowledged one to ACKED; returns statuses."""
    from pydicom.uid import ExplicitVRLittleEndian
    from pynetdicom.sop_class import MRImageStorage  # type: ignore[attr-defined]

    from fastdeid.net.responses import return_stolen_responses

    return_stolen_responses()  # else a response pynetdicom's reactor took costs a 30 s timeout
    ae = pynetdicom.AE(ae_title=aet)
    ae.add_requested_context(MRImageStorage, ExplicitVRLittleEndian)
    assoc = ae.associate("127.0.0.1", port, ae_title=called)
    statuses: list[int] = []
    if not assoc.is_established:
        return statuses
    for path in paths:
        if not assoc.is_established:
            break
        status = getattr(assoc.send_c_store(path), "Status", None)
        if status is None:
            break
        statuses.append(status)
        if status == 0x0000:
            acked.add(path)
    if assoc.is_established:
        assoc.release()
    return statuses


def test_listen_to_a_folder_stores_each_instance_once_and_refuses_strangers(tmp_path: Path) -> None:
    originals = write_tree(tmp_path / "src", 30)
    paths = sorted((tmp_path / "src").rglob("*.dcm"))
    port = free_port()
    out = tmp_path / "out"
    listen = start_listen(tmp_path, port, "--to", str(out), "--allow", "SENDER")
    try:
        acked: set[Path] = set()
        assert send(port, paths, acked) == [0] * 30
        assert send(port, paths[:5], acked) == [0] * 5  # a retry of five: stored once
        # Not on the allow-list: the association itself is rejected, no C-STORE is sent.
        assert send(port, paths[:1], set(), aet="STRANGER") == []
    finally:
        listen.send_signal(signal.SIGTERM)
        stdout, stderr = listen.communicate(timeout=60)
    assert listen.returncode == 0, stderr
    assert "35 received, 35 stored, 0 failed, 1 callers refused" in stdout
    outputs = sorted(out.rglob("*.dcm"))
    assert len(outputs) == 30
    sops = {str(pydicom.dcmread(p).SOPInstanceUID) for p in outputs}
    assert len(sops) == 30 and not sops & set(originals)
    for p in outputs:
        ds = pydicom.dcmread(p)
        assert str(ds.PatientName) == "DEID^NAME"
        assert p.name == f"{ds.SOPInstanceUID}.MR.dcm"
    assert [p.name for p in out.iterdir() if p.suffix != ".dcm"] == []


def test_listen_forward_survives_sigkill_and_delivers_every_acknowledged_instance(
    orthanc: Orthanc, tmp_path: Path
) -> None:
    originals = write_tree(tmp_path / "src", FILES)
    paths = sorted((tmp_path / "src").rglob("*.dcm"))
    # The identifying values the profile replaces or removes (names also sit in a private block).
    names = {str(ds.PatientName).encode() for ds in originals.values()}
    names |= {str(ds.PatientID).encode() for ds in originals.values()} | {s.encode() for s in originals}
    port = free_port()
    outbox = tmp_path / "outbox"
    forward = ["--forward", orthanc.dicom_url, "--outbox", str(outbox)]
    listen = start_listen(tmp_path, port, *forward)
    acked: set[Path] = set()
    sender = threading.Thread(target=send, args=(port, paths, acked))
    sender.start()
    while len(acked) < FILES // 3 and sender.is_alive():
        time.sleep(0.01)
    listen.kill()  # SIGKILL part-way
    listen.wait()
    sender.join(60)
    assert FILES // 3 <= len(acked) < FILES
    # What is on disk after the kill is de-identified: no original's name in any file left.
    for p in outbox.rglob("*"):
        if p.is_file():
            data = p.read_bytes()
            assert not any(n in data for n in names), p

    listen = start_listen(tmp_path, port, *forward)
    try:
        rest = [p for p in paths if p not in acked]
        assert set(send(port, rest, acked)) == {0}
        deadline = time.monotonic() + 120
        while len(orthanc.instances()) < FILES and time.monotonic() < deadline:
            time.sleep(0.2)
    finally:
        listen.send_signal(signal.SIGTERM)
        stdout, stderr = listen.communicate(timeout=60)
    assert listen.returncode == 0, stderr
    assert stdout.rstrip().endswith(", 0 queued")
    assert len(acked) == FILES
    check_arrived(orthanc, originals)  # every instance, de-identified, once
    assert list(outbox.rglob("*.dcm")) == []


def test_pixel_data_is_the_senders(tmp_path: Path) -> None:
    """The listener never re-encodes pixel data: the stored bytes are the sent ones."""
    write_tree(tmp_path / "src", 3)
    paths = sorted((tmp_path / "src").rglob("*.dcm"))
    port = free_port()
    listen = start_listen(tmp_path, port, "--to", str(tmp_path / "out"))
    try:
        send(port, paths, set())
    finally:
        listen.send_signal(signal.SIGTERM)
        listen.communicate(timeout=60)
    sent = {bytes(pydicom.dcmread(p).PixelData) for p in paths}
    stored = {bytes(pydicom.dcmread(io.BytesIO(p.read_bytes())).PixelData) for p in (tmp_path / "out").rglob("*.dcm")}
    assert stored == sent


def test_listen_writes_the_deid_log_before_acknowledging(tmp_path: Path) -> None:
    import csv

    originals = write_tree(tmp_path / "src", 5)
    paths = sorted((tmp_path / "src").rglob("*.dcm"))
    port = free_port()
    log = tmp_path / "logs" / "deid_log.csv"
    listen = start_listen(tmp_path, port, "--to", str(tmp_path / "out"), "--deid-log", str(log))
    try:
        assert send(port, paths, set()) == [0] * 5
        rows = list(csv.DictReader(log.open(newline="")))  # already there while listening
    finally:
        listen.send_signal(signal.SIGTERM)
        listen.communicate(timeout=60)
    assert os.stat(log).st_mode & 0o777 == 0o600
    assert [r["type"] for r in rows] == ["before", "after"] * 5
    outputs = {p.name for p in (tmp_path / "out").glob("*.dcm")}
    assert {r["src_path"] for r in rows} == outputs
    names = {str(ds.PatientName) for ds in originals.values()}
    assert {r["PatientName"] for r in rows if r["type"] == "before"} <= names
    assert {r["PatientName"] for r in rows if r["type"] == "after"} == {"DEID^NAME"}


def test_the_deid_log_may_not_be_inside_the_output_folder(tmp_path: Path) -> None:
    from net_helpers import fastdeid

    out = tmp_path / "out"
    done = fastdeid(
        "listen", "--aet", "X", "--port", str(free_port()), "--profile", str(write_profile(tmp_path)),
        "--to", str(out), "--deid-log", str(out / "log.csv"),
    )  # fmt: skip
    assert done.returncode == 2
    assert "may not be written inside the output folder" in done.stderr
