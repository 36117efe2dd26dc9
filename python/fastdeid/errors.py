"""Exception classes. Messages name files, tags and byte offsets, never a value from a file."""

from __future__ import annotations

import json
from typing import Any


class FastdeidError(Exception):
    """Base class of every fastdeid error."""


class ProfileError(FastdeidError):
    """A profile is invalid: the message has one line per problem, naming the file, the line and
    column, and the rule when known.

    ``problems`` holds the core's findings as raised by the core, before they are placed in a file:
    each a dict with ``code``, ``message``, ``path`` (keys and indices into the document) and
    ``anchor`` (``key`` or ``value``).
    """

    def __init__(
        self,
        message: str,
        code: str = "profile",
        offset: int | None = None,
        tag_path: str | None = None,
        problems: str | list[dict[str, Any]] | None = None,
    ):
        super().__init__(message)
        self.code = code
        self.problems: list[dict[str, Any]] = json.loads(problems) if isinstance(problems, str) else problems or []


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
