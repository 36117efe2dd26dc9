"""Field names -> element addresses, as the core resolves them (`docs/profiles.md#addressing`):
keywords, hex and tuple tags, private `(gggg, "Creator", ee)`, nested paths with indices and `*`,
50xx/60xx repeaters, and `regex:`."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from . import _core
from .errors import ProfileError


@dataclass(frozen=True)
class Address:
    """Where a field rule points."""

    name: str  # the name as the log shows it (keywords case-corrected)
    kind: str  # keyword | tag | private | repeater | path | regex
    target: dict[str, Any]  # the core's form: {"path": [...]} or {"regex": "..."}
    tag: int | None  # the leaf element's tag when it is fixed
    vr: str | None  # the leaf's dictionary VR, when known


def resolve(raw: str, where: str) -> Address:
    """Resolves a field's `name:` with the core; `where` prefixes the message of a name that
    addresses nothing."""
    try:
        name, kind, target, tag, vr = _core.resolve_name(raw)
    except ProfileError as exc:
        raise ProfileError(f"{where}: {exc}" if where else str(exc), exc.code) from None
    return Address(name, kind, json.loads(target), tag, vr)
