"""What an AE title may be (PS3.5 6.2, VR AE): the one rule for `listen --aet`, `--allow` and the
AE title of a `dicom://AET@host:port` destination."""

from __future__ import annotations

MAX_LENGTH = 16


def ae_title_problem(text: str) -> str | None:
    """Why TEXT is not an AE title, or None when it is one: 1-16 characters of the default
    repertoire (ASCII), no backslash, no control character, not all spaces."""
    if not text.strip():
        return "an AE title is not empty nor all spaces"
    if len(text) > MAX_LENGTH:
        return f"an AE title has at most {MAX_LENGTH} characters"
    if not text.isascii() or not text.isprintable() or "\\" in text:
        return "an AE title holds ASCII characters only, no backslash, no control character"
    return None
