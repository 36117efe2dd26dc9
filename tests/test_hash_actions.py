"""hash and hashuid give the reference's values (docs/profiles.md#hash, #hashuid, #example) on real files."""

from __future__ import annotations

from io import BytesIO
from pathlib import Path

import pydicom
import pytest

from conftest import PYDICOM_FILES, profile_error
from conftest import deidentify as _run
from conftest import profile_from_yaml as _profile
from fastdeid.synth import make_dataset


@pytest.mark.parametrize(
    ("name", "before", "after"),
    [
        ("waveform_ecg.dcm", "03028041970546", "e9d5432fd34f4af9"),
        ("examples_overlay.dcm", "8000000000330109", "a8cb8bcbabe7f1dc"),
    ],
)
def test_hash_of_accession_numbers_matches_the_seed_table(tmp_path: Path, name: str, before: str, after: str) -> None:
    prof = _profile(tmp_path, "dicom:\n  fields:\n    - name: AccessionNumber\n      hash: true\n")
    src = pydicom.dcmread(PYDICOM_FILES / name)
    assert src.AccessionNumber == before
    out = _run(PYDICOM_FILES / name, prof)
    assert out.AccessionNumber == after
    # Nothing else changed.
    assert {e.tag: e.value for e in out if e.tag != 0x00080050} == {e.tag: e.value for e in src if e.tag != 0x00080050}


def _file_with(**values: object) -> bytes:
    ds = make_dataset()
    for key, value in values.items():
        setattr(ds, key, value)
    buf = BytesIO()
    ds.save_as(buf, enforce_file_format=True)
    return buf.getvalue()


def test_salted_hash_with_digits_and_multi_value_collapse(tmp_path: Path) -> None:
    prof = _profile(
        tmp_path,
        "dicom:\n  salt: mysalt\n  hash-digits: 24\n  fields:\n"
        "    - name: AccessionNumber\n      hash: true\n    - name: PatientName\n      hash: true\n"
        "    - name: OtherPatientIDs\n      hash: true\n",
    )
    out = _run(_file_with(AccessionNumber="ACC-0001", PatientName="Doe^John", OtherPatientIDs=["OP1", "OP2"]), prof)
    # The reference writes all 24 digits into the 16-character SH (E6); the value is cut to fit.
    assert out.AccessionNumber == "647914507f24f0cac71376b2"[:16]
    assert out.PatientName == "95a918827ca67a8593b2f5ab"
    assert out.OtherPatientIDs == "334bb8127872c7041f7d49ab"  # VM 2 collapses to 1, as the reference does


def test_later_rules_see_earlier_results(tmp_path: Path) -> None:
    # docs/profiles.md#order: replace-with R2 then hash gives the hash of "R2".
    prof = _profile(
        tmp_path,
        "dicom:\n  fields:\n    - name: PatientName\n      replace-with: R2\n    - name: PatientName\n      hash: true\n",
    )
    assert _run(_file_with(PatientName="Doe^John"), prof).PatientName == "d653b016db1da8f5"


def test_empty_and_missing_values_are_left_alone(tmp_path: Path) -> None:
    prof = _profile(
        tmp_path,
        "dicom:\n  fields:\n    - name: AccessionNumber\n      hash: true\n    - name: StudyID\n      hash: true\n",
    )
    data = _file_with(AccessionNumber="")
    ds = pydicom.dcmread(BytesIO(data))
    del ds.StudyID
    buf = BytesIO()
    ds.save_as(buf, enforce_file_format=True)
    out = _run(buf.getvalue(), prof)
    assert out.AccessionNumber == "" and "StudyID" not in out


def test_hashuid_matches_the_verified_examples(tmp_path: Path) -> None:
    prof = _profile(
        tmp_path,
        "dicom:\n  fields:\n    - name: SOPInstanceUID\n      hashuid: true\n    - name: ConcatenationUID\n      hashuid: true\n",
    )
    out = _run(
        _file_with(
            SOPInstanceUID="1.2.826.0.1.3680043.8.498.1234567890.111.222.333",
            ConcatenationUID="1.2.840.113619.2.55.3.604688119.868.1234567890.123",
        ),
        prof,
    )
    assert out.SOPInstanceUID == "1.2.826.0.253627.818711.813123.620619.710920.896118.333"
    assert out.ConcatenationUID == "1.2.840.113619.184128.991772.401752.462284.117410.818173.123"


def test_hashuid_options(tmp_path: Path) -> None:
    uid = "1.2.840.113619.2.55.3.604688119.868.1234567890.123"
    prof = _profile(
        tmp_path,
        "dicom:\n  salt: s\n  uid-prefix-fields: 2\n  uid-suffix-fields: 2\n  fields:\n    - name: ConcatenationUID\n      hashuid: true\n",
    )
    assert (
        _run(_file_with(ConcatenationUID=uid), prof).ConcatenationUID
        == "1.2.249301.685412.444205.507112.329204.234116.567890.123"
    )
    prof = _profile(
        tmp_path,
        "dicom:\n  uid-numeric-name: '2.16.840.1.114570.2.2'\n  uid-prefix-fields: 7\n  uid-suffix-fields: 0\n"
        "  fields:\n    - name: ConcatenationUID\n      hashuid: true\n",
    )
    assert (
        _run(_file_with(ConcatenationUID=uid), prof).ConcatenationUID
        == "2.16.840.1.114570.2.2.184128.991772.401752.462284.117410.818173"
    )


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (
            "dicom:\n  fields:\n    - name: SOPInstanceUID\n      hash: true\n",
            "hash cannot be applied to SOPInstanceUID (VR UI); use hashuid",
        ),
        (
            "dicom:\n  fields:\n    - name: PatientWeight\n      hash: true\n",
            "hash cannot be applied to PatientWeight (VR DS)",
        ),
        ("dicom:\n  fields:\n    - name: '00280010'\n      hash: true\n", "hash cannot be applied to 00280010 (VR US)"),
        ("dicom:\n  uid-numeric-name: '1.2.3'\n  fields: []\n", "exactly uid-prefix-fields (4) nodes"),
        (
            "dicom:\n  uid-numeric-name: '2.16.840.1.114570.9'\n  uid-prefix-fields: 6\n  fields: []\n",
            "must be 2.16.840.1.114570.2.2",
        ),
        ("dicom:\n  salt: 123\n  fields: []\n", "salt must be text"),
    ],
)
def test_hash_validation(tmp_path: Path, body: str, message: str) -> None:
    assert message in profile_error(tmp_path, body)


def test_media_storage_sop_instance_uid_follows_sop_instance_uid(tmp_path: Path) -> None:
    # E7: the reference leaves the original UID in the file meta.
    prof = _profile(tmp_path, "dicom:\n  fields:\n    - name: '(0008,0018)'\n      hashuid: true\n")
    out = _run(_file_with(SOPInstanceUID="1.2.826.0.1.3680043.8.498.1234567890.111.222.333"), prof)
    assert out.SOPInstanceUID == "1.2.826.0.253627.818711.813123.620619.710920.896118.333"
    assert out.file_meta.MediaStorageSOPInstanceUID == out.SOPInstanceUID
