"""fastdeid in the DICOM network: send de-identified files to an archive (C-STORE or STOW-RS)
through a durable outbox, and receive from modalities (`fastdeid listen`).

A network destination is an outbox folder plus a sender: the job writes de-identified files into
the outbox as into any local tree, then the sender delivers them and deletes each one only once the
archive acknowledged it. What cannot be delivered stays queued for the next attempt.
"""

from .url import Destination, parse_destination

__all__ = ["Destination", "parse_destination"]
