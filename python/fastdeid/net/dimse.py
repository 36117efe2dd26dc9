"""C-STORE SCU: delivers outbox files to a DICOM archive (`dicom://AET@host:port`).

One association per batch, with one presentation context per (SOP class, transfer syntax) pair
of the batch's files, so that each file is sent as it is stored, never transcoded. An association
that cannot be made, or that breaks, is retried with exponential backoff; what is still unsent
after the last retry stays queued.
"""

from __future__ import annotations

import logging
import socket
import time
from pathlib import Path

from pydicom.errors import InvalidDicomError
from pydicom.filereader import read_file_meta_info
from pynetdicom import AE, _config, build_context
from pynetdicom.association import Association

from .outbox import Delivery, acknowledged
from .responses import return_stolen_responses
from .tcp import no_delay
from .url import Destination

CALLING_AET = "FASTDEID"
MAX_CONTEXTS = 128  # the most presentation contexts one association may propose (PS3.8 9.3.2)
BATCH = 1000  # files per association
# C-STORE statuses that mean the archive stored the instance: success, and the warnings
# "coercion of data elements", "elements discarded", "data set does not match SOP class".
STORED = {0x0000, 0xB000, 0xB006, 0xB007}

log = logging.getLogger("fastdeid.net")

# Send a file's data set as its bytes on disk (pynetdicom's documented setting): by default
# `send_c_store(path)` decodes the whole file with pydicom and encodes it again, which costs more
# CPU than the de-identification and may change the bytes fastdeid wrote. The exact presentation
# context this needs is what each batch proposes.
_config.STORE_SEND_CHUNKED_DATASET = True


def file_meta(path: Path) -> tuple[str, str, str]:
    """(SOP class, SOP instance, transfer syntax) of a Part 10 file, from its file meta only."""
    meta = read_file_meta_info(path)
    return str(meta.MediaStorageSOPClassUID), str(meta.MediaStorageSOPInstanceUID), str(meta.TransferSyntaxUID)


def send_dimse(dest: Destination, files: list[Path], *, retries: int = 3, backoff: float = 0.5) -> Delivery:
    """Sends FILES to DEST by C-STORE, deleting each one the archive acknowledged."""
    no_delay()
    return_stolen_responses()
    delivery = Delivery()
    pending: list[tuple[Path, tuple[str, str]]] = []
    for path in files:
        try:
            sop_class, _, syntax = file_meta(path)
        except (OSError, InvalidDicomError, AttributeError) as exc:
            delivery.failed.append((path, f"unreadable-outbox-file: {type(exc).__name__}"))
            continue
        pending.append((path, (sop_class, syntax)))
    batches = _batches(pending)
    for n, batch in enumerate(batches):
        left = _send_batch(dest, batch, delivery, retries, backoff)
        if left:  # the archive cannot be reached: everything after this stays queued too
            delivery.queued += [p for p, _ in left]
            delivery.queued += [p for b in batches[n + 1 :] for p, _ in b]
            break
    return delivery


def _batches(pending: list[tuple[Path, tuple[str, str]]]) -> list[list[tuple[Path, tuple[str, str]]]]:
    """Splits the files so that each batch has at most BATCH files and MAX_CONTEXTS contexts."""
    batches: list[list[tuple[Path, tuple[str, str]]]] = []
    current: list[tuple[Path, tuple[str, str]]] = []
    contexts: set[tuple[str, str]] = set()
    for item in pending:
        if len(current) >= BATCH or (item[1] not in contexts and len(contexts) >= MAX_CONTEXTS):
            batches.append(current)
            current, contexts = [], set()
        current.append(item)
        contexts.add(item[1])
    if current:
        batches.append(current)
    return batches


def _send_batch(
    dest: Destination,
    batch: list[tuple[Path, tuple[str, str]]],
    delivery: Delivery,
    retries: int,
    backoff: float,
) -> list[tuple[Path, tuple[str, str]]]:
    """Sends one batch, retrying broken associations; returns what could not be sent."""
    left = batch
    for attempt in range(retries + 1):
        if attempt:
            time.sleep(backoff * 2 ** (attempt - 1))
        ae = AE(ae_title=CALLING_AET)
        contexts = sorted({c for _, c in left})
        ae.requested_contexts = [build_context(sop, [syntax]) for sop, syntax in contexts]
        try:
            assoc = ae.associate(dest.host, dest.port, ae_title=dest.aet)
        except OSError as exc:  # raised while resolving the host name, before any connection
            delivery.error = dest.unresolvable if isinstance(exc, socket.gaierror) else f"{dest.host}: {exc}"
            log.info("send: %s (attempt %d of %d)", delivery.error, attempt + 1, retries + 1)
            continue
        if not assoc.is_established:
            delivery.error = f"association with {dest.aet}@{dest.host}:{dest.port} not established"
            log.info("send: %s (attempt %d of %d)", delivery.error, attempt + 1, retries + 1)
            continue
        try:
            left = _store_all(assoc, left, delivery)
        finally:
            if assoc.is_established:
                assoc.release()
        if not left:
            delivery.error = None
            return []
        delivery.error = f"association with {dest.aet}@{dest.host}:{dest.port} broke"
    return left


def _store_all(
    assoc: Association, items: list[tuple[Path, tuple[str, str]]], delivery: Delivery
) -> list[tuple[Path, tuple[str, str]]]:
    """C-STOREs each item on an open association; returns the items from the first one the
    association could not carry (it broke) onwards."""
    accepted = {(str(c.abstract_syntax), str(c.transfer_syntax[0])) for c in assoc.accepted_contexts}
    for i, (path, context) in enumerate(items):
        if context not in accepted:
            delivery.failed.append((path, f"not-accepted: the archive refused SOP class {context[0]} in {context[1]}"))
            continue
        if not assoc.is_established:
            return items[i:]
        status = assoc.send_c_store(path)
        code = getattr(status, "Status", None)
        if code is None:  # no response: the association broke or timed out
            return items[i:]
        if code in STORED:
            acknowledged(path, delivery)
        else:
            delivery.failed.append((path, f"store-refused: C-STORE status 0x{code:04X}"))
    return []
