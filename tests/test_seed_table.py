"""The seed profile's before/after table (docs/profiles.md#example) on pydicom's files, and the
reference's action precedence (docs/profiles.md#precedence)."""

from __future__ import annotations

from io import BytesIO
from pathlib import Path

import pydicom
import pytest

import fastdeid
from conftest import PYDICOM_FILES

SEED = Path(__file__).parent / "profiles" / "01_seed.yaml"
CHANGED = {"PatientID", "StationName", "StudyDate", "AccessionNumber", "ConcatenationUID", "PatientAge"}

# file: (StationName, StudyDate, AccessionNumber, PatientAge) after the seed profile
TABLE = {
    "CT_small.dcm": ("XXXX", "20040102", "", "000Y"),
    "MR_small.dcm": ("XXXX", "20040809", "", None),
    "waveform_ecg.dcm": ("XXXX", "20130108", "e9d5432fd34f4af9", "042Y"),
    "examples_overlay.dcm": ("XXXX", "20051113", "a8cb8bcbabe7f1dc", "894Y"),
}


@pytest.mark.parametrize("name", sorted(TABLE))
def test_seed_table(name: str) -> None:
    src = pydicom.dcmread(PYDICOM_FILES / name)
    out = pydicom.dcmread(
        BytesIO(fastdeid.deidentify_bytes((PYDICOM_FILES / name).read_bytes(), fastdeid.load_profile(SEED)))
    )
    station, study_date, accession, age = TABLE[name]
    assert "PatientID" not in out
    assert (out.StationName, out.StudyDate, out.AccessionNumber) == (station, study_date, accession)
    assert out.get("PatientAge") == age

    # No other element changed.
    def unchanged(ds):
        return {e.tag: e.value for e in ds if e.keyword not in CHANGED and e.tag.element != 0}

    assert unchanged(out) == unchanged(src)


@pytest.mark.parametrize(
    "rule",
    [
        "      remove: true\n      keep: true\n",  # the reference keeps (keep comes before remove)
        "      hash: true\n      replace-with: R\n",  # the reference replaces (replace-with before hash)
    ],
)
def test_two_actions_are_refused_where_the_reference_silently_takes_the_first(tmp_path: Path, rule: str) -> None:
    path = tmp_path / "p.yaml"
    path.write_text(f"dicom:\n  fields:\n    - name: PatientName\n{rule}")
    with pytest.raises(fastdeid.ProfileError, match="has 2 actions"):
        fastdeid.load_profile(path)
