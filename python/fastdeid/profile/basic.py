"""The PS3.15 Basic Profile as a profile's base (`base: basic`, docs/basic-profile.md): its options,
the command line's settings for it, and the `base` object (the key included) that the core
compiles with the document.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..errors import ProfileError
from . import keys


@dataclass(frozen=True)
class BasicOverrides:
    """The command line's Basic Profile settings: `--key-file`, `--option` (repeatable), `--allow-burned-in`."""

    key_file: str | None = None
    options: tuple[str, ...] = ()
    allow_burned_in: bool = False


BASIC_OPTIONS = (
    "retain-safe-private",
    "retain-uids",
    "retain-device-identity",
    "retain-institution-identity",
    "retain-patient-characteristics",
    "retain-longitudinal-full-dates",
    "retain-longitudinal-modified-dates",
    "clean-descriptors",
    "clean-structured-content",
    "clean-graphics",
)


def basic_base(
    dicom: dict[str, Any], where: str, overrides: BasicOverrides, profile_dir: Path | None
) -> dict[str, Any]:
    """The core's `base` object for `base: basic` (docs/basic-profile.md, "Using the Basic Profile"), or {}.

    The key is read here, before any file is: `--key-file`, else $FASTDEID_KEY_FILE, else the
    profile's `key-file:` (relative to the profile's folder). Without one the profile still loads
    (to be listed or validated); `require_key` refuses it before a run, and the core fails every
    file it is given."""
    base = dicom.get("base")
    if base is None:
        for key in ("options", "key-file", "pseudonym", "date-shift-days"):
            if key in dicom:
                raise ProfileError(f"{where}: {key} applies only with `base: basic`")
        if overrides.options or overrides.allow_burned_in:
            raise ProfileError(f"{where}: --option and --allow-burned-in need a profile with `base: basic`")
        return {}
    if base != "basic":
        raise ProfileError(f"{where}: base must be `basic` (the DICOM PS3.15 Basic Profile), not {base!r}")
    options = dicom.get("options") or []
    if not isinstance(options, list) or not all(isinstance(o, str) for o in options):
        raise ProfileError(f"{where}: options must be a list of option names")
    options = list(dict.fromkeys([*options, *overrides.options]))
    for name in options:
        if name not in BASIC_OPTIONS:
            raise ProfileError(
                f"{where}: unknown basic option {name!r}{_did_you_mean(name, set(BASIC_OPTIONS))}"
                f" (choose from {', '.join(BASIC_OPTIONS)})"
            )
    key_file = dicom.get("key-file")
    if key_file is not None and not isinstance(key_file, str):
        raise ProfileError(f"{where}: key-file must be a path")
    path = keys.key_path(overrides.key_file, key_file, profile_dir)
    spec: dict[str, Any] = {"name": "basic", "options": options, "allow_burned_in": overrides.allow_burned_in}
    if path is not None:
        spec["key_hex"] = keys.load_key(path).hex()
    pseudonym = dicom.get("pseudonym")
    if pseudonym is not None:
        if not isinstance(pseudonym, dict) or set(pseudonym) - {"prefix", "alphabet", "length"}:
            raise ProfileError(f"{where}: pseudonym takes prefix, alphabet (base32 or decimal) and length")
        spec["pseudonym"] = dict(pseudonym)
    shift = dicom.get("date-shift-days")
    if shift is not None:
        if not (isinstance(shift, list) and len(shift) == 2 and all(type(d) is int for d in shift)):
            raise ProfileError(f"{where}: date-shift-days must be [low, high] in whole days, e.g. [-1095, -1]")
        spec["date_shift_days"] = shift
    return {"base": spec}


def _did_you_mean(key: Any, known: set[str]) -> str:
    close = difflib.get_close_matches(str(key), sorted(known), n=1, cutoff=0.6)
    return f"; did you mean {close[0]!r}?" if close else ""
