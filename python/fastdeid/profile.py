"""Profile loading: YAML or JSON -> validated -> compiled into the Rust core's canonical form.

Profiles use Flywheel's de-identification profile format, as flywheel-migration 13.10.11 reads it (README, Profiles).
Everything is checked here, once, with errors that name the file, the line and the rule; the core
receives tags, never keywords, and never has to guess.
"""

from __future__ import annotations

import difflib
import hashlib
import json
import os
import re
from dataclasses import dataclass, field, replace
from datetime import datetime
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from . import _core, keys
from .addressing import Address, regex_address, resolve
from .dates import DEFAULT_DATE_FORMAT, check_format, jitter_spec, shift_spec
from .errors import ProfileError
from .filenames import compile_filenames
from .regex_sub import regex_sub_cases

# The action keys in the order the reference picks the first one present (spec section 3.1).
ACTION_ORDER = (
    "identity",
    "keep",
    "remove",
    "replace-with",
    "hash",
    "hashuid",
    "increment-date",
    "jitter",
    "increment-datetime",
    "regex-sub",
    "encrypt",
    "decrypt",
)
SUPPORTED_ACTIONS = {
    "identity",
    "keep",
    "remove",
    "replace-with",
    "hash",
    "hashuid",
    "increment-date",
    "increment-datetime",
    "jitter",
    "regex-sub",
}
BOOLEAN_ACTIONS = {
    "identity",
    "keep",
    "remove",
    "hash",
    "hashuid",
    "jitter",
    "increment-date",
    "increment-datetime",
    "encrypt",
    "decrypt",
}

TOP_LEVEL_KEYS = {"name", "description", "deid-log", "secret-key", "map-subjects", "dicom"}
OTHER_FILE_TYPES = {
    "filename",
    "json",
    "key-value-text-file",
    "nifti",
    "zip",
    "jpg",
    "png",
    "csv",
    "tsv",
    "table",
    "tiff",
    "xml",
}
DICOM_KEYS_SUPPORTED = {
    "fields",
    "replace-with-insert",
    "salt",
    "hash-digits",
    "uid-prefix-fields",
    "uid-suffix-fields",
    "uid-numeric-name",
    "recurse-sequence",
    "date-increment",
    "date-format",
    "datetime-format",
    "remove-private-tags",
    "remove-undefined",
    "patient-age-from-birthdate",
    "patient-age-units",
    "jitter-range",
    "jitter-type",
    "filenames",
    "jitter-seed",  # fastdeid extension: jitter drawn per patient from this key (docs/compatibility.md)
    *("base", "options", "key-file", "pseudonym", "date-shift-days"),  # the Basic Profile (basic_base below)
}
# Keys of the reference's dicom section that this version does not apply yet. Ignoring them would
# silently leave identity in the output, so a profile using them is refused.
DICOM_KEYS_PENDING = {
    "decode",
    "retain",
    "secret-key",
    "asymmetric-encryption",
    "public-key",
    "private-key",
    "force-nonce",
    "file-filter",
    "enforce-file-filter",
    "alter_pixels",
}
FIELD_KEYS = {
    "name",
    "regex",
    "replace-with-insert",
    "date-format",
    "datetime-format",
    "date-increment-override",
    "datetime-min",
    "datetime-max",
    "jitter-date",
    "jitter-range",
    "jitter-unit",
    "jitter-type",
    "jitter-min",
    "jitter-max",
    *ACTION_ORDER,
}
FIELD_KEYS_PENDING = {"force-nonce"}

TRANSFER_SYNTAX_UID = 0x00020010
LOG_UID_COLUMNS = ("StudyInstanceUID", "SeriesInstanceUID", "SOPInstanceUID")
BINARY_NUMBER_VRS = {"US", "SS", "UL", "SL", "FL", "FD", "SV", "UV"}
UNWRITABLE_VRS = {"SQ", "AT", "OB", "OW", "OF", "OD", "OL", "OV", "UN"}
# Spec 1.5: hash is refused for these VRs; DS and IS are added because a hex digest is not a
# number and the reference crashes writing it (E14).
UNHASHABLE_VRS = {
    "AT",
    "FL",
    "FD",
    "OB",
    "OW",
    "OF",
    "OD",
    "OL",
    "OV",
    "SL",
    "SQ",
    "SS",
    "UL",
    "UN",
    "US",
    "UI",
    "SV",
    "UV",
    "DS",
    "IS",
}
UNHASHABLE_NAMES = {0x0020000D, 0x0020000E, 0x00080018}  # Study/Series/SOPInstanceUID: use hashuid
UID_ROOT_FLYWHEEL = "2.16.840.1.114570"
# Maximum characters of one value (PS3.5 6.2).
MAX_LENGTH = {
    "AE": 16,
    "AS": 4,
    "CS": 16,
    "DA": 8,
    "DS": 16,
    "DT": 26,
    "IS": 12,
    "LO": 64,
    "PN": 64,
    "SH": 16,
    "TM": 14,
    "UI": 64,
    "ST": 1024,
    "LT": 10240,
}
NOT_JITTERABLE_VRS = {"SQ", "AT", "OB", "OW", "OF", "OD", "OL", "OV", "UN", "UI", "DA", "DT", "TM", "PN", "AS"}


class _LineDict(dict):  # type: ignore[type-arg]
    """A mapping that remembers the line it started on, for error messages."""

    line: int | None = None


class _LineLoader(yaml.SafeLoader):
    pass


def _construct_mapping(loader: _LineLoader, node: yaml.MappingNode) -> _LineDict:
    mapping = _LineDict(loader.construct_mapping(node, deep=True))
    mapping.line = node.start_mark.line + 1
    return mapping


_LineLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)


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

    @property
    def digest(self) -> str:
        """sha256 of the compiled specification: two profiles that act the same share it."""
        return hashlib.sha256(json.dumps(self.spec, sort_keys=True).encode()).hexdigest()

    def log_columns(self) -> list[str]:
        """The deid log's value columns (spec 8.1): the three UIDs, then each rule's name in
        processing order, once per distinct name, with the `filenames:` group rules as
        `_fwmtk_filename{i}_{group}` before the keywords only output names use (spec 7.2)."""
        names = self._rule_columns()
        cut = len(names) - self.implicit_keeps
        groups = [f"_fwmtk_filename{i}_{g}" for i, t in enumerate(self.filenames) for g in t.groups]
        return names[:cut] + groups + names[cut:]

    def _rule_columns(self) -> list[str]:
        names = list(LOG_UID_COLUMNS)
        for rule in self.rules:
            if rule.name not in names:
                names.append(rule.name)
        return names

    @property
    def core_log_width(self) -> int:
        """How many of a file's log cells the core reports (the rest of `log_columns` come from
        the input file name)."""
        return len(self._rule_columns())

    def log_row(self, file_name: str, core_cells: list[str | None]) -> list[str | None]:
        """A full log row: the core's cells with the captured `filenames:` groups inserted. The
        reference logs the captured text, before its group rule, in both rows."""
        captured: list[str | None] = []
        for t in self.filenames:
            m = t.regex.match(file_name)
            captured += [m.group(g) if m else None for g in t.groups]
        cut = len(core_cells) - self.implicit_keeps
        return core_cells[:cut] + captured + core_cells[cut:]

    def compiled_with_log(self, extra: tuple[str, ...] = ()) -> _core.CompiledProfile:
        """The profile compiled so that every file also reports its log rows: the log columns,
        then the `extra` keywords (values output names and an ingest's maps are made from).
        Compiled once per `extra` and kept: a run compiles its profile once."""
        cache: dict[tuple[str, ...], _core.CompiledProfile] = self.__dict__.setdefault("_compiled_with_log", {})
        if extra not in cache:
            cache[extra] = self._compile_with_log(extra)
        return cache[extra]

    def _compile_with_log(self, extra: tuple[str, ...]) -> _core.CompiledProfile:
        columns: list[dict[str, Any]] = [{**resolve(n, "").target, "flat": True} for n in LOG_UID_COLUMNS]
        seen = set(LOG_UID_COLUMNS)
        for rule in self.rules:
            if rule.name in seen:
                continue
            seen.add(rule.name)
            flat = rule.address.kind in ("keyword", "tag", "private") or (
                rule.address.kind == "path" and "*" not in rule.name
            )
            columns.append({**rule.address.target, "flat": flat})
        columns += [{**resolve(k, "").target, "flat": True} for k in extra]
        return _core.CompiledProfile(json.dumps({**self.spec, "log": columns}))


def builtin_names() -> list[str]:
    """Names of the profiles that ship with fastdeid."""
    return sorted(
        p.name.removesuffix(".yaml") for p in resources.files("fastdeid.profiles").iterdir() if p.name.endswith(".yaml")
    )


def load_profile(path_or_name: str | os.PathLike[str], basic: BasicOverrides | None = None) -> Profile:
    """Loads a profile from a YAML/JSON file, or a built-in profile by name (`none`, `minimal`, `basic`).

    `basic` carries the command line's Basic Profile settings (key file, options, burned-in)."""
    text_name = str(path_or_name)
    if isinstance(path_or_name, str) and text_name in builtin_names():
        res = resources.files("fastdeid.profiles").joinpath(f"{text_name}.yaml")
        return profile_from_text(res.read_text(encoding="utf-8"), f"<built-in {text_name}>", "yaml", basic)
    path = Path(path_or_name).expanduser()
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


def profile_from_text(
    text: str,
    source: str,
    fmt: str = "yaml",
    basic: BasicOverrides | None = None,
    profile_dir: Path | None = None,
) -> Profile:
    """Parses, validates and compiles a profile document given as text."""
    try:
        doc = json.loads(text) if fmt == "json" else yaml.load(text, Loader=_LineLoader)  # a SafeLoader subclass
    except (yaml.YAMLError, json.JSONDecodeError) as exc:
        raise ProfileError(f"{source}: not valid {fmt.upper()}: {exc}") from None
    if not isinstance(doc, dict):
        raise ProfileError(f"{source}: a profile must be a mapping with at least a `dicom:` section")
    return _compile(doc, source, basic, profile_dir)


def _check_keys(
    mapping: dict[str, Any], where: str, known: set[str], pending: set[str], pending_msg: str, unknown_msg: str
) -> None:
    """Refuses keys this version does not apply yet and keys nobody knows (with a suggestion):
    the reference ignores both silently (E3)."""
    for key in mapping:
        if key in pending:
            raise ProfileError(
                f"{where}: {pending_msg.format(key=key)} is not supported by this version of fastdeid yet"
            )
        if key not in known:
            raise ProfileError(f"{where}: {unknown_msg.format(key=key)}{_did_you_mean(key, known | pending)}")


def _did_you_mean(key: Any, known: set[str]) -> str:
    close = difflib.get_close_matches(str(key), sorted(known), n=1, cutoff=0.6)
    return f"; did you mean {close[0]!r}?" if close else ""


def _where(source: str, node: Any) -> str:
    line = getattr(node, "line", None)
    return f"{source}:{line}" if line else source


def _compile(
    doc: dict[str, Any], source: str, basic: BasicOverrides | None = None, profile_dir: Path | None = None
) -> Profile:
    for key in doc:
        if key not in TOP_LEVEL_KEYS and key not in OTHER_FILE_TYPES:
            raise ProfileError(
                f"{_where(source, doc)}: unknown top-level key {key!r}{_did_you_mean(key, TOP_LEVEL_KEYS | OTHER_FILE_TYPES)}"
            )
    dicom = doc.get("dicom") or {}
    if not isinstance(dicom, dict):
        raise ProfileError(f"{_where(source, doc)}: `dicom:` must be a mapping")
    _check_keys(
        dicom,
        _where(source, dicom),
        DICOM_KEYS_SUPPORTED,
        DICOM_KEYS_PENDING,
        "dicom key {key!r}",
        "unknown dicom key {key!r}",
    )
    insert_default = dicom.get("replace-with-insert", True)
    if not isinstance(insert_default, bool):
        raise ProfileError(f"{_where(source, dicom)}: replace-with-insert must be true or false")
    fields = dicom.get("fields") or []
    if not isinstance(fields, list):
        raise ProfileError(f"{_where(source, dicom)}: `fields:` must be a list")
    recurse = dicom.get("recurse-sequence", False)
    if not isinstance(recurse, bool):
        raise ProfileError(f"{_where(source, dicom)}: recurse-sequence must be true or false")
    for key in ("date-format", "datetime-format"):
        if key in dicom:
            check_format(dicom[key], key, _where(source, dicom))
    now = datetime.now()
    in_order = [_field_rule(f, source, insert_default, recurse, dicom, now) for f in fields]
    templates = (
        tuple(compile_filenames(dicom["filenames"], dicom, _where(source, dicom), now)) if "filenames" in dicom else ()
    )
    # Spec 7.2: keywords used only by output names become keep rules (and so log columns).
    named = {r.name for r in in_order}
    implicit = [kw for kw in dict.fromkeys(k for t in templates for k in t.keywords) if kw not in named]
    in_order += [FieldRule(resolve(kw, _where(source, dicom)), "keep") for kw in implicit]
    # Spec 3.2: every regex-sub rule runs first, in reverse list order.
    subs = [r for r in in_order if r.action == "regex-sub"]
    rules = tuple(subs[::-1] + [r for r in in_order if r.action != "regex-sub"])
    name = str(doc.get("name") or Path(source).stem)
    spec = {
        "name": name,
        **_hash_options(dicom, _where(source, dicom)),
        "recurse_sequence": recurse,
        "jitter_seed": _jitter_seed(dicom, _where(source, dicom)),
        **_passes(dicom, _where(source, dicom)),
        **basic_base(dicom, _where(source, dicom), basic or BasicOverrides(), profile_dir),
        "fields": [
            {
                **r.address.target,
                "vr": r.address.vr,
                "action": {"replace-with": "replace"}.get(r.action, r.action),
                "value": r.value,
                "insert": r.insert,
                "shift": r.shift,
                "jitter": r.jitter,
                "cases": r.cases,
            }
            # Keep rules are sent too: remove-private-tags and remove-undefined keep what they name.
            for r in rules
        ],
    }
    return Profile(
        name=name,
        description=str(doc.get("description") or ""),
        source=source,
        rules=rules,
        deid_log=doc.get("deid-log"),
        compiled=_core.CompiledProfile(json.dumps(spec)),
        spec=spec,
        filenames=templates,
        implicit_keeps=len(implicit),
    )


def _jitter_seed(dicom: dict[str, Any], where: str) -> str | None:
    seed = dicom.get("jitter-seed")
    if seed is not None and (not isinstance(seed, str) or len(seed) < 8):
        raise ProfileError(f"{where}: jitter-seed must be a secret text of at least 8 characters")
    return seed


def _passes(dicom: dict[str, Any], where: str) -> dict[str, Any]:
    """The profile-level passes (spec 6.12-6.14)."""
    flags = {}
    for key in ("remove-private-tags", "remove-undefined", "patient-age-from-birthdate"):
        value = dicom.get(key, False)
        if not isinstance(value, bool):
            raise ProfileError(f"{where}: {key} must be true or false")
        flags[key] = value
    units = dicom.get("patient-age-units")
    if units is not None and units not in ("D", "M", "Y"):
        # The reference silently treats any other value as automatic; a typo should not pass unseen.
        raise ProfileError(f"{where}: patient-age-units must be D, M or Y")
    age = None
    if flags["patient-age-from-birthdate"]:
        age = {"format": dicom.get("date-format", DEFAULT_DATE_FORMAT), "units": units}
    return {
        "remove_private_tags": flags["remove-private-tags"],
        "remove_undefined": flags["remove-undefined"],
        "patient_age": age,
    }


def _hash_options(dicom: dict[str, Any], where: str) -> dict[str, Any]:
    salt = dicom.get("salt")
    if salt is not None and not isinstance(salt, str):
        raise ProfileError(f"{where}: salt must be text (quote it if it looks like a number)")
    opts: dict[str, Any] = {"salt": salt or None}
    for key, default in (("hash-digits", 16), ("uid-prefix-fields", 4), ("uid-suffix-fields", 1)):
        value = dicom.get(key, default)
        if isinstance(value, bool) or not isinstance(value, int) or (value < 0 and key != "hash-digits"):
            raise ProfileError(
                f"{where}: {key} must be a whole number" + ("" if key == "hash-digits" else " of at least 0")
            )
        opts[key.replace("-", "_")] = value
    numeric_name = dicom.get("uid-numeric-name")
    if numeric_name is not None:
        if not isinstance(numeric_name, str) or not re.fullmatch(r"(0|[1-9]\d*)(\.(0|[1-9]\d*))*", numeric_name):
            raise ProfileError(f"{where}: uid-numeric-name must be a UID root such as '2.16.840.1.114570.2.2' (quoted)")
        if len(numeric_name.split(".")) != opts["uid_prefix_fields"]:
            raise ProfileError(
                f"{where}: uid-numeric-name must have exactly uid-prefix-fields ({opts['uid_prefix_fields']}) nodes"
            )
        if numeric_name.startswith(UID_ROOT_FLYWHEEL) and numeric_name != UID_ROOT_FLYWHEEL + ".2.2":
            raise ProfileError(f"{where}: a uid-numeric-name under {UID_ROOT_FLYWHEEL} must be {UID_ROOT_FLYWHEEL}.2.2")
    opts["uid_numeric_name"] = numeric_name
    return opts


def _field_rule(
    f: Any, source: str, insert_default: bool, recurse: bool, dicom: dict[str, Any], now: datetime
) -> FieldRule:
    where = _where(source, f)
    if not isinstance(f, dict):
        raise ProfileError(f"{where}: each field must be a mapping such as {{name: PatientID, remove: true}}")
    _check_keys(f, where, FIELD_KEYS, FIELD_KEYS_PENDING, "field key {key!r}", "unknown key {key!r} in field rule")
    if ("name" in f) == ("regex" in f):
        raise ProfileError(f"{where}: a field needs exactly one of `name:` or `regex:`")
    address = regex_address(f["regex"], where) if "regex" in f else resolve(f["name"], where)
    if recurse and address.kind in ("path", "regex"):
        raise ProfileError(
            f"{where}: recurse-sequence cannot be combined with sequence paths or regex fields ({address.name})"
        )
    name, tag, vr = address.name, address.tag, address.vr
    action = next((a for a in ACTION_ORDER if a in f), "keep")
    if action not in SUPPORTED_ACTIONS:
        raise ProfileError(f"{where}: action {action!r} on {name} is not supported by this version of fastdeid yet")
    if action in BOOLEAN_ACTIONS and f[action] is not True:
        raise ProfileError(f"{where}: {action} on {name} must be `true`")
    if action == "identity":
        action = "keep"
    if (
        action != "keep"
        and tag is not None
        and (tag == TRANSFER_SYNTAX_UID or tag & 0xFFFF == 0 or tag >> 16 == 0xFFFE)
    ):
        raise ProfileError(
            f"{where}: {name} defines the file's structure (transfer syntax, group length or item) and cannot be changed"
        )
    insert = f.get("replace-with-insert", insert_default)
    if not isinstance(insert, bool):
        raise ProfileError(f"{where}: replace-with-insert on {name} must be true or false")
    if action == "hash" and (vr in UNHASHABLE_VRS or tag in UNHASHABLE_NAMES):
        hint = "; use hashuid for UIDs" if vr == "UI" else ""
        raise ProfileError(f"{where}: hash cannot be applied to {name} (VR {vr}){hint}")
    if action == "hashuid" and vr in BINARY_NUMBER_VRS | UNWRITABLE_VRS:
        raise ProfileError(f"{where}: hashuid cannot be applied to {name} (VR {vr})")
    if action in ("increment-date", "increment-datetime"):
        return FieldRule(address, action, shift=shift_spec(action, f, dicom, where, now))
    if action == "regex-sub":
        return FieldRule(address, action, cases=regex_sub_cases(f["regex-sub"], dicom, where, now))
    if action == "jitter":
        if vr in NOT_JITTERABLE_VRS:
            raise ProfileError(f"{where}: jitter cannot be applied to {name} (VR {vr})")
        return FieldRule(address, action, jitter=jitter_spec(f, dicom, where))
    if action != "replace-with":
        return FieldRule(address, action)
    value = f["replace-with"]
    if value is None:  # the reference does nothing for `replace-with: null`
        return FieldRule(address, "keep")
    _check_replacement(address, value, insert, where)
    return FieldRule(address, "replace-with", value, insert)


def _check_replacement(address: Address, value: Any, insert: bool, where: str) -> None:
    name, vr = address.name, address.vr
    values = value if isinstance(value, list) else [value]
    for v in values:
        if isinstance(v, bool) or not isinstance(v, (str, int, float)):
            raise ProfileError(f"{where}: replace-with on {name} must be text, a number or a list of them")
    if vr is None:
        # Regex and repeater rules only ever act on elements that exist, whose VR the file gives.
        if insert and address.kind not in ("regex", "repeater"):
            raise ProfileError(
                f"{where}: replace-with on {name}: the dictionaries do not give this element's VR, so a missing element "
                "cannot be inserted; add `replace-with-insert: false` to this rule"
            )
        return
    if vr in UNWRITABLE_VRS:
        raise ProfileError(f"{where}: replace-with on {name} (VR {vr}) is not supported")
    if vr in BINARY_NUMBER_VRS and not all(_is_number(v) for v in values):
        raise ProfileError(f"{where}: Incorrect value type for Dicom element {name} (VR={vr}): needs a number")
    limit = MAX_LENGTH.get(vr)
    if limit is not None and any(len(str(v)) > limit for v in values):
        # The reference writes such values with a warning only; they make the file invalid (E6).
        raise ProfileError(f"{where}: replace-with on {name}: a {vr} value is at most {limit} characters")


def _is_number(v: Any) -> bool:
    if isinstance(v, (int, float)):
        return True
    try:
        float(v)
    except ValueError:
        return False
    return True


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
