"""jitter and jitter-date (docs/profiles.md#increment-date, #jitter): ranges, VR fitting, and per-patient reproducibility
with fastdeid's jitter-seed (E21)."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest

from conftest import deidentify as _run
from conftest import profile_error
from conftest import profile_from_yaml as _profile
from fastdeid.synth import make_dataset


def test_numeric_jitter_stays_in_range_and_fits_the_vr(tmp_path: Path) -> None:
    prof = _profile(
        tmp_path,
        "dicom:\n  fields:\n"
        "    - name: PatientWeight\n      jitter: true\n      jitter-range: 5\n"
        "    - name: SeriesNumber\n      jitter: true\n      jitter-type: int\n      jitter-range: 3\n"
        "    - name: Rows\n      jitter: true\n      jitter-type: int\n      jitter-range: 100\n      jitter-min: 0\n",
    )
    seen = set()
    for _ in range(40):
        ds = make_dataset()
        ds.PatientWeight, ds.SeriesNumber, ds.Rows = "72.5", 5, 4
        out = _run(ds, prof)
        weight = float(out.PatientWeight)
        assert 67.5 < weight < 77.5 and weight != 72.5
        assert len(out["PatientWeight"].value.original_string) <= 16  # a valid DS (E6)
        assert out.SeriesNumber in {2, 3, 4, 6, 7, 8}
        assert 0 <= out.Rows <= 104 and out.Rows != 4
        seen.add(out.SeriesNumber)
    assert len(seen) > 2  # really random


def test_jitter_date_moves_within_the_range(tmp_path: Path) -> None:
    prof = _profile(
        tmp_path,
        "dicom:\n  date-increment: 0\n  fields:\n    - name: StudyDate\n      increment-date: true\n      jitter-date: true\n      jitter-range: 3\n",
    )
    for _ in range(20):
        ds = make_dataset()
        ds.StudyDate = "20200310"
        delta = (datetime.strptime(_run(ds, prof).StudyDate, "%Y%m%d") - datetime(2020, 3, 10)).days
        assert delta != 0 and -3 <= delta <= 3


def test_jitter_seed_moves_every_date_of_a_patient_together(tmp_path: Path) -> None:
    prof = _profile(
        tmp_path,
        "dicom:\n  date-increment: 0\n  jitter-seed: 'a long project secret'\n  fields:\n"
        "    - name: StudyDate\n      increment-date: true\n      jitter-date: true\n      jitter-range: 30\n"
        "    - name: SeriesDate\n      increment-date: true\n      jitter-date: true\n      jitter-range: 30\n",
    )
    shifts = set()
    for instance in range(5):
        ds = make_dataset(patient=1, instance=instance)
        ds.StudyDate, ds.SeriesDate = "20200310", "20200312"
        out = _run(ds, prof)
        study = datetime.strptime(out.StudyDate, "%Y%m%d")
        series = datetime.strptime(out.SeriesDate, "%Y%m%d")
        assert (series - study).days == 2  # the interval within the study is kept
        shifts.add(study)
    assert len(shifts) == 1  # and every file of the patient moves by the same amount
    for patient in range(2, 8):
        other = make_dataset(patient=patient)
        other.StudyDate = "20200310"
        shifts.add(datetime.strptime(_run(other, prof).StudyDate, "%Y%m%d"))
    assert len(shifts) > 1  # other patients move by their own amounts


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (
            "dicom:\n  jitter-range: 0\n  fields:\n    - name: PatientWeight\n      jitter: true\n",
            "jitter-range must be positive",
        ),
        (
            "dicom:\n  fields:\n    - name: SeriesNumber\n      jitter: true\n      jitter-type: int\n      jitter-range: 0.5\n",
            "at least 1 for jitter-type int",
        ),
        (
            "dicom:\n  fields:\n    - name: StudyInstanceUID\n      jitter: true\n",
            "jitter cannot be applied to StudyInstanceUID",
        ),
        ("dicom:\n  jitter-seed: short\n  fields: []\n", "jitter-seed must be a secret text of at least 8 characters"),
    ],
)
def test_jitter_validation(tmp_path: Path, body: str, message: str) -> None:
    assert message in profile_error(tmp_path, body)
