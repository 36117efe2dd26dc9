"""Network destinations as URLs: `dicom://AET@host:port` (C-STORE) and
`dicomweb+http(s)://host:port/path` (STOW-RS)."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from urllib.parse import urlsplit

from ..errors import UsageError
from ..jobs.destination import USAGE
from .aet import ae_title_problem


@dataclass(frozen=True)
class Destination:
    """Where a sender delivers: `kind` "dimse" (aet, host, port) or "dicomweb" (base URL)."""

    url: str
    kind: str
    host: str
    port: int
    aet: str = ""
    base: str = ""  # DICOMweb: the service's root, e.g. http://host:8042/dicom-web

    @property
    def unresolvable(self) -> str:
        """The delivery error when the host name does not resolve (queued, as when refused)."""
        return f"{self.host}: cannot resolve the host name"

    @property
    def key(self) -> str:
        """A short stable name for this destination's outbox folder (the URL may hold an AE title
        or a host name nobody wants as a folder name)."""
        return hashlib.sha256(self.url.encode()).hexdigest()[:16]


def parse_destination(text: str) -> Destination:
    """Parses a network destination URL, or raises UsageError naming what is wrong."""
    try:
        parts = urlsplit(text)
    except ValueError as exc:  # e.g. "Invalid IPv6 URL": an unclosed `[`
        raise UsageError(f"{text}: not a valid URL ({exc})") from None
    scheme = parts.scheme.lower()
    try:
        port = parts.port
    except ValueError:
        raise UsageError(f"{text}: the port is not a number from 1 to 65535") from None
    if scheme == "dicom":
        if not parts.username or not parts.hostname or port is None:
            raise UsageError(f"{text}: a DICOM destination is dicom://AET@host:port")
        problem = ae_title_problem(parts.username)
        if problem is not None:
            raise UsageError(f"{text}: {problem}")
        return Destination(text, "dimse", parts.hostname, port, aet=parts.username)
    if scheme in ("dicomweb+http", "dicomweb+https"):
        if not parts.hostname:
            raise UsageError(f"{text}: a DICOMweb destination is dicomweb+http(s)://host:port/path")
        http = scheme.removeprefix("dicomweb+")
        netloc = parts.netloc
        base = f"{http}://{netloc}{parts.path.rstrip('/')}"
        return Destination(text, "dicomweb", parts.hostname, port or (443 if http == "https" else 80), base=base)
    raise UsageError(f"{text}: not a network destination ({USAGE})")
