"""The PS3.6 data dictionary, from the core's generated table (tools/gen_dict.py): keyword, tag and
VR lookups without importing pydicom, which would add a fifth of a second to every command."""

from __future__ import annotations

from functools import cache

from . import _core


def keyword_for_tag(tag: int) -> str | None:
    entry = _core.dictionary_entry(tag)
    return entry[1] if entry else None


def tag_for_keyword(keyword: str) -> int | None:
    return _core.tag_for_keyword(keyword)


def dictionary_vr(tag: int) -> str | None:
    """The VR of a standard tag (repeating groups included; ambiguous VRs resolved as the core
    reads them), or None. Item and delimitation tags have none."""
    entry = _core.dictionary_entry(tag)
    if entry is None or tag >> 16 == 0xFFFE:
        return None
    return entry[0]


@cache
def lower_keywords() -> dict[str, int]:
    """Keyword in lower case -> tag, to correct the case of names as the reference does."""
    return {keyword.lower(): tag for keyword, tag in _core.dictionary_keywords()}
