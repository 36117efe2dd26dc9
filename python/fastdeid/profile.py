"""Profile loading: YAML or JSON -> one document -> the Rust core, which validates and compiles it.

Profiles use Flywheel's de-identification profile format, as flywheel-migration 13.10.11 reads it
(`docs/profiles.md`). This module only reads the text, keeping the line and column of every node,
and places the core's problems (each with its path in the document) at `file:line:col`. The format
itself (keys, addressing, actions, defaults, checks) lives in the core, once.
"""

from __future__ import annotations

import difflib
import hashlib
import json
import os
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from importlib import resources
from pathlib import Path
from typing import Any, TypedDict

import yaml

from . import _core, keys
from .addressing import Address
from .errors import ProfileError

# The document's shape, for type checkers and readers. The core's serde types are the definition;
# tests/test_profile_document.py keeps these keys equal to them (`_core.document_keys()`).
GroupRuleDoc = TypedDict(
    "GroupRuleDoc",
    {
        "name": str,
        "keep": bool,
        "replace-with": "str | int | float",
        "hash": bool,
        "hashuid": bool,
        "increment-date": bool,
        "increment-datetime": bool,
        "date-format": str,
        "datetime-format": str,
        "date-increment-override": float,
        "datetime-min": str,
        "datetime-max": str,
        "jitter-date": bool,
        "jitter-range": float,
        "jitter-unit": str,
    },
    total=False,
)
RegexSubDoc = TypedDict("RegexSubDoc", {"input-regex": str, "output": str, "groups": "list[GroupRuleDoc]"}, total=False)
FilenamesDoc = TypedDict(
    "FilenamesDoc", {"output": str, "input-regex": str, "groups": "list[GroupRuleDoc]"}, total=False
)
FieldDoc = TypedDict(
    "FieldDoc",
    {
        "name": str,
        "regex": str,
        "replace-with-insert": bool,
        "date-format": str,
        "datetime-format": str,
        "date-increment-override": float,
        "datetime-min": str,
        "datetime-max": str,
        "jitter-date": bool,
        "jitter-range": float,
        "jitter-unit": str,
        "jitter-type": str,
        "jitter-min": float,
        "jitter-max": float,
        "force-nonce": Any,  # refused: not applied by this version
        "identity": bool,
        "keep": bool,
        "remove": bool,
        "replace-with": "str | int | float | list[str | int | float] | None",
        "hash": bool,
        "hashuid": bool,
        "increment-date": bool,
        "jitter": bool,
        "increment-datetime": bool,
        "regex-sub": "list[RegexSubDoc]",
        "encrypt": Any,  # refused
        "decrypt": Any,  # refused
    },
    total=False,
)
DicomDoc = TypedDict(
    "DicomDoc",
    {
        "fields": "list[FieldDoc]",
        "replace-with-insert": bool,
        "salt": str,
        "hash-digits": int,
        "uid-prefix-fields": int,
        "uid-suffix-fields": int,
        "uid-numeric-name": str,
        "recurse-sequence": bool,
        "date-increment": float,
        "date-format": str,
        "datetime-format": str,
        "remove-private-tags": bool,
        "remove-undefined": bool,
        "patient-age-from-birthdate": bool,
        "patient-age-units": str,
        "jitter-range": float,
        "jitter-type": str,
        "filenames": "list[FilenamesDoc]",
        "jitter-seed": str,
        # The PS3.15 Basic Profile as a base (docs/basic-profile.md; applied in basic_base below).
        "base": str,
        "options": "list[str]",
        "key-file": str,
        "pseudonym": "dict[str, Any]",
        "date-shift-days": "list[int]",
        # The reference's keys this version refuses.
        "decode": Any,
        "retain": Any,
        "secret-key": Any,
        "asymmetric-encryption": Any,
        "public-key": Any,
        "private-key": Any,
        "force-nonce": Any,
        "file-filter": Any,
        "enforce-file-filter": Any,
        "alter_pixels": Any,
    },
    total=False,
)
ProfileDoc = TypedDict(
    "ProfileDoc",
    {
        "name": str,
        "description": str,
        "deid-log": str,
        "secret-key": Any,
        "map-subjects": Any,
        "dicom": DicomDoc,
        # Sections for other file types of the reference: accepted and ignored.
        "filename": Any,
        "json": Any,
        "key-value-text-file": Any,
        "nifti": Any,
        "zip": Any,
        "jpg": Any,
        "png": Any,
        "csv": Any,
        "tsv": Any,
        "table": Any,
        "tiff": Any,
        "xml": Any,
    },
    total=False,
)
DOCUMENT_TYPES: dict[str, Any] = {
    "document": ProfileDoc,
    "dicom": DicomDoc,
    "field": FieldDoc,
    "regex-sub": RegexSubDoc,
    "filenames": FilenamesDoc,
    "group": GroupRuleDoc,
}


@dataclass(frozen=True)
class FieldRule:
    """One validated field rule, in the order it runs."""

    address: Address
    action: str
    value: Any = None
    insert: bool = True
    shift: dict[str, Any] | None = None  # increment-date/-datetime parameters
    jitter: dict[str, Any] | None = None  # jitter parameters
    cases: list[dict[str, Any]] | None = None  # regex-sub cases

    @property
    def name(self) -> str:
        return self.address.name

    @property
    def tag(self) -> int | None:
        return self.address.tag


@dataclass(frozen=True)
class Profile:
    """A loaded, validated and compiled de-identification profile."""

    name: str
    description: str
    source: str
    rules: tuple[FieldRule, ...]
    deid_log: str | None
    compiled: _core.CompiledProfile = field(repr=False, compare=False)
    spec: dict[str, Any] = field(repr=False, compare=False, default_factory=dict)
    filenames: tuple[Any, ...] = ()  # output-name templates (fastdeid.filenames.FilenameTemplate)
    implicit_keeps: int = 0  # keep rules added for keywords only `filenames:` outputs use (the last rules)
    core_log_columns: tuple[str, ...] = ()  # the log's value columns the core fills (the compiled profile's)
    # `dicom:` keys of a base profile as written (the compiled form, with the key, is spec["base"]).
    base: str | None = None  # `base:`, the profile applied before the rules (`basic`)
    options: tuple[str, ...] = ()  # `options:` of the base profile
    key_file: str | None = None  # `key-file:`
    # The command line's Basic settings it was loaded with: a project's stored profile is loaded
    # with the same ones before the two are compared (fastdeid.project.choose).
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


def builtin_names() -> list[str]:
    """Names of the profiles that ship with fastdeid."""
    return sorted(
        p.name.removesuffix(".yaml") for p in resources.files("fastdeid.profiles").iterdir() if p.name.endswith(".yaml")
    )


def load_profile(path_or_name: str | os.PathLike[str], basic: BasicOverrides | None = None) -> Profile:
    """Loads a profile from a YAML/JSON file, or a built-in profile by name (`none`, `minimal`, `basic`).
    A name given as text is a built-in first; a path is a file first, then a built-in name.

    `basic` carries the command line's Basic Profile settings (key file, options, burned-in)."""
    text_name = str(path_or_name)
    path = Path(path_or_name).expanduser()
    if text_name in builtin_names() and (isinstance(path_or_name, str) or not path.is_file()):
        res = resources.files("fastdeid.profiles").joinpath(f"{text_name}.yaml")
        return profile_from_text(res.read_text(encoding="utf-8"), f"<built-in {text_name}>", "yaml", basic)
    if not path.is_file():
        known = ", ".join(builtin_names())
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


# Where each node of a document starts: path -> (line, column) of its key and of its value, 1-based.
Marks = dict[tuple[str | int, ...], tuple[tuple[int, int], tuple[int, int]]]


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
            raise ProfileError(_yaml_error(exc, source)) from None
    return compile_document(doc, source, marks, basic, profile_dir)


def _yaml_error(exc: yaml.YAMLError, source: str) -> str:
    """One line: the file, the line and column of the fault, and what is wrong there."""
    mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
    place = f"{source}:{mark.line + 1}:{mark.column + 1}" if mark is not None else source
    what = " ".join(str(getattr(exc, "problem", None) or exc).split())
    context = getattr(exc, "context", None)
    return f"{place}: not valid YAML: {what}" + (f" ({' '.join(str(context).split())})" if context else "")


def load_yaml(text: str) -> tuple[Any, Marks]:
    """The document (with keys as JSON would write them) and the place of each of its nodes."""
    loader = yaml.SafeLoader(text)
    marks: Marks = {}
    try:
        node = loader.get_single_node()
        if node is None:
            return None, marks
        start = (node.start_mark.line + 1, node.start_mark.column + 1)
        marks[()] = (start, start)
        return _node_value(loader, node, (), marks), marks
    finally:
        loader.dispose()


def _place(node: yaml.Node) -> tuple[int, int]:
    return node.start_mark.line + 1, node.start_mark.column + 1


def _node_value(loader: yaml.SafeLoader, node: yaml.Node, path: tuple[str | int, ...], marks: Marks) -> Any:
    if isinstance(node, yaml.MappingNode):
        loader.flatten_mapping(node)  # `<<:` merge keys
        out: dict[str, Any] = {}
        for key_node, value_node in node.value:
            key = _json_key(loader.construct_object(key_node, deep=True))
            marks[(*path, key)] = (_place(key_node), _place(value_node))
            out[key] = _node_value(loader, value_node, (*path, key), marks)
        return out
    if isinstance(node, yaml.SequenceNode):
        items = []
        for i, item in enumerate(node.value):
            marks[(*path, i)] = (_place(item), _place(item))
            items.append(_node_value(loader, item, (*path, i), marks))
        return items
    value = loader.construct_object(node, deep=True)
    if isinstance(value, (date, datetime)):
        return value.isoformat()  # an unquoted date: the core sees the text
    if isinstance(value, bytes):
        return value.decode("latin-1")
    return value


def _json_key(key: Any) -> str:
    """A mapping key as `json.dumps` writes it (YAML allows numbers and booleans as keys)."""
    return key if isinstance(key, str) else json.dumps(key, default=str).strip('"')


def _problem_line(problem: dict[str, Any], source: str, marks: Marks) -> str:
    path = tuple(problem["path"])
    while path and path not in marks:
        path = path[:-1]
    where = source
    if path in marks:
        line, col = marks[path][0 if problem["anchor"] == "key" else 1]
        where = f"{source}:{line}:{col}"
    shown = "".join(f"[{p}]" if isinstance(p, int) else (f".{p}" if i else p) for i, p in enumerate(problem["path"]))
    at = f" (at {shown})" if shown else ""
    return f"{where}: {problem['message']}{at} [{problem['code']}]"


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
        compiled = _core.CompiledProfile.from_document(
            json.dumps(doc, default=str), Path(source).stem, base=json.dumps(base["base"]) if base else None
        )
    except ProfileError as exc:
        if not exc.problems:
            raise
        lines = [_problem_line(p, source, marks or {}) for p in exc.problems]
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


def _filename_template(t: dict[str, Any]) -> Any:
    import re

    from .filenames import FilenameTemplate

    try:
        regex = re.compile(t["input_regex"])
    except re.error as exc:
        # The core's engine accepted it; the names are matched with Python's.
        raise ProfileError(f"filenames input-regex does not compile in Python: {exc}") from None
    return FilenameTemplate(t["output"], regex, tuple(t["groups"]), tuple(t["keywords"]))


def _did_you_mean(key: Any, known: set[str]) -> str:
    close = difflib.get_close_matches(str(key), sorted(known), n=1, cutoff=0.6)
    return f"; did you mean {close[0]!r}?" if close else ""


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


def require_key(profile: Profile) -> None:
    """Refuses a `base: basic` profile that has no key; call it before a run reads any file."""
    base = profile.spec.get("base")
    if base is not None and not base.get("key_hex"):
        raise ProfileError(
            f"{profile.source}: the basic profile needs a secret key: give --key-file PATH, set {keys.ENV_VAR},"
            " or add `key-file:` to the profile (make one with `fastdeid key new PATH`)"
        )
