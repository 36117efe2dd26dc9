"""Clean Structured Content follows Table E.3.4-1 (docs/basic-profile.md, "Structured content"): for
every row of data/ps3.15/ps3.15-table-e3.4-1.csv, an SR whose content item has that concept name and
value type gets the row's action on its value, for the basic column and each option column."""

from __future__ import annotations

import csv
from io import BytesIO
from pathlib import Path

import pydicom
import pytest
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.sequence import Sequence
from pydicom.uid import ExplicitVRLittleEndian

from fastdeid.api import deidentify_bytes
from fastdeid.profile.basic import BasicOverrides
from fastdeid.profile.keys import new_key
from fastdeid.profile.load import load_profile

TABLE = Path(__file__).resolve().parent.parent / "data" / "ps3.15" / "ps3.15-table-e3.4-1.csv"
COMPREHENSIVE_SR = "1.2.840.10008.5.1.4.1.1.88.33"
OPTION_COLUMNS = {
    "rtn_uids": "retain-uids",
    "rtn_dev_id": "retain-device-identity",
    "rtn_inst_id": "retain-institution-identity",
    "rtn_pat_chars": "retain-patient-characteristics",
    "rtn_long_full_dates": "retain-longitudinal-full-dates",
    "rtn_long_modif_dates": "retain-longitudinal-modified-dates",
    "clean_desc": "clean-descriptors",
}
# The value each value type is given, and the element that holds it.
VALUES = {
    "TEXT": ("TextValue", "Jane Doe, Ward 7, St Elsewhere"),
    "PNAME": ("PersonName", "Doe^Jane"),
    "DATE": ("Date", "20210314"),
    "TIME": ("Time", "101112"),
    "DATETIME": ("DateTime", "20210314101112"),
    "UIDREF": ("UID", "1.2.826.0.1.3680043.99.31415"),
}
CHECKED = (*VALUES, "NUM", "CODE")


def rows() -> list[dict[str, str]]:
    with TABLE.open(newline="", encoding="utf-8") as f:
        return [r for r in csv.DictReader(f) if r["value_type"] in CHECKED]


def cases() -> list[tuple[dict[str, str], str | None]]:
    out: list[tuple[dict[str, str], str | None]] = []
    for r in rows():
        out.append((r, None))
        out += [(r, option) for column, option in OPTION_COLUMNS.items() if r[column]]
    return out


def sr_with(row: dict[str, str]) -> bytes:
    item = Dataset()
    item.RelationshipType, item.ValueType = "CONTAINS", row["value_type"]
    concept = Dataset()
    concept.CodeValue, concept.CodingSchemeDesignator = row["code_value"], row["coding_scheme"]
    concept.CodeMeaning = row["code_meaning"][:64]
    item.ConceptNameCodeSequence = Sequence([concept])
    if row["value_type"] in VALUES:
        keyword, value = VALUES[row["value_type"]]
        setattr(item, keyword, value)
    elif row["value_type"] == "NUM":
        measured = Dataset()
        measured.NumericValue = "87"
        unit = Dataset()
        unit.CodeValue, unit.CodingSchemeDesignator, unit.CodeMeaning = "a", "UCUM", "year"
        measured.MeasurementUnitsCodeSequence = Sequence([unit])
        item.MeasuredValueSequence = Sequence([measured])
    else:  # CODE
        code = Dataset()
        code.CodeValue, code.CodingSchemeDesignator, code.CodeMeaning = "F", "DCM", "Female"
        item.ConceptCodeSequence = Sequence([code])
    meta = FileMetaDataset()
    meta.MediaStorageSOPClassUID = COMPREHENSIVE_SR
    meta.MediaStorageSOPInstanceUID = "1.2.826.0.1.3680043.99.1"
    meta.TransferSyntaxUID = ExplicitVRLittleEndian
    ds = Dataset()
    ds.file_meta = meta
    ds.SOPClassUID, ds.SOPInstanceUID = COMPREHENSIVE_SR, meta.MediaStorageSOPInstanceUID
    ds.PatientID, ds.PatientName, ds.Modality = "MRN-77", "Doe^Jane", "SR"
    ds.ValueType, ds.ContentSequence = "CONTAINER", Sequence([item])
    out = BytesIO()
    pydicom.dcmwrite(out, ds, enforce_file_format=True)
    return out.getvalue()


def expected(row: dict[str, str], option: str | None) -> str:
    """The code the row gives with `option` on (besides Clean Structured Content)."""
    column = next((c for c, o in OPTION_COLUMNS.items() if o == option), None)
    return row[column] if column else row["basic"]


@pytest.fixture(scope="module")
def key(tmp_path_factory: pytest.TempPathFactory) -> str:
    return str(new_key(tmp_path_factory.mktemp("key") / "project.key"))


@pytest.mark.parametrize(
    ("row", "option"),
    cases(),
    ids=lambda v: v if isinstance(v, str) or v is None else f"{v['coding_scheme']}-{v['code_value']}-{v['value_type']}",
)
def test_each_row_and_option_column_acts_on_the_item_value(row: dict[str, str], option: str | None, key: str) -> None:
    options = ("clean-structured-content", *((option,) if option else ()))
    profile = load_profile("basic", BasicOverrides(key_file=key, options=options))
    source = sr_with(row)
    (item_in,) = pydicom.dcmread(BytesIO(source)).ContentSequence
    (item,) = pydicom.dcmread(BytesIO(deidentify_bytes(source, profile))).ContentSequence
    code, value_type = expected(row, option), row["value_type"]
    assert item.ConceptNameCodeSequence[0].CodeValue == row["code_value"], "the concept is kept"
    if value_type == "NUM":
        kept = item.MeasuredValueSequence == item_in.MeasuredValueSequence
        assert kept if code == "K" else len(item.MeasuredValueSequence) == 0
        return
    if value_type == "CODE":
        assert (item.ConceptCodeSequence[0].CodeValue == "F") == (code == "K")
        return
    keyword, value = VALUES[value_type]
    out = str(item.get(keyword))
    if code == "K" or (code == "C" and value_type == "TIME"):
        assert out == value
    elif code == "C" and value_type in ("DATE", "DATETIME"):
        assert out != value and len(out) == len(value) and out.isdigit(), "shifted by the patient's days"
    else:
        assert out and out != value, f"{code}: the value is replaced by a dummy"
        if value_type == "UIDREF":
            assert out.startswith("2.25.")


def test_without_the_option_the_content_is_removed_whatever_the_table(key: str) -> None:
    row = next(r for r in rows() if r["code_meaning"] == "Device Serial Number")
    profile = load_profile("basic", BasicOverrides(key_file=key, options=("retain-device-identity",)))
    assert "ContentSequence" not in pydicom.dcmread(BytesIO(deidentify_bytes(sr_with(row), profile)))
