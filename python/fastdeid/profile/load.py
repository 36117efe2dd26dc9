"""Profile loading: YAML or JSON -> one document -> the Rust core, which validates and compiles it.

Profiles use Flywheel's de-identification profile format, as flywheel-migration 13.10.11 reads it
(`docs/profiles.md`). This module only reads the text (marks.py keeps the line and column of every
node), and places the core's problems (each with its path in the document) at `file:line:col`. The
format itself (keys, addressing, actions, defaults, checks) lives in the core, once.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import yaml

from .._core import CompiledProfile
from ..errors import ProfileError
from . import builtin, keys
from .basic import BasicOverrides, basic_base
from .marks import Marks, load_yaml, problem_line, yaml_error
from .rules import Address, FieldRule, FilenameTemplate


@dataclass(frozen=True)
class Profile:
    """A loaded, validated and compiled de-identification profile."""

    name: str
    description: str
    source: str
    rules: tuple[FieldRule, ...]
    deid_log: str | None
    compiled: CompiledProfile = field(repr=False, compare=False)
    spec: dict[str, Any] = field(repr=False, compare=False, default_factory=dict)
    filenames: tuple[FilenameTemplate, ...] = ()  # output-name templates
    implicit_keeps: int = 0  # keep rules added for keywords only `filenames:` outputs use (the last rules)
    core_log_columns: tuple[str, ...] = ()  # the log's value columns the core fills (the compiled profile's)
    # `dicom:` keys of a base profile as written (the compiled form, with the key, is spec["base"]).
    base: str | None = None  # `base:`, the profile applied before the rules (`basic`)
    options: tuple[str, ...] = ()  # `options:` of the base profile
    key_file: str | None = None  # `key-file:`
    # The command line's Basic settings it was loaded with: a project's stored profile is loaded
    # with the same ones before the two are compared (fastdeid.ingest.project.choose).
    overrides: BasicOverrides | None = field(default=None, repr=False, compare=False)

    @property
    def digest(self) -> str:
        """sha256 of the compiled specification: two profiles that act the same share it. The log's
        columns are left out: they follow from the rules, and change no output. So is
        `--allow-burned-in`: it decides which files are written, not what is written, so a rerun that
        lets quarantined files through resumes the same job instead of needing a new folder."""
        acting = {k: v for k, v in self.spec.items() if k != "log"}
        if isinstance(acting.get("base"), dict):
            acting["base"] = {k: v for k, v in acting["base"].items() if k != "allow_burned_in"}
        return hashlib.sha256(json.dumps(acting, sort_keys=True).encode()).hexdigest()

    def log_columns(self) -> list[str]:
        """The deid log's value columns (docs/profiles.md#deid-log): the core's (the three UIDs, then each
        rule's name in processing order, once per distinct name), with the `filenames:` group rules as
        `_fwmtk_filename{i}_{group}` before the keywords only output names use (docs/profiles.md#filenames)."""
        names = list(self.core_log_columns)
        cut = len(names) - self.implicit_keeps
        groups = [f"_fwmtk_filename{i}_{g}" for i, t in enumerate(self.filenames) for g in t.groups]
        return names[:cut] + groups + names[cut:]

    def log_row(self, file_name: str, core_cells: list[str | None]) -> list[str | None]:
        """A full log row: the core's cells with the captured `filenames:` groups inserted. The
        reference logs the captured text, before its group rule, in both rows."""
        captured: list[str | None] = []
        for t in self.filenames:
            m = t.regex.match(file_name)
            captured += [m.group(g) if m else None for g in t.groups]
        cut = len(core_cells) - self.implicit_keeps
        return core_cells[:cut] + captured + core_cells[cut:]


def load_profile(path_or_name: str | os.PathLike[str], basic: BasicOverrides | None = None) -> Profile:
    """Loads a profile from a YAML/JSON file, or a built-in profile by name (`none`, `minimal`, `basic`).
    A name given as text is a built-in first; a path is a file first, then a built-in name.

    `basic` carries the command line's Basic Profile settings (key file, options, burned-in)."""
    text_name = str(path_or_name)
    path = Path(path_or_name).expanduser()
    if text_name in builtin.names() and (isinstance(path_or_name, str) or not path.is_file()):
        return profile_from_text(builtin.text(text_name), f"<built-in {text_name}>", "yaml", basic)
    if not path.is_file():
        known = ", ".join(builtin.names())
        raise ProfileError(f"{text_name}: no such profile file, and not a built-in profile ({known})")
    suffix = path.suffix.lower()
    if suffix not in (".yaml", ".yml", ".json"):
        raise ProfileError(f"{path}: a profile must be a .yaml, .yml or .json file")
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ProfileError(f"{path}: cannot read the profile: {exc.strerror}") from None
    except UnicodeDecodeError as exc:
        raise ProfileError(f"{path}: not UTF-8 text (byte {exc.start})") from None
    prof = profile_from_text(text, str(path), "json" if suffix == ".json" else "yaml", basic, path.parent)
    if prof.deid_log and not Path(prof.deid_log).expanduser().is_absolute():
        # A relative deid-log is taken from the profile's folder, not from wherever the command runs.
        prof = replace(prof, deid_log=str(path.parent / prof.deid_log))
    return prof


def profile_from_text(
    text: str,
    source: str,
    fmt: str = "yaml",
    basic: BasicOverrides | None = None,
    profile_dir: Path | None = None,
) -> Profile:
    """Parses a profile document given as text, keeping the place of every node, and compiles it."""
    if fmt == "json":
        try:
            doc = json.loads(text)
        except json.JSONDecodeError as exc:
            raise ProfileError(f"{source}:{exc.lineno}:{exc.colno}: not valid JSON: {exc.msg}") from None
        # JSON is YAML: read it again for the places (a document YAML cannot read has none).
        try:
            _, marks = load_yaml(text)
        except yaml.YAMLError:
            marks = {}
    else:
        try:
            doc, marks = load_yaml(text)
        except yaml.YAMLError as exc:
            raise ProfileError(yaml_error(exc, source)) from None
    return compile_document(doc, source, marks, basic, profile_dir)


def compile_document(
    doc: Any,
    source: str,
    marks: Marks | None = None,
    basic: BasicOverrides | None = None,
    profile_dir: Path | None = None,
) -> Profile:
    """Hands the document to the core and builds the Profile from what it compiled; every problem
    is raised at once, one line each, placed at its `file:line:col` when the places are known."""
    if not isinstance(doc, dict):
        raise ProfileError(f"{source}: a profile must be a mapping with at least a `dicom:` section")
    dicom_place = (marks or {}).get(("dicom",))
    where = f"{source}:{dicom_place[1][0]}:{dicom_place[1][1]}" if dicom_place else source
    # The Basic Profile's settings need the key, which the front end reads: the core gets them with
    # the document, so that the profile is compiled once. A problem with them is raised after the
    # document's own problems.
    base: dict[str, Any] = {}
    base_problem: ProfileError | None = None
    if isinstance(doc.get("dicom"), dict):
        try:
            base = basic_base(doc["dicom"], where, basic or BasicOverrides(), profile_dir)
        except ProfileError as exc:
            base_problem = exc
    try:
        compiled = CompiledProfile.from_document(
            json.dumps(doc, default=str), Path(source).stem, base=json.dumps(base["base"]) if base else None
        )
    except ProfileError as exc:
        if not exc.problems:
            raise
        lines = [problem_line(p, source, marks or {}) for p in exc.problems]
        raise ProfileError("\n".join(lines), problems=exc.problems) from None
    if base_problem is not None:
        raise base_problem
    summary = json.loads(compiled.summary() or "{}")
    spec = {**summary["spec"], **base}  # what the profile does, the Basic Profile's settings included
    rules = tuple(_field_rule(s, r) for s, r in zip(spec["fields"], summary["rules"], strict=True))
    return Profile(
        name=summary["name"],
        description=summary["description"],
        source=source,
        rules=rules,
        deid_log=summary["deid_log"],
        compiled=compiled,
        spec=spec,
        filenames=tuple(_filename_template(t) for t in summary["filenames"]),
        implicit_keeps=summary["implicit_keeps"],
        core_log_columns=tuple(summary["log_columns"]),
        base=summary["base"],
        options=tuple(summary["options"]),
        key_file=summary["key_file"],
        overrides=basic,
    )


def _field_rule(spec: dict[str, Any], rule: dict[str, Any]) -> FieldRule:
    target = {"path": spec["path"]} if "path" in spec else {"regex": spec["regex"]}
    return FieldRule(
        Address(rule["name"], rule["kind"], target, rule["tag"], rule["vr"]),
        rule["action"],
        value=spec["value"],
        insert=spec["insert"],
        shift=spec["shift"],
        jitter=spec["jitter"],
        cases=spec["cases"],
    )


def _filename_template(t: dict[str, Any]) -> FilenameTemplate:
    try:
        regex = re.compile(t["input_regex"])
    except re.error as exc:
        # The core's engine accepted it; the names are matched with Python's.
        raise ProfileError(f"filenames input-regex does not compile in Python: {exc}") from None
    return FilenameTemplate(t["output"], regex, tuple(t["groups"]), tuple(t["keywords"]))


def require_key(profile: Profile) -> None:
    """Refuses a `base: basic` profile that has no key; call it before a run reads any file."""
    base = profile.spec.get("base")
    if base is not None and not base.get("key_hex"):
        raise ProfileError(
            f"{profile.source}: the basic profile needs a secret key: give --key-file PATH, set {keys.ENV_VAR},"
            " or add `key-file:` to the profile (make one with `fastdeid key new PATH`)"
        )
