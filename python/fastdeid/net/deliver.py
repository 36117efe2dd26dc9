"""Delivery of an outbox's files with the sender of the destination's kind (C-STORE or STOW-RS).

Kept apart from outbox.py, which the senders import for the bookkeeping they share."""

from __future__ import annotations

from pathlib import Path

from .dicomweb import send_stow
from .outbox import Delivery, protect
from .url import Destination


def deliver(dest: Destination, files: list[Path], *, retries: int = 3, backoff: float = 0.5) -> Delivery:
    """Sends FILES to DEST with the sender of its kind; see dimse.py and dicomweb.py."""
    protect(files)
    if not files:
        return Delivery()
    if dest.kind == "dimse":
        from .dimse import send_dimse  # needs pynetdicom (the `net` extra); STOW-RS does not

        return send_dimse(dest, files, retries=retries, backoff=backoff)
    return send_stow(dest, files, retries=retries, backoff=backoff)
