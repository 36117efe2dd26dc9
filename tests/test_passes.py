"""Profile-level passes: remove-private-tags, patient age, remove-undefined (docs/profiles.md#patient-age, #remove-private-tags, #remove-undefined)."""

from __future__ import annotations

from pathlib import Path

import pydicom
import pytest
from pydicom.dataset import Dataset
from pydicom.sequence import Sequence

import fastdeid
from conftest import PYDICOM_FILES
from conftest import deidentify as _run
from conftest import profile_from_yaml as _profile
from fastdeid.synth import make_dataset


def _private_tags(ds: Dataset) -> list[int]:
    found = []
    for e in ds:
        if e.tag.is_private:
            found.append(int(e.tag))
        if e.VR == "SQ":
            for item in e.value:
                found.extend(_private_tags(item))
    return found


def test_remove_private_tags_keeps_named_elements_and_their_creators(tmp_path: Path) -> None:
    src = pydicom.dcmread(PYDICOM_FILES / "CT_small.dcm")
    kept = next(int(e.tag) for e in src if e.tag.group == 0x0009 and e.tag.element >= 0x1000)
    prof = _profile(
        tmp_path,
        f'dicom:\n  remove-private-tags: true\n  fields:\n    - name: (0009, "GEMS_IDEN_01", {kept & 0xFF:02x})\n      keep: true\n',
    )
    out = _run(PYDICOM_FILES / "CT_small.dcm", prof)
    assert sorted(_private_tags(out)) == [0x00090010, kept]
    assert len(_private_tags(src)) > 10
    # Public elements are untouched.
    assert [e.tag for e in out if not e.tag.is_private] == [e.tag for e in src if not e.tag.is_private]


def test_remove_private_tags_reaches_into_sequences(tmp_path: Path) -> None:
    ds = make_dataset()
    item = Dataset()
    item.PatientID = "NESTED"
    block = item.private_block(0x0011, "ACME 1.0", create=True)
    block.add_new(0x10, "LO", "Doe^Hidden")
    ds.OtherPatientIDsSequence = Sequence([item])
    out = _run(ds, _profile(tmp_path, "dicom:\n  remove-private-tags: true\n  fields: []\n"))
    assert _private_tags(out) == []
    assert out.OtherPatientIDsSequence[0].PatientID == "NESTED"


def test_patient_age_from_birth_date(tmp_path: Path) -> None:
    # docs/profiles.md#patient-age: waveform_ecg 042Y becomes 504M in automatic units.
    auto = _profile(tmp_path, "dicom:\n  patient-age-from-birthdate: true\n  fields: []\n")
    assert _run(PYDICOM_FILES / "waveform_ecg.dcm", auto).PatientAge == "504M"
    years = _profile(tmp_path, "dicom:\n  patient-age-from-birthdate: true\n  patient-age-units: Y\n  fields: []\n")
    assert _run(PYDICOM_FILES / "examples_overlay.dcm", years).PatientAge == "894Y"  # DOB 11111111
    ds = make_dataset()
    del ds.PatientAge
    ds.PatientBirthDate, ds.StudyDate = "20200101", "20200310"
    assert _run(ds, auto).PatientAge == "069D"  # inserted when absent
    ds.PatientBirthDate = ""
    assert "PatientAge" not in _run(ds, auto)  # empty birth date: nothing to compute


def test_age_uses_original_dates_before_rules(tmp_path: Path) -> None:
    ds = make_dataset()
    ds.PatientBirthDate, ds.StudyDate = "19800101", "20200125"
    prof = _profile(
        tmp_path,
        "dicom:\n  patient-age-from-birthdate: true\n  patient-age-units: Y\n  fields:\n    - name: PatientBirthDate\n      remove: true\n",
    )
    out = _run(ds, prof)
    assert out.PatientAge == "040Y" and "PatientBirthDate" not in out


def test_remove_undefined_keeps_only_addressed_elements_and_their_parents(tmp_path: Path) -> None:
    ds = make_dataset()
    prof = _profile(
        tmp_path,
        "dicom:\n  remove-undefined: true\n  fields:\n"
        "    - name: PatientSex\n      keep: true\n"
        "    - name: OtherPatientIDsSequence.*.IssuerOfPatientID\n      keep: true\n"
        '    - name: (0009, "FASTDEID SYNTH", 01)\n      keep: true\n',
    )
    out = _run(ds, prof)
    assert sorted(e.keyword or hex(e.tag) for e in out) == sorted(
        [
            "SpecificCharacterSet",
            "SOPClassUID",
            "PatientSex",
            "OtherPatientIDsSequence",
            hex(0x00090010),
            hex(0x00091001),
        ]
    )
    assert [e.keyword for e in out.OtherPatientIDsSequence[0]] == ["IssuerOfPatientID"]


def test_pass_validation(tmp_path: Path) -> None:
    with pytest.raises(fastdeid.ProfileError, match="patient-age-units must be D, M or Y"):
        _profile(tmp_path, "dicom:\n  patient-age-from-birthdate: true\n  patient-age-units: W\n")
