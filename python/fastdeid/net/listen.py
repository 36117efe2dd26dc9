"""`fastdeid listen`: a Storage SCP that de-identifies what it receives, in memory.

Each received instance arrives as Part 10 bytes (file meta + the data set as sent, never decoded
here), is de-identified by the core and written durably (temporary file, fsync, rename) into
`--to DIR` or into the forward outbox; only then is the C-STORE answered with success, so an
instance the sender saw acknowledged is never lost. The original is never written to disk.
Outputs are named `<de-identified SOPInstanceUID>.<Modality>.dcm`: an instance received twice (a
sender's retry, a resend after a restart) gets the same name and the same content, and is stored
once. With `--forward`, a sender thread delivers the outbox while listening.

Callers: by default only connections from the loopback interface are served; `--allow` names
AE titles and addresses. On SIGTERM (or Ctrl-C) the server stops accepting, lets the associations
in flight finish, sends what the outbox holds once more, and exits 0.
"""

from __future__ import annotations

import ipaddress
import logging
import os
import signal
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pynetdicom import AE, AllStoragePresentationContexts, evt
from pynetdicom.sop_class import Verification  # type: ignore[attr-defined]

from ..job import BY_UID, Engine, Input, Job
from ..log import TOOLKIT, DeidLog
from ..profile import Profile
from ..resume import remove_stale_temporaries
from .deliver import deliver
from .outbox import make_private_dir, queued
from .tcp import no_delay
from .url import Destination

log = logging.getLogger("fastdeid.net")

SUCCESS = 0x0000
REFUSED_NOT_AUTHORISED = 0x0124  # PS3.7 C.4.2.1.4: "Refused: Not Authorized"
PROCESSING_FAILURE = 0x0110
CANNOT_UNDERSTAND = 0xC000  # "Error: Cannot understand" (a data set the core cannot parse)
# Inputs per engine. An instance received twice by one engine is refused as `duplicate-output`
# (its first copy is stored: success); a fresh engine overwrites it with the same bytes.
RECYCLE = 10_000
GATHER_SECONDS = 0.25  # the forwarder's wait after an instance arrived, before it sends
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
class Allowed:
    """Who may send: AE titles and addresses/networks; empty means loopback callers only."""

    aets: set[str] = field(default_factory=set)
    networks: list[ipaddress.IPv4Network | ipaddress.IPv6Network] = field(default_factory=list)

    @staticmethod
    def parse(entries: list[str]) -> Allowed:
        allowed = Allowed()
        for entry in entries:
            try:
                allowed.networks.append(ipaddress.ip_network(entry, strict=False))
            except ValueError:
                allowed.aets.add(entry.strip())
        return allowed

    def permits(self, aet: str, address: str) -> bool:
        try:
            ip = ipaddress.ip_address(address)
        except ValueError:
            return False
        if not self.aets and not self.networks:
            return ip.is_loopback
        by_aet = not self.aets or aet.strip() in self.aets
        by_address = (ip.is_loopback and not self.networks) or any(ip in n for n in self.networks)
        return by_aet and by_address


class Listener:
    """The SCP's state: the engine, where outputs go, the forwarder, and counters."""

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
        self.engine = Engine(self.job)
        self.lock = threading.Lock()  # one core call at a time: the engine numbers its inputs
        self.received = self.stored = self.refused = self.sent = 0
        self.wake = threading.Event()
        self.stopping = threading.Event()

    # --- DIMSE handlers -------------------------------------------------------------------------

    def on_echo(self, event: Any) -> int:
        return SUCCESS if self._permitted(event) else REFUSED_NOT_AUTHORISED

    def on_store(self, event: Any) -> int:
        if not self._permitted(event):
            self.refused += 1
            return REFUSED_NOT_AUTHORISED
        data = event.encoded_dataset()
        with self.lock:
            self.received += 1
            n = self.received
            if n % RECYCLE == 0:  # the engine remembers every name it gave; start afresh now and then
                self.engine = Engine(self.job)
            result = self.engine.process([Input(data=data, name=f"received-{n}.dcm")], n % RECYCLE)[0]
            if self.log is not None and result.status == "ok" and result.name is not None:
                # Written before the sender hears success (it survives a kill of the process, not a
                # power cut); rows are named by the output, as the input has no name.
                rows = self.engine.log_rows(result, os.path.basename(result.name))
                if rows is not None:
                    self.log.write([(result.name, *rows)])
        if result.status != "ok" and result.code != "duplicate-output":
            # The code and offset only: never a value of the instance.
            log.warning("store: instance %d from %s: %s", n, event.assoc.requestor.ae_title, result.code)
            return CANNOT_UNDERSTAND if result.code not in ("io", "disk-full") else PROCESSING_FAILURE
        self.stored += 1
        self.wake.set()
        return SUCCESS

    def on_open(self, event: Any) -> None:
        log.info("association from %s:%s", event.address[0], event.address[1])

    def _permitted(self, event: Any) -> bool:
        requestor = event.assoc.requestor
        ok = self.allowed.permits(str(requestor.ae_title), str(requestor.address))
        if not ok:
            log.warning("refused: caller %s at %s is not allowed", requestor.ae_title, requestor.address)
        return ok

    # --- forwarding ---------------------------------------------------------------------------

    def forward_once(self) -> bool:
        """Sends what the outbox holds; True when it is empty afterwards."""
        if self.forward is None:
            return True
        files = queued(self.folder)
        if not files:
            return True
        delivery = deliver(self.forward, files, retries=0, backoff=self.backoff)
        self.sent += len(delivery.sent)
        if delivery.error:
            log.warning("forward: %s; %d queued", delivery.error, len(delivery.queued))
        return not (delivery.queued or delivery.failed)

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


def serve(listener: Listener, aet: str, host: str, port: int, on_ready: Any = None) -> int:
    """Runs the SCP until SIGTERM or SIGINT; returns the exit code (0 after a clean stop)."""
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
        (evt.EVT_CONN_OPEN, listener.on_open),
    ]
    stop = threading.Event()
    previous = {s: signal.signal(s, lambda *_: stop.set()) for s in (signal.SIGTERM, signal.SIGINT)}
    forwarder = None
    try:
        if listener.forward is not None:
            listener.forward_once()  # what an earlier run left queued goes first
            forwarder = threading.Thread(target=listener.forwarder, name="fastdeid-forward", daemon=True)
            forwarder.start()
        server = ae.start_server((host, port), block=False, evt_handlers=handlers)
        assert server is not None  # block=False returns the server
        if on_ready is not None:
            on_ready()
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
