"""increment-date and increment-datetime on files: the reference's values (docs/profiles.md#increment-date, #increment-datetime, #example), its validation messages, and the documented fixes (E15 bounds, E20 precision)."""

from __future__ import annotations

from datetime import datetime, timedelta
from io import BytesIO
from pathlib import Path

import pydicom
import pytest

import fastdeid
from conftest import PYDICOM_FILES, profile_error
from conftest import deidentify as _run
from conftest import profile_from_yaml as _profile
from fastdeid.synth import make_dataset

SEED_DATES = "dicom:\n  date-increment: -17\n  fields:\n    - name: StudyDate\n      increment-date: true\n"


@pytest.mark.parametrize(
    ("name", "before", "after"),
    [
        ("CT_small.dcm", "20040119", "20040102"),
        ("MR_small.dcm", "20040826", "20040809"),
        ("waveform_ecg.dcm", "20130125", "20130108"),
        ("examples_overlay.dcm", "20051130", "20051113"),
    ],
)
def test_seed_table_study_dates(tmp_path: Path, name: str, before: str, after: str) -> None:
    src = pydicom.dcmread(PYDICOM_FILES / name)
    assert src.StudyDate == before
    assert _run(PYDICOM_FILES / name, _profile(tmp_path, SEED_DATES)).StudyDate == after


def test_date_examples(tmp_path: Path) -> None:
    ds = make_dataset()
    ds.StudyDate, ds.AcquisitionDate, ds.ContentDate = "20200310", "20200229", "2020031"
    ds.CalibrationDate = ["20200101", "20200201"]
    prof = _profile(
        tmp_path,
        "dicom:\n  date-increment: -17\n  fields:\n"
        "    - name: StudyDate\n      increment-date: true\n"
        "    - name: AcquisitionDate\n      increment-date: true\n"
        "    - name: ContentDate\n      increment-date: true\n      date-increment-override: 10\n"
        "    - name: CalibrationDate\n      increment-date: true\n"
        "    - name: SeriesDate\n      increment-date: true\n      date-increment-override: 365\n",
    )
    out = _run(ds, prof)
    assert (out.StudyDate, out.AcquisitionDate, out.ContentDate) == ("20200222", "20200212", "20200311")
    assert list(out.CalibrationDate) == ["20191215", "20200115"]
    expected = datetime.strptime(ds.SeriesDate, "%Y%m%d") + timedelta(days=365)
    assert out.SeriesDate == expected.strftime("%Y%m%d")


@pytest.mark.parametrize(
    ("before", "days", "after"),
    [
        ("20200310123456.123456+0100", -17, "20200222123456.123456+0100"),
        ("20200310123456", -17, "20200222123456.000000"),
        ("20200310123456.1", 10, "20200320123456.100000"),
        ("20200310123456.123+01:00", 10, "20200320123456.123000+01:00"),
        ("20200310123456-0500", 10, "20200320123456.000000-0500"),
        ("202003101234", 10, "202003201234"),  # E20: the reference writes 20200320120304.000000
    ],
)
def test_datetime_table(tmp_path: Path, before: str, days: int, after: str) -> None:
    ds = make_dataset()
    ds.AcquisitionDateTime = before
    prof = _profile(
        tmp_path,
        f"dicom:\n  date-increment: {days}\n  fields:\n    - name: AcquisitionDateTime\n      increment-datetime: true\n",
    )
    assert _run(ds, prof).AcquisitionDateTime == after


def test_bounds_clamp_dates_and_datetimes(tmp_path: Path) -> None:
    ds = make_dataset()
    ds.AcquisitionDateTime = "20200310123456"
    ds.AcquisitionDate = "20200229"
    prof = _profile(
        tmp_path,
        "dicom:\n  date-increment: -17\n  fields:\n"
        "    - name: AcquisitionDateTime\n      increment-datetime: true\n      datetime-min: '20200301'\n"
        "    - name: AcquisitionDate\n      increment-date: true\n      datetime-max: '20000101'\n",
    )
    out = _run(ds, prof)
    assert out.AcquisitionDateTime == "20200301000000.000000"
    assert out.AcquisitionDate == "20000101"  # E15: the reference ignores bounds on dates


def test_unparsable_dates_fail_the_file_without_showing_the_value(tmp_path: Path) -> None:
    ds = make_dataset()
    ds.StudyDate = "2020-03-10"
    buf = BytesIO()
    ds.save_as(buf, enforce_file_format=True)
    with pytest.raises(fastdeid.DicomError) as exc:
        fastdeid.deidentify_bytes(buf.getvalue(), _profile(tmp_path, SEED_DATES))
    assert exc.value.code == "bad-value" and exc.value.tag_path == "(0008,0020)"
    assert "2020-03-10" not in str(exc.value)


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("dicom:\n  fields:\n    - name: StudyDate\n      increment-date: true\n", "needs `date-increment`"),
        (
            "dicom:\n  date-increment: -1\n  date-format: '%Q'\n  fields: []\n",
            "%Q is not a supported datetime format code",
        ),
        (
            "dicom:\n  date-increment: -1\n  fields:\n    - name: StudyDate\n      increment-date: true\n      datetime-min: 20200301\n",
            "must be in either yyyymmdd or [+-]<amount><unit> format",
        ),
        (
            "dicom:\n  date-increment: -1\n  fields:\n    - name: StudyDate\n      increment-date: true\n      jitter-date: true\n      jitter-unit: fortnights\n",
            "jitter-unit must be one of",
        ),
    ],
)
def test_date_validation(tmp_path: Path, body: str, message: str) -> None:
    assert message in profile_error(tmp_path, body)


def test_fractional_date_increment(tmp_path: Path) -> None:
    # docs/profiles.md#increment-date: date-increment 1.5 moves a DA by 1 day (the date part of +36 h) and a DT by 36 h.
    ds = make_dataset()
    ds.StudyDate, ds.AcquisitionDateTime = "20200310", "20200310120000.000000"
    prof = _profile(
        tmp_path,
        "dicom:\n  date-increment: 1.5\n  fields:\n    - name: StudyDate\n      increment-date: true\n"
        "    - name: AcquisitionDateTime\n      increment-datetime: true\n",
    )
    out = _run(ds, prof)
    assert out.StudyDate == "20200311"
    assert out.AcquisitionDateTime == "20200312000000.000000"
