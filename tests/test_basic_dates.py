"""Keyed per-patient date shifts, pseudonyms and UIDs of the `basic` profile over many patients:
intervals within a patient are kept, patients rarely share a shift, and every file of a patient
gets the same pseudonym (docs/basic-profile.md, "Keyed actions")."""

from __future__ import annotations

from datetime import date, timedelta
from io import BytesIO
from pathlib import Path

import pydicom
import pytest
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.uid import ExplicitVRLittleEndian

from fastdeid.api import deidentify_bytes
from fastdeid.profile.basic import BasicOverrides
from fastdeid.profile.keys import new_key
from fastdeid.profile.load import Profile, load_profile

CT = "1.2.840.10008.5.1.4.1.1.2"
PATIENTS = 100
STUDIES = 3


def ct_file(patient: int, study: int, study_date: date) -> bytes:
    ds = Dataset()
    ds.SOPClassUID = CT
    ds.SOPInstanceUID = f"1.2.826.0.1.3680043.99.5.{patient}.{study}"
    ds.PatientID = f"MRN{patient:05d}"
    ds.PatientName = f"Patient^{patient}"
    ds.PatientBirthDate = "19500101"
    ds.StudyInstanceUID = f"1.2.826.0.1.3680043.99.6.{patient}.{study}"
    ds.StudyDate = study_date.strftime("%Y%m%d")
    ds.StudyTime = "101500"
    ds.AcquisitionDateTime = study_date.strftime("%Y%m%d") + "101512.25+0100"
    ds.Modality = "CT"
    ds.file_meta = FileMetaDataset()
    ds.file_meta.MediaStorageSOPClassUID = CT
    ds.file_meta.MediaStorageSOPInstanceUID = ds.SOPInstanceUID
    ds.file_meta.TransferSyntaxUID = ExplicitVRLittleEndian
    buf = BytesIO()
    ds.save_as(buf, enforce_file_format=True)
    return buf.getvalue()


def parse_da(value: str) -> date:
    return date(int(value[:4]), int(value[4:6]), int(value[6:8]))


@pytest.fixture(scope="module")
def modified_dates(tmp_path_factory: pytest.TempPathFactory) -> Profile:
    key = new_key(tmp_path_factory.mktemp("key") / "k.key")
    overrides = BasicOverrides(key_file=str(key), options=("retain-longitudinal-modified-dates",))
    return load_profile("basic", overrides)


def test_100_patients_keep_their_intervals_and_get_at_least_90_distinct_shifts(modified_dates: Profile) -> None:
    shifts = {}
    for patient in range(PATIENTS):
        first = date(2015, 1, 1) + timedelta(days=37 * patient)
        originals = [first + timedelta(days=100 * s + patient % 7) for s in range(STUDIES)]
        outs = [
            pydicom.dcmread(BytesIO(deidentify_bytes(ct_file(patient, s, d), modified_dates)))
            for s, d in enumerate(originals)
        ]
        moved = [parse_da(o.StudyDate) for o in outs]
        deltas = {(m - d).days for m, d in zip(moved, originals)}
        assert len(deltas) == 1, f"patient {patient}: one shift for every study"
        (shift,) = deltas
        assert -1095 <= shift <= -1
        # DT: the same shift, precision and UTC offset kept.
        for o, m in zip(outs, moved):
            assert o.AcquisitionDateTime == m.strftime("%Y%m%d") + "101512.25+0100"
            assert o.StudyTime == "101500"
            assert o.LongitudinalTemporalInformationModified == "MODIFIED"
        pseudonyms = {o.PatientID for o in outs}
        assert len(pseudonyms) == 1 and f"MRN{patient:05d}" not in pseudonyms
        shifts[patient] = shift
    assert len(set(shifts.values())) >= 90, sorted(shifts.values())


def test_uids_map_the_same_way_in_every_file_and_meta_follows(modified_dates: Profile) -> None:
    a = pydicom.dcmread(BytesIO(deidentify_bytes(ct_file(7, 0, date(2020, 5, 1)), modified_dates)))
    b = pydicom.dcmread(BytesIO(deidentify_bytes(ct_file(7, 0, date(2020, 5, 1)), modified_dates)))
    assert a.StudyInstanceUID == b.StudyInstanceUID and a.StudyInstanceUID.startswith("2.25.")
    assert a.file_meta.MediaStorageSOPInstanceUID == a.SOPInstanceUID != "1.2.826.0.1.3680043.99.5.7.0"
    assert a.PatientIdentityRemoved == "YES"
    codes = [item.CodeValue for item in a.DeidentificationMethodCodeSequence]
    assert codes == ["113100", "113107"]
    assert all(item.CodingSchemeDesignator == "DCM" for item in a.DeidentificationMethodCodeSequence)
    assert "PatientName" in a and a.PatientName == ""  # Z: present, empty
    assert "PatientBirthDate" in a


def test_without_options_dates_go_and_the_record_says_removed(tmp_path: Path) -> None:
    profile = load_profile("basic", BasicOverrides(key_file=str(new_key(tmp_path / "k.key"))))
    out = pydicom.dcmread(BytesIO(deidentify_bytes(ct_file(1, 0, date(2020, 5, 1)), profile)))
    assert out.StudyDate == "" and "AcquisitionDateTime" not in out
    assert out.LongitudinalTemporalInformationModified == "REMOVED"
    assert [i.CodeValue for i in out.DeidentificationMethodCodeSequence] == ["113100"]
