"""The ingest config file (`-C/--config-file`, docs/profiles.md#ingest-profiles): YAML or JSON whose keys may be written
snake_case or dash-case; it names the template, the filters and full `deid-profiles:`, which
`--deid-profile NAME` picks before the built-ins."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import yaml

from ..errors import ProfileError, UsageError
from ..profile import builtin
from ..profile.basic import BasicOverrides
from ..profile.load import Profile, compile_document, load_profile
from ..profile.marks import Marks, load_yaml

KNOWN = {
    "template",
    "deid_profiles",
    "include",
    "exclude",
    "include_dirs",
    "exclude_dirs",
    "group",
    "project",
    "de_identify",
    "deid_profile",
    "subject",
    "session",
    "jobs",
    "save_deid_logs",
    "load_subjects",
    "save_subjects",
    "save_mappings",
}


def load_config(path: str | Path | None) -> dict[str, Any]:
    if path is None:
        return {}
    p = Path(path).expanduser()
    if not p.is_file():
        raise UsageError(f"{p}: no such config file")
    text = p.read_text(encoding="utf-8")
    try:
        doc, marks = (json.loads(text), {}) if p.suffix.lower() == ".json" else load_yaml(text)
    except (yaml.YAMLError, json.JSONDecodeError) as exc:
        raise UsageError(f"{p}: not valid YAML/JSON: {exc}") from None
    if not isinstance(doc, dict):
        raise UsageError(f"{p}: the config file must be a mapping")
    config = {str(k).replace("-", "_"): v for k, v in doc.items()}
    unknown = sorted(set(config) - KNOWN)
    if unknown:
        raise UsageError(f"{p}: unknown config keys: {', '.join(unknown)}")
    config["_source"] = str(p)
    config["_marks"] = marks  # where each node is, so an embedded profile's problems get file:line:col
    return config


PROFILE_SUFFIXES = (".yaml", ".yml", ".json")


def select_profile(
    config: dict[str, Any], de_identify: bool, name: str | None, basic: BasicOverrides | None = None
) -> Profile:
    """`--deid-profile NAME` (config profiles first, then built-ins, then a profile file, as
    `run --profile FILE` takes it); `--de-identify` alone means `minimal`; neither means files are
    copied unchanged (profile `none`). `basic` carries the command line's Basic Profile settings
    (`--key-file`, `--option`, `--allow-burned-in`); a config profile's relative `key-file:` is
    taken from the config file's folder."""
    if name is None:
        return load_profile("minimal" if de_identify else "none", basic)
    source = config.get("_source", "<config>")
    for i, doc in enumerate(config.get("deid_profiles") or []):
        if isinstance(doc, dict) and doc.get("name") == name:
            folder = Path(source).parent if "_source" in config else None
            return compile_document(doc, source, _marks_below(config, ("deid-profiles", i)), basic, folder)
    if name in builtin.names():
        return load_profile(name, basic)
    path = Path(name).expanduser()
    if path.is_file() or path.suffix.lower() in PROFILE_SUFFIXES:
        return load_profile(path, basic)  # a Path: never mistaken for a built-in name; a missing file is named
    known = [d.get("name") for d in config.get("deid_profiles") or [] if isinstance(d, dict)] + builtin.names()
    raise ProfileError(
        f"Unknown deid profile {name!r}; known: {', '.join(str(k) for k in known)}, or a profile file (.yaml/.json)"
    )


def _marks_below(config: dict[str, Any], path: tuple[str | int, ...]) -> Marks:
    """The places of the nodes under PATH of the config file, keyed by their path below it."""
    marks: Marks = config.get("_marks") or {}
    return {key[len(path) :]: where for key, where in marks.items() if key[: len(path)] == path}
