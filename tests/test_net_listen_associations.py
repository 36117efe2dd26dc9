"""`fastdeid listen`'s associations: several at once, each de-identifying in parallel; callers
refused before anything is read; the output, its folder and the deid log durable before success;
the log of associations and instances free of patient values."""

from __future__ import annotations

import os
import signal
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pydicom
import pytest
from net_helpers import free_port, write_profile, write_tree
from test_net_listen import send, start_listen

from fastdeid.profile.load import load_profile

pynetdicom = pytest.importorskip("pynetdicom")
from fastdeid.net.callers import Allowed  # noqa: E402 (needs pynetdicom)
from fastdeid.net.listen import Listener, open_scp  # noqa: E402

Start = Callable[..., tuple[Listener, int]]


@pytest.fixture
def scp(tmp_path: Path) -> Iterator[Start]:
    """Starts a listener in this process (so a test can watch its calls); stops it afterwards."""
    running: list[tuple[Any, Listener]] = []

    def start(**kwargs: Any) -> tuple[Listener, int]:
        listener = Listener(load_profile(write_profile(tmp_path)), tmp_path / "out", **kwargs)
        port = free_port()
        running.append((open_scp(listener, "DEIDNODE", "127.0.0.1", port), listener))
        return listener, port

    yield start
    for server, listener in running:
        server.shutdown()
        deadline = time.monotonic() + 30
        while server.active_associations and time.monotonic() < deadline:
            time.sleep(0.05)
        if listener.log is not None:
            listener.log.close()


def associate(port: int, aet: str) -> Any:
    from pynetdicom.sop_class import Verification  # type: ignore[attr-defined]

    ae = pynetdicom.AE(ae_title=aet)
    ae.add_requested_context(Verification)
    return ae.associate("127.0.0.1", port, ae_title="DEIDNODE")


def test_associations_de_identify_at_the_same_time(scp: Start, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Each core call waits for the other association's: one lock around the core would break it."""
    from fastdeid.jobs.job import Engine

    write_tree(tmp_path / "src", 2)
    paths = sorted((tmp_path / "src").rglob("*.dcm"))
    both = threading.Barrier(2, timeout=20)
    process = Engine.process

    def meet_then_process(self: Engine, inputs: Any, first: int) -> Any:
        both.wait()
        return process(self, inputs, first)

    monkeypatch.setattr(Engine, "process", meet_then_process)
    listener, port = scp()
    statuses: dict[int, list[int]] = {}
    senders = [
        threading.Thread(target=lambda i=i: statuses.__setitem__(i, send(port, [paths[i]], set()))) for i in (0, 1)
    ]
    for t in senders:
        t.start()
    for t in senders:
        t.join(60)
    assert statuses == {0: [0], 1: [0]}
    assert len(list((tmp_path / "out").glob("*.dcm"))) == 2
    assert listener.associations == 2


def test_several_senders_at_once_all_stored_none_twice(tmp_path: Path) -> None:
    """Three senders at once, each sending the same 20 instances and 10 of its own: every instance
    acknowledged to each, each stored once."""
    originals = write_tree(tmp_path / "src", 50)
    paths = sorted((tmp_path / "src").rglob("*.dcm"))
    shared, own = paths[:20], [paths[20:30], paths[30:40], paths[40:50]]
    port = free_port()
    out = tmp_path / "out"
    listen = start_listen(tmp_path, port, "--to", str(out))
    statuses: dict[int, list[int]] = {}
    try:
        senders = [
            threading.Thread(target=lambda i=i: statuses.__setitem__(i, send(port, shared + own[i], set())))
            for i in range(3)
        ]
        for t in senders:
            t.start()
        for t in senders:
            t.join(120)
    finally:
        listen.send_signal(signal.SIGTERM)
        stdout, stderr = listen.communicate(timeout=60)
    assert listen.returncode == 0, stderr
    assert statuses == {i: [0] * 30 for i in range(3)}
    assert "90 received, 90 stored, 0 failed, 0 callers refused" in stdout
    outputs = sorted(out.glob("*.dcm"))
    assert len(outputs) == 50
    by_pixels = {bytes(ds.PixelData): uid for uid, ds in originals.items()}
    assert {by_pixels[bytes(pydicom.dcmread(p).PixelData)] for p in outputs} == set(originals)
    assert [p for p in out.iterdir() if p.suffix != ".dcm"] == []  # no temporary left


def test_a_calling_ae_title_not_allowed_is_rejected_at_association(scp: Start) -> None:
    listener, port = scp(allowed=Allowed.parse(["SENDER"]))
    assoc = associate(port, "STRANGER")
    assert assoc.is_rejected and not assoc.is_established
    # A-ASSOCIATE-RJ: rejected-permanent, service user, calling AE title not recognised (PS3.8 9.3.4)
    rj = assoc.acceptor.primitive
    assert (rj.result, rj.result_source, rj.diagnostic) == (1, 1, 3)
    good = associate(port, "SENDER")
    assert good.is_established
    good.release()
    assert listener.refused == 1 and listener.associations == 1


def test_an_address_not_allowed_is_closed_before_anything_is_read(scp: Start) -> None:
    listener, port = scp(allowed=Allowed.parse(["10.9.9.0/24"]))  # loopback is then not allowed
    assoc = associate(port, "SENDER")
    assert not assoc.is_established and not assoc.is_rejected
    deadline = time.monotonic() + 5
    while listener.refused < 1 and time.monotonic() < deadline:
        time.sleep(0.01)
    assert listener.refused == 1
    assert listener.associations == 0  # no association was ever started


def test_output_folder_and_deid_log_are_fsynced_before_each_success(
    scp: Start, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """At each acknowledgement (one sender, one instance at a time) the last fsync of the log saw
    all of it, and the last fsync of the output folder saw every output so far."""
    write_tree(tmp_path / "src", 5)
    paths = sorted((tmp_path / "src").rglob("*.dcm"))
    log = tmp_path / "logs" / "deid.csv"
    seen: dict[str, Any] = {}
    fsync = os.fsync

    def watching_fsync(fd: int) -> None:
        fsync(fd)
        path = os.readlink(f"/proc/self/fd/{fd}")
        seen[path] = sorted(os.listdir(path)) if os.path.isdir(path) else os.path.getsize(path)

    monkeypatch.setattr(os, "fsync", watching_fsync)
    listener, port = scp(deid_log=log)
    out = str(tmp_path / "out")
    for k, path in enumerate(paths, start=1):
        assert send(port, [path], set()) == [0]
        assert seen[str(log)] == log.stat().st_size
        assert len([n for n in seen[out] if n.endswith(".dcm")]) == k
    assert listener.durable.rounds == len(paths)


def test_the_log_names_associations_and_instances_never_a_patient_value(tmp_path: Path) -> None:
    originals = write_tree(tmp_path / "src", 6)
    paths = sorted((tmp_path / "src").rglob("*.dcm"))
    planted: set[str] = set()
    for ds in originals.values():
        planted |= {str(ds.PatientName), str(ds.PatientID), ds.AccessionNumber, ds.PatientBirthDate}
        planted |= {str(ds.SOPInstanceUID), str(ds.StudyInstanceUID), str(ds.SeriesInstanceUID)}
    port = free_port()
    out = tmp_path / "out"
    listen = start_listen(tmp_path, port, "--to", str(out), "--allow", "SENDER", "-v")
    try:
        assert send(port, paths, set()) == [0] * 6
        assert send(port, paths[:1], set(), aet="STRANGER") == []
    finally:
        listen.send_signal(signal.SIGTERM)
        stdout, stderr = listen.communicate(timeout=60)
    assert listen.returncode == 0, stderr
    text = stdout + stderr
    assert "association 2 from SENDER at 127.0.0.1:" in text  # (1 is start_listen's C-ECHO)
    assert ": accepted" in text and "released after" in text and "6 instances, 6 stored, 0 failed" in text
    assert "from STRANGER at 127.0.0.1" in text and "rejected, calling AE title not allowed" in text
    assert text.count("1.2.840.10008.5.1.4.1.1.4 stored as ") == 6  # SOP class, not instance UID
    for output in out.glob("*.dcm"):
        assert f"stored as {output.name}" in text
    leaked = sorted(v for v in planted if v and v in text)
    assert leaked == []
