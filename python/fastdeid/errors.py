"""Exception classes. Messages name files, tags and byte offsets, never a value from a file."""

from __future__ import annotations


class FastdeidError(Exception):
    """Base class of every fastdeid error."""


class ProfileError(FastdeidError):
    """A profile is invalid: the message names the file, the line and the rule when known."""

    def __init__(self, message: str, code: str = "profile", offset: int | None = None, tag_path: str | None = None):
        super().__init__(message)
        self.code = code


class DicomError(FastdeidError):
    """A file could not be parsed or rewritten.

    ``code`` is a stable identifier (``truncated``, ``not-dicom``, ...), ``offset`` the byte offset
    of the fault and ``tag_path`` the element it concerns.
    """

    def __init__(self, message: str, code: str, offset: int | None = None, tag_path: str | None = None):
        super().__init__(message)
        self.code = code
        self.offset = offset
        self.tag_path = tag_path


class UsageError(FastdeidError):
    """The command line or API call is inconsistent (e.g. DST inside SRC)."""
