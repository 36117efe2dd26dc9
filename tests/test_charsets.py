"""Text in the character sets Specific Character Set names: read as pydicom reads it (so hashes
match the reference), and written only in a set that can hold it."""

from __future__ import annotations

import hashlib
from io import BytesIO
from pathlib import Path

import pydicom
import pytest

import fastdeid
from conftest import PYDICOM_FILES, deidentify, profile_from_yaml, to_bytes
from fastdeid.synth import make_dataset

CHARSET_FILES = sorted((PYDICOM_FILES.parent / "charset_files").glob("*.dcm"))


@pytest.mark.parametrize("path", CHARSET_FILES, ids=lambda p: p.name)
def test_names_hash_as_pydicom_decodes_them(tmp_path: Path, path: Path) -> None:
    # Every set pydicom ships an example of: ISO 8859 parts, JIS X 0201/0208 with ISO 2022
    # escapes, KS X 1001, UTF-8, GB 18030, and an item with its own Specific Character Set.
    profile = profile_from_yaml(
        tmp_path,
        "dicom:\n  hash-digits: 0\n  fields:\n    - name: PatientName\n      hash: true\n"
        "    - name: RequestedProcedureCodeSequence.*.PatientName\n      hash: true\n",
    )
    original = pydicom.dcmread(path)
    out = deidentify(path, profile)

    def digest(name: object) -> str:
        return hashlib.sha256(str(name).encode()).hexdigest()[:64]

    if "PatientName" in original:
        assert str(out.PatientName) == digest(original.PatientName)[:64]
    for before, after in zip(
        original.get("RequestedProcedureCodeSequence", []), out.get("RequestedProcedureCodeSequence", [])
    ):
        assert str(after.PatientName) == digest(before.PatientName)


@pytest.mark.parametrize(
    ("charset", "value"),
    [
        ("ISO_IR 100", "Hôpital Saint-Éloi"),
        ("ISO_IR 144", "Больница"),
        ("ISO_IR 192", "医院 Hôpital"),
        ("GB18030", "医院"),
    ],
)
def test_non_ascii_replacements_are_written_in_the_files_character_set(
    tmp_path: Path, charset: str, value: str
) -> None:
    profile = profile_from_yaml(
        tmp_path, f"dicom:\n  fields:\n    - name: InstitutionName\n      replace-with: '{value}'\n"
    )
    ds = make_dataset()
    ds.SpecificCharacterSet = charset
    data = fastdeid.deidentify_bytes(to_bytes(ds), profile)
    assert pydicom.dcmread(BytesIO(data)).InstitutionName == value
    assert value.encode(pydicom.charset.python_encoding[charset]) in data


@pytest.mark.parametrize(
    ("charset", "value"),
    [(None, "Hôpital"), ("ISO_IR 6", "Hôpital"), ("ISO_IR 100", "病院"), ("\\ISO 2022 IR 87", "病院")],
)
def test_text_a_character_set_cannot_hold_fails_the_file(tmp_path: Path, charset: str | None, value: str) -> None:
    # The reference writes ISO 8859-1 bytes the file does not declare, or '?' for what it cannot
    # encode; here the file fails with its own error and no output.
    profile = profile_from_yaml(
        tmp_path, f"dicom:\n  fields:\n    - name: InstitutionName\n      replace-with: '{value}'\n"
    )
    ds = make_dataset()
    if charset is None:
        del ds.SpecificCharacterSet
    else:
        ds.SpecificCharacterSet = charset.split("\\") if "\\" in charset else charset
    with pytest.raises(fastdeid.DicomError) as exc:
        deidentify(ds, profile)
    assert exc.value.code == "bad-value"
    assert value not in str(exc.value)
