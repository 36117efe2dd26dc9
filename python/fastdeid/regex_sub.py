"""`regex-sub` and `filenames:` group rules are compiled by the core with the rest of the profile
document (`docs/profiles.md#regex-sub`). What remains here only keeps an old import working."""

from __future__ import annotations

from typing import Any


def _group_rule(*_args: Any, **_kwargs: Any) -> Any:
    """Gone: group rules are compiled by the core (`fastdeid.profile`). `filenames.compile_filenames`
    still imports this name but is no longer called; both can be deleted together."""
    raise NotImplementedError("group rules are compiled by the core with their profile document")
