"""`fastdeid listen`: a Storage SCP that de-identifies what it receives, in memory.

Each received instance arrives as Part 10 bytes (file meta + the data set as sent, never decoded
here: received.py), is de-identified by the core and written durably (temporary file, fsync, rename) into
`--to DIR` or into the forward outbox; only then is the C-STORE answered with success, so an
instance the sender saw acknowledged is never lost. The original is never written to disk.
Outputs are named `<de-identified SOPInstanceUID>.<Modality>.dcm`: an instance received twice (a
sender's retry, a resend after a restart) gets the same name and the same content, and is stored
once. With `--forward`, a sender thread delivers the outbox while listening.

Associations are served at once, each in its own thread with its own engine; only the counters
and the deid log's appends are serialised, and one round of fsyncs makes the outputs and log rows
of all instances waiting for it durable (durable.py). Callers are checked before anything of an
association is read (callers.py): by default only the loopback interface is served. Each
association and each instance is logged (INFO) by counter, AE title, address, SOP class, status
and output name, never a value or UID of the input. On SIGTERM (or Ctrl-C) the server stops accepting, lets the associations
in flight finish, sends what the outbox holds once more, and exits 0.
"""

from __future__ import annotations

import logging
import os
import signal
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pynetdicom import AE, AllStoragePresentationContexts, evt
from pynetdicom.sop_class import Verification  # type: ignore[attr-defined]

from .._core import FileResult
from ..errors import UsageError
from ..jobs.deid_log import TOOLKIT, DeidLog
from ..jobs.job import Engine, Input, Job
from ..jobs.naming import BY_UID
from ..jobs.temporaries import remove_stale_temporaries
from ..profile.load import Profile
from .callers import Allowed, GatedServer, start_gated_server
from .deliver import deliver
from .durable import GroupCommit, folders_up_to
from .outbox import Delivery, make_private_dir, queued
from .received import part10
from .tcp import no_delay
from .url import Destination

log = logging.getLogger("fastdeid.net")

SUCCESS = 0x0000
PROCESSING_FAILURE = 0x0110
CANNOT_UNDERSTAND = 0xC000  # "Error: Cannot understand" (a data set the core cannot parse)
# A-ASSOCIATE-RJ (result source, diagnostic), PS3.8 9.3.4: the ones pynetdicom sends as acceptor.
REJECTIONS = {
    (1, 3): "calling AE title not allowed",
    (1, 7): "called AE title not ours",
    (3, 2): "too many associations",
}
# Inputs per engine. An instance received twice by one engine is refused as `duplicate-output`
# (its first copy is stored: success); a fresh engine overwrites it with the same bytes.
RECYCLE = 10_000
GATHER_SECONDS = 0.25  # the forwarder's wait after an instance arrived, before it sends
FORWARD_ASSOCIATIONS = 2  # associations at once to the archive for a backlog (see _deliver_in_parallel)
TRANSFER_SYNTAXES = [
    "1.2.840.10008.1.2",  # Implicit VR Little Endian
    "1.2.840.10008.1.2.1",  # Explicit VR Little Endian
    "1.2.840.10008.1.2.1.99",  # Deflated Explicit VR Little Endian
    "1.2.840.10008.1.2.2",  # Explicit VR Big Endian (retired, still sent by old modalities)
    "1.2.840.10008.1.2.4.50",  # JPEG Baseline
    "1.2.840.10008.1.2.4.51",  # JPEG Extended
    "1.2.840.10008.1.2.4.57",  # JPEG Lossless
    "1.2.840.10008.1.2.4.70",  # JPEG Lossless SV1
    "1.2.840.10008.1.2.4.80",  # JPEG-LS Lossless
    "1.2.840.10008.1.2.4.81",  # JPEG-LS Near-lossless
    "1.2.840.10008.1.2.4.90",  # JPEG 2000 Lossless
    "1.2.840.10008.1.2.4.91",  # JPEG 2000
    "1.2.840.10008.1.2.5",  # RLE Lossless
]


@dataclass
class Session:
    """One accepted association: who called, its own engine, and what became of its instances."""

    number: int
    aet: str
    host: str
    port: int
    started: float = field(default_factory=time.monotonic)
    engine: Engine | None = None
    inputs: int = 0  # given to `engine` (numbers its inputs; recycled every RECYCLE)
    stored: int = 0
    failed: int = 0
    ending: str = "connection closed"

    def process(self, job: Job, data: bytes) -> FileResult:
        """De-identifies one instance with this association's engine (made on its first instance).
        An engine per association lets associations de-identify at once (the core call releases
        the GIL); an association's instances come one after another, in order."""
        if self.engine is None or self.inputs % RECYCLE == 0:
            # The engine remembers every name it gave; start afresh now and then.
            self.engine = Engine(job)
        n = self.inputs % RECYCLE
        self.inputs += 1
        return self.engine.process([Input(data=data, name=f"received-{n}.dcm")], n)[0]

    def caller(self) -> str:
        return f"{self.aet} at {self.host}:{self.port}"


class Listener:
    """The SCP's state: the job, where outputs go, the forwarder, the associations and counters."""

    def __init__(
        self,
        profile: Profile,
        folder: Path,
        *,
        forward: Destination | None = None,
        allowed: Allowed | None = None,
        fsync: bool = True,
        retries: int = 3,
        backoff: float = 0.5,
        deid_log: str | os.PathLike[str] | None = None,
    ) -> None:
        make_private_dir(folder) if forward is not None else folder.mkdir(parents=True, exist_ok=True)
        remove_stale_temporaries(folder)  # what a killed listener left half-written (never acknowledged)
        self.folder = folder
        self.forward = forward
        self.allowed = allowed or Allowed()
        self.retries, self.backoff = retries, backoff
        log_path = deid_log if deid_log is not None else profile.deid_log
        # The log is the way back to the patient: never inside the output folder or the outbox.
        self.log = DeidLog(log_path, profile.log_columns(), TOOLKIT, outside=folder) if log_path else None
        if self.log is not None:
            self.log.open()
        self.job = Job((), profile, folder, naming=BY_UID, log=self.log is not None, jobs=1, fsync=fsync, replace=True)
        self.durable = GroupCommit(self.log.sync if self.log is not None else None, enabled=fsync)
        # Counters and the table of associations; the core calls and the fsyncs run outside it.
        self.lock = threading.Lock()
        self.sessions: dict[Any, Session] = {}
        self.associations = 0
        self.received = self.stored = self.failed = self.refused = self.sent = 0
        self.wake = threading.Event()
        self.stopping = threading.Event()

    # --- associations ---------------------------------------------------------------------------

    def on_accepted(self, event: Any) -> None:
        session = self._session(event.assoc)
        log.info("association %d from %s: accepted", session.number, session.caller())

    def on_rejected(self, event: Any) -> None:
        requestor = event.assoc.requestor
        primitive = event.assoc.acceptor.primitive
        why = REJECTIONS.get((primitive.result_source, primitive.diagnostic), "rejected") if primitive else "rejected"
        with self.lock:
            self.refused += 1
        log.warning(
            "association from %s at %s:%s: rejected, %s", requestor.ae_title, requestor.address, requestor.port, why
        )

    def on_refused_connection(self, host: str, port: int) -> None:
        with self.lock:
            self.refused += 1
        log.warning("connection from %s:%d: closed unread, address not allowed", host, port)

    def on_released(self, event: Any) -> None:
        self._session(event.assoc).ending = "released"

    def on_aborted(self, event: Any) -> None:
        self._session(event.assoc).ending = "aborted"

    def on_closed(self, event: Any) -> None:
        with self.lock:
            session = self.sessions.pop(event.assoc, None)
        if session is not None:
            log.info(
                "association %d from %s: %s after %.2f s; %d instances, %d stored, %d failed",
                session.number, session.caller(), session.ending, time.monotonic() - session.started,
                session.stored + session.failed, session.stored, session.failed,
            )  # fmt: skip

    def _session(self, assoc: Any) -> Session:
        with self.lock:
            session = self.sessions.get(assoc)
            if session is None:
                self.associations += 1
                requestor = assoc.requestor
                session = Session(self.associations, str(requestor.ae_title).strip(), requestor.address, requestor.port)
                self.sessions[assoc] = session
            return session

    # --- DIMSE handlers -------------------------------------------------------------------------

    def on_echo(self, event: Any) -> int:
        return SUCCESS  # the caller was checked when it associated

    def on_store(self, event: Any) -> int:
        session = self._session(event.assoc)
        # The SOP class says what arrived without naming it: the instance's own UIDs are identifiers.
        sop_class = str(event.request.AffectedSOPClassUID)
        with self.lock:
            self.received += 1
            n = self.received
        status, outcome = self._store(session, part10(event))
        with self.lock:
            if status == SUCCESS:
                self.stored += 1
                session.stored += 1
            else:
                self.failed += 1
                session.failed += 1
        if status == SUCCESS:
            log.info("instance %d (association %d): %s stored as %s", n, session.number, sop_class, outcome)
            self.wake.set()
        else:
            # The code only (and the offset or tag path it names): never a value of the instance.
            log.warning("instance %d (association %d): %s failed, %s", n, session.number, sop_class, outcome)
        return status

    def _store(self, session: Session, data: bytes) -> tuple[int, str]:
        """De-identifies and stores one instance; (status, output name or failure code) once the
        output and its log rows are durable."""
        result = session.process(self.job, data)
        # `duplicate-output`: this association sent the instance before (a retry); its copy is stored.
        if (result.status != "ok" and result.code != "duplicate-output") or result.name is None:
            # A skip (a `filenames:` input-regex the name does not match) has no code: its status says it.
            code = str(result.code or result.status)
            code += f" at byte {result.offset}" if result.offset is not None else ""
            code += f" in {result.tag_path}" if result.tag_path else ""
            return (PROCESSING_FAILURE if result.code in ("io", "disk-full") else CANNOT_UNDERSTAND), code
        write = None
        if self.log is not None and result.status == "ok":
            deid_log, name = self.log, result.name
            # Rows are named by the output, as the input has no name.
            rows = session.engine.log_rows(result, os.path.basename(name)) if session.engine else None
            if rows is not None:
                write = lambda: deid_log.write([(name, *rows)])  # noqa: E731 (run under the commit lock)
        try:
            self.durable.commit(folders_up_to(str(self.folder / result.name), str(self.folder)), write)
        except UsageError:  # the deid log could not be written: no success without its rows
            return PROCESSING_FAILURE, "deid-log-not-written"
        except OSError as exc:
            return PROCESSING_FAILURE, f"io: not durable ({exc.strerror})"
        return SUCCESS, result.name

    # --- forwarding ---------------------------------------------------------------------------

    def forward_once(self) -> bool:
        """Sends what the outbox holds; True when it is empty afterwards."""
        if self.forward is None:
            return True
        files = queued(self.folder)
        if not files:
            return True
        delivery = self._deliver_in_parallel(files)
        self.sent += len(delivery.sent)
        if delivery.error:
            log.warning("forward: %s; %d queued", delivery.error, len(delivery.queued))
        return not (delivery.queued or delivery.failed)

    def _deliver_in_parallel(self, files: list[Path]) -> Delivery:
        """FORWARD_ASSOCIATIONS associations at once for a backlog: the sender waits for each
        C-STORE response, so one association leaves the archive idle while fastdeid sends."""
        assert self.forward is not None
        forward = self.forward
        shares = [files[i::FORWARD_ASSOCIATIONS] for i in range(FORWARD_ASSOCIATIONS)] if len(files) >= 16 else [files]
        results: list[Delivery] = [Delivery() for _ in shares]

        def send(i: int) -> None:
            results[i] = deliver(forward, shares[i], retries=0, backoff=self.backoff)

        threads = [threading.Thread(target=send, args=(i,), name=f"fastdeid-forward-{i}") for i in range(len(shares))]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        delivery = Delivery()
        for d in results:
            delivery.add(d)
        return delivery

    def forwarder(self) -> None:
        """Delivers the outbox while listening; waits (with backoff) when the archive is down."""
        wait = self.backoff
        while not self.stopping.is_set():
            if self.wake.wait(timeout=wait):
                # Let a few more instances arrive: one association per batch, not per instance.
                self.stopping.wait(GATHER_SECONDS)
            self.wake.clear()
            # Sent: wait for the next instance. The archive is down: wait longer each time.
            wait = 1.0 if self.forward_once() else min(max(wait * 2, self.backoff), 30.0)


def open_scp(listener: Listener, aet: str, host: str, port: int) -> GatedServer:
    """Starts serving LISTENER's SCP in threads; stop it with `.shutdown()`."""
    no_delay()
    ae = AE(ae_title=aet)
    ae.maximum_associations = 16
    for context in AllStoragePresentationContexts:
        if context.abstract_syntax is not None:
            ae.add_supported_context(context.abstract_syntax, TRANSFER_SYNTAXES)
    ae.add_supported_context(Verification)
    handlers: list[Any] = [
        (evt.EVT_C_STORE, listener.on_store),
        (evt.EVT_C_ECHO, listener.on_echo),
        (evt.EVT_ACCEPTED, listener.on_accepted),
        (evt.EVT_REJECTED, listener.on_rejected),
        (evt.EVT_RELEASED, listener.on_released),
        (evt.EVT_ABORTED, listener.on_aborted),
        (evt.EVT_CONN_CLOSE, listener.on_closed),
    ]
    try:
        return start_gated_server(ae, listener.allowed, host, port, handlers, listener.on_refused_connection)
    except OSError as exc:  # the port is taken, the address is not this machine's, ...
        raise UsageError(f"{host}:{port}: io: cannot listen ({exc.strerror or exc})") from None


def serve(
    listener: Listener, aet: str, host: str, port: int, on_ready: Callable[[str, int], None] | None = None
) -> int:
    """Runs the SCP until SIGTERM or SIGINT; returns the exit code (0 after a clean stop).
    `on_ready(host, port)` hears the address actually bound (`port` 0 takes any free port)."""
    stop = threading.Event()
    previous = {s: signal.signal(s, lambda *_: stop.set()) for s in (signal.SIGTERM, signal.SIGINT)}
    forwarder = None
    try:
        if listener.forward is not None:
            listener.forward_once()  # what an earlier run left queued goes first
            forwarder = threading.Thread(target=listener.forwarder, name="fastdeid-forward", daemon=True)
            forwarder.start()
        server = open_scp(listener, aet, host, port)
        if on_ready is not None:
            bound_host, bound_port = server.server_address[:2]
            on_ready(str(bound_host), int(bound_port))
        while not stop.wait(0.2):
            pass
        server.shutdown()  # stops accepting; associations in flight go on in their threads
        deadline = time.monotonic() + 60
        while server.active_associations and time.monotonic() < deadline:
            time.sleep(0.05)
        listener.stopping.set()
        listener.wake.set()
        if forwarder is not None:
            forwarder.join()
            listener.forward_once()
    finally:
        for s, handler in previous.items():
            signal.signal(s, handler)
        if listener.log is not None:
            listener.log.close()
    return 0
