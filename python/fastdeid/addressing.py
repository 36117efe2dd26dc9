"""Field names -> element addresses (spec section 4): keywords, hex and tuple tags, private
`(gggg, "Creator", ee)`, nested paths with indices and `*`, 50xx/60xx repeaters, and `regex:`."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from .dictionary import dictionary_vr, keyword_for_tag, lower_keywords, tag_for_keyword
from .errors import ProfileError

HEX_TAG = re.compile(r"^(0x)?([0-9a-fA-F]{8})$")
TUPLE_TAG = re.compile(r"^\(\s*([0-9a-fA-F]{4})\s*,\s*([0-9a-fA-F]{4})\s*\)$")
PRIVATE = re.compile(r'^\(\s*([0-9a-fA-F]{4})\s*,\s*"?([^\\"()]{0,64}?)"?\s*,\s*([0-9a-fA-F]{2})\s*\)$')
REPEATER = re.compile(r"^(?:0x)?([56]0)[Xx]{2}([0-9a-fA-F]{4})$|^\(\s*([56]0)[Xx]{2}\s*,\s*([0-9a-fA-F]{4})\s*\)$")
PATH_ELEMENT = re.compile(r"^(?:[0-9a-fA-F]{8}|\w+)$")
REPEATER_MASK = 0xFF00FFFF

# Ambiguous dictionary VRs resolve as in PS3.5 A.1 and pydicom's defaults.
_AMBIGUOUS = {"OB or OW": "OW", "US or SS or OW": "OW", "US or OW": "OW", "US or SS": "US", "NONE": None}


@dataclass(frozen=True)
class Address:
    """Where a field rule points."""

    name: str  # the name as the log shows it (keywords case-corrected)
    kind: str  # keyword | tag | private | repeater | path | regex
    target: dict[str, Any]  # the core's form: {"path": [...]} or {"regex": "..."}
    tag: int | None  # the leaf element's tag when it is fixed
    vr: str | None  # the leaf's dictionary VR, when known


def dict_vr(tag: int) -> str | None:
    """The dictionary VR of a standard tag (repeating groups included), or None."""
    return dictionary_vr(tag)


def regex_address(pattern: Any, where: str) -> Address:
    if not isinstance(pattern, str) or not pattern:
        raise ProfileError(f"{where}: regex must be a non-empty string")
    try:
        re.compile(pattern)
    except re.error as exc:
        raise ProfileError(f"{where}: regex {pattern!r} does not compile: {exc}") from None
    return Address(pattern, "regex", {"regex": pattern}, None, None)


def resolve(raw: Any, where: str) -> Address:
    """Parses a field's `name:`."""
    if isinstance(raw, bool) or not isinstance(raw, str):
        # Spec 4.7: YAML turns unquoted all-digit names into (octal or decimal) numbers, which the
        # reference then applies to the wrong tag. Refuse them.
        raise ProfileError(f"{where}: field name {raw!r} is not a string; quote tag numbers, e.g. name: '00100030'")
    name = raw.strip()
    if m := REPEATER.match(name):
        high, element = (m.group(1), m.group(2)) if m.group(1) else (m.group(3), m.group(4))
        value = int(high + "00" + element, 16)
        return Address(name, "repeater", {"path": [{"repeater": [value, REPEATER_MASK]}]}, None, dict_vr(value))
    if m := HEX_TAG.match(name):
        tag = int(m.group(2), 16)
        return Address(name, "tag", _flat(tag), tag, dict_vr(tag))
    if m := TUPLE_TAG.match(name):
        tag = int(m.group(1) + m.group(2), 16)
        return Address(name, "tag", _flat(tag), tag, dict_vr(tag))
    if m := PRIVATE.match(name):
        return _private(name, int(m.group(1), 16), m.group(2), int(m.group(3), 16), where)
    if "." in name:
        return _path(name, where)
    tag = _keyword_tag(name, where)
    return Address(keyword_for_tag(tag) or name, "keyword", _flat(tag), tag, dict_vr(tag))


def _flat(tag: int) -> dict[str, Any]:
    return {"path": [{"tag": tag}]}


def _private(name: str, group: int, creator: str, offset: int, where: str) -> Address:
    if group % 2 == 0:
        raise ProfileError(f"{where}: Not a private tag: {name}")
    if not creator.strip():
        raise ProfileError(f"{where}: private creator must not be blank: {name}")
    # Only pydicom carries the private dictionaries; imported here, where one is needed.
    from pydicom.datadict import private_dictionary_VR

    try:
        vr = private_dictionary_VR((group << 16) | 0x1000 | offset, creator)
    except KeyError:
        vr = None
    return Address(
        name, "private", {"path": [{"private": [group, creator, offset]}]}, None, _AMBIGUOUS.get(vr, vr) if vr else None
    )


def _path(name: str, where: str) -> Address:
    parts = name.split(".")
    steps: list[Any] = []
    tag = 0
    for i, part in enumerate(parts):
        if i % 2 == 1:
            if part == "*":
                steps.append("any")
            elif part.isdigit():
                steps.append({"index": int(part)})
            else:
                raise ProfileError(f"{where}: {name}: {part!r} must be an item index or *")
            continue
        if not PATH_ELEMENT.match(part):
            raise ProfileError(f"{where}: {name}: {part!r} is not a keyword or an 8-digit tag")
        tag = int(part, 16) if HEX_TAG.match(part) else _keyword_tag(part, where)
        if i < len(parts) - 1 and dict_vr(tag) not in ("SQ", None):
            raise ProfileError(f"{where}: {name}: {part} is not a sequence")
        steps.append({"tag": tag})
    if len(parts) % 2 == 0:
        raise ProfileError(f"{where}: {name}: a path must end on an element, not an item index")
    return Address(name, "path", {"path": steps}, tag, dict_vr(tag))


def _keyword_tag(name: str, where: str) -> int:
    tag = tag_for_keyword(name)
    if tag is None:
        tag = lower_keywords().get(name.lower())
    if tag is None:
        raise ProfileError(f"{where}: Not in DICOM keyword list: {name}")
    return tag
