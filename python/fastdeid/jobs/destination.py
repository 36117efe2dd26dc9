"""A destination given as text: a folder, or the URL of an archive, which only the network front
ends (net/) can write to. Any other URL is refused rather than taken as a folder: `ftp://host/x`
would quietly fill a local folder named `ftp:`."""

from __future__ import annotations

import re

from ..errors import UsageError

SCHEMES = ("dicom://", "dicomweb+http://", "dicomweb+https://")
# `scheme:/...` (RFC 3986 3.1): what a user means as a URL, never as a folder named `ftp:`.
LOOKS_LIKE_URL = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*:/")
USAGE = "dicom://AET@host:port or dicomweb+http(s)://host:port/path"


def is_network(text: str) -> bool:
    """Whether TEXT names a network destination rather than a folder. A URL of any other scheme
    (`ftp://host/x`, `dicom:/X@host:1`) is a UsageError: taken as a folder, it would quietly
    fill a local folder named `ftp:`."""
    if text.lower().startswith(SCHEMES):
        return True
    refuse_other_url(text)
    return False


def refuse_other_url(text: str) -> None:
    """Raises UsageError when TEXT looks like a URL but is not one of SCHEMES."""
    if LOOKS_LIKE_URL.match(text):
        raise UsageError(f"{text}: not a supported destination URL ({USAGE}; ./{text} for a folder of that name)")
