"""STOW-RS: delivers outbox files to a DICOMweb service (`dicomweb+http(s)://host:port/path`).

Files go in batches as one multipart/related POST to `<base>/studies` (PS3.18 10.5). A file leaves
the outbox only when the response lists its SOP instance among the stored ones (Referenced SOP
Sequence) and not among the failed ones; a connection error or a 5xx answer is retried with
exponential backoff, then the batch stays queued.
"""

from __future__ import annotations

import json
import logging
import socket
import time
import urllib.error
import urllib.request
import uuid
from pathlib import Path
from typing import Any

from pydicom.errors import InvalidDicomError

from .dimse import file_meta
from .outbox import Delivery, acknowledged
from .url import Destination

BATCH_FILES = 100
BATCH_BYTES = 32 * 1024 * 1024
TIMEOUT = 60.0  # seconds for one POST
REFERENCED_SOP = "00081199"
FAILED_SOP = "00081198"
SOP_INSTANCE = "00081155"

log = logging.getLogger("fastdeid.net")


def send_stow(dest: Destination, files: list[Path], *, retries: int = 3, backoff: float = 0.5) -> Delivery:
    """Sends FILES to DEST by STOW-RS, deleting each one the service stored."""
    delivery = Delivery()
    batches: list[list[tuple[Path, str]]] = [[]]
    size = 0
    for path in files:
        try:
            _, instance, _ = file_meta(path)
            length = path.stat().st_size
        except (OSError, InvalidDicomError, AttributeError) as exc:
            delivery.failed.append((path, f"unreadable-outbox-file: {type(exc).__name__}"))
            continue
        if batches[-1] and (len(batches[-1]) >= BATCH_FILES or size + length > BATCH_BYTES):
            batches.append([])
            size = 0
        batches[-1].append((path, instance))
        size += length
    batches = [b for b in batches if b]
    for n, batch in enumerate(batches):
        if not _post_batch(dest, batch, delivery, retries, backoff):
            delivery.queued += [p for p, _ in batch] + [p for b in batches[n + 1 :] for p, _ in b]
            break
    return delivery


def _post_batch(
    dest: Destination, batch: list[tuple[Path, str]], delivery: Delivery, retries: int, backoff: float
) -> bool:
    """POSTs one batch (retrying); False when the service could not be reached."""
    boundary = uuid.uuid4().hex
    parts = []
    for path, _ in batch:
        parts.append(f"--{boundary}\r\nContent-Type: application/dicom\r\n\r\n".encode())
        parts.append(path.read_bytes())
        parts.append(b"\r\n")
    parts.append(f"--{boundary}--\r\n".encode())
    body = b"".join(parts)
    headers = {
        "Content-Type": f'multipart/related; type="application/dicom"; boundary={boundary}',
        "Accept": "application/dicom+json",
    }
    for attempt in range(retries + 1):
        if attempt:
            time.sleep(backoff * 2 ** (attempt - 1))
        request = urllib.request.Request(f"{dest.base}/studies", data=body, headers=headers, method="POST")
        try:
            with urllib.request.urlopen(request, timeout=TIMEOUT) as response:
                answer = response.read()
        except urllib.error.HTTPError as exc:
            if exc.code >= 500:
                delivery.error = f"{dest.base}: HTTP {exc.code}"
                continue
            answer = exc.read()  # 409 (nothing stored) or 4xx: the response still says which failed
            if exc.code not in (400, 409, 202):
                for path, _ in batch:
                    delivery.failed.append((path, f"store-refused: HTTP {exc.code}"))
                return True
        except (urllib.error.URLError, OSError) as exc:
            reason = getattr(exc, "reason", exc)
            delivery.error = dest.unresolvable if isinstance(reason, socket.gaierror) else f"{dest.base}: {reason}"
            log.info("send: %s (attempt %d of %d)", delivery.error, attempt + 1, retries + 1)
            continue
        _account(batch, answer, delivery)
        delivery.error = None
        return True
    return False


def _account(batch: list[tuple[Path, str]], answer: bytes, delivery: Delivery) -> None:
    """Deletes the files the response lists as stored; the others count as failed."""
    stored: set[str] = set()
    failed: set[str] = set()
    try:
        doc: Any = json.loads(answer or b"{}")
    except ValueError:
        doc = {}
    if isinstance(doc, list):
        doc = doc[0] if doc else {}
    stored = _instances(doc, REFERENCED_SOP)
    failed = _instances(doc, FAILED_SOP)
    for path, instance in batch:
        if instance in stored and instance not in failed:
            acknowledged(path, delivery)
        else:
            delivery.failed.append((path, "store-refused: not in the STOW-RS response's stored instances"))


def _instances(doc: dict[str, Any], sequence: str) -> set[str]:
    items = (doc.get(sequence) or {}).get("Value") or []
    found: set[str] = set()
    for item in items:
        values = (item.get(SOP_INSTANCE) or {}).get("Value") or []
        found.update(str(v) for v in values)
    return found
