"""Which profile an ingest applies: the one the command line or the config file asks for
(config.py), the project's own (project.py), or, when nothing is asked, `minimal` with
--de-identify and `none` (files copied unchanged) without."""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any

from ..profile.basic import BasicOverrides
from ..profile.load import Profile
from .config import select_profile
from .project import choose, find


@dataclass(frozen=True)
class ProfileChoice:
    """The profile, the note that says why when it is the project's, and whether files are copied
    unchanged because nothing asked for de-identification."""

    profile: Profile
    note: str | None
    unchanged: bool


def choose_profile(
    config: dict[str, Any],
    requested: Profile | None,
    de_identify: bool,
    home: str | os.PathLike[str],
    group: str,
    project: str,
    *,
    basic: BasicOverrides,
    override: bool,
) -> ProfileChoice:
    """The profile for an ingest into HOME/GROUP/PROJECT: a project's own profile applies when no
    profile is requested (--de-identify alone included), and refuses another unless `override`."""
    profile, note = choose(find(home, group, project, basic), requested, override=override, where=f"{group}/{project}")
    if profile is not None:
        return ProfileChoice(profile, note, unchanged=False)
    return ProfileChoice(select_profile(config, de_identify, None, basic), None, unchanged=not de_identify)
