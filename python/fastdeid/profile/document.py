"""The profile document's shape (Flywheel's de-identification profile format, docs/profiles.md), as
typed dicts for type checkers and readers: the keys of each level of the document and the type of
each value. The definition is the core's (its serde types); this module only mirrors it.
"""

from __future__ import annotations

from typing import Any, TypedDict

# tests/test_profile_document.py keeps these keys equal to the core's (`_core.document_keys()`).
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
