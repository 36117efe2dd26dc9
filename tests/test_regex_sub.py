"""regex-sub (docs/profiles.md#regex-sub): the reference's examples and its failure modes."""

from __future__ import annotations

from io import BytesIO
from pathlib import Path

import pydicom
import pytest

import fastdeid
from conftest import profile_error
from conftest import profile_from_yaml as _profile
from conftest import to_bytes as _bytes
from fastdeid.synth import make_dataset

ACCESSION = """dicom:
  date-increment: -17
  fields:
    - name: AccessionNumber
      regex-sub:
        - input-regex: '^(?P<prefix>[A-Z]+)-(?P<num>\\d+)$'
          output: '{prefix}_{num}_{StudyDate}'
          groups:
            - name: num
              hash: true
            - name: StudyDate
              increment-date: true
"""


def test_groups_pass_through_their_rules_and_fields_are_read_dry(tmp_path: Path) -> None:
    # ACC-0001 -> ACC_888b19a43b151683_20200222. That is 29 characters, which the
    # reference writes into the 16-character SH AccessionNumber (invalid DICOM, E6): here that file
    # fails, and the same rule on an LO element gives the verified string.
    ds = make_dataset()
    ds.AccessionNumber = ds.IssuerOfPatientID = "ACC-0001"
    ds.StudyDate = "20200310"
    on_lo = _profile(tmp_path, ACCESSION.replace("AccessionNumber", "IssuerOfPatientID"))
    out = pydicom.dcmread(BytesIO(fastdeid.deidentify_bytes(_bytes(ds), on_lo)))
    assert out.IssuerOfPatientID == "ACC_888b19a43b151683_20200222"
    assert out.StudyDate == "20200310"  # read for the template, not modified
    with pytest.raises(fastdeid.DicomError) as exc:
        fastdeid.deidentify_bytes(_bytes(ds), _profile(tmp_path, ACCESSION))
    assert exc.value.code == "bad-value" and "29 characters; a SH value holds at most 16" in str(exc.value)


def test_word_swap_and_first_matching_case(tmp_path: Path) -> None:
    prof = _profile(
        tmp_path,
        "dicom:\n  fields:\n    - name: InstitutionName\n      regex-sub:\n"
        "        - input-regex: '^Nothing'\n          output: never\n"
        "        - input-regex: '(?P<w1>\\w+) (?P<w2>\\w+)$'\n          output: '{w2} {w1}'\n",
    )
    ds = make_dataset()
    ds.InstitutionName = "General Hospital"
    out = pydicom.dcmread(BytesIO(fastdeid.deidentify_bytes(_bytes(ds), prof)))
    assert out.InstitutionName == "Hospital General"


def test_no_match_fails_the_file(tmp_path: Path) -> None:
    ds = make_dataset()
    ds.AccessionNumber = "no dash here"
    with pytest.raises(fastdeid.DicomError) as exc:
        fastdeid.deidentify_bytes(_bytes(ds), _profile(tmp_path, ACCESSION))
    assert exc.value.code == "bad-value" and "no regex-sub input-regex matches" in str(exc.value)


def test_regex_sub_runs_before_other_rules(tmp_path: Path) -> None:
    # Listed after a remove of the same field, regex-sub still acts first (docs/profiles.md#order), so the
    # remove wins and nothing is left.
    prof = _profile(
        tmp_path,
        "dicom:\n  fields:\n    - name: StationName\n      remove: true\n"
        "    - name: StationName\n      regex-sub:\n        - input-regex: '(?P<s>.*)'\n          output: 'X{s}'\n",
    )
    out = pydicom.dcmread(BytesIO(fastdeid.deidentify_bytes(_bytes(make_dataset()), prof)))
    assert "StationName" not in out
    assert [r.action for r in prof.rules] == ["regex-sub", "remove"]


@pytest.mark.parametrize(
    ("case", "message"),
    [
        (
            "        - input-regex: '(?P<a>x)'\n          output: '{b}'\n",
            "output variable {b} is neither a named group nor a group rule",
        ),
        ("        - input-regex: '('\n          output: 'x'\n", "input-regex does not compile"),
        (
            "        - input-regex: '(?P<a>x)'\n          output: '{a}'\n          groups:\n            - name: zz\n              hash: true\n",
            "neither a named group of input-regex nor a DICOM keyword",
        ),
    ],
)
def test_regex_sub_validation(tmp_path: Path, case: str, message: str) -> None:
    assert message in profile_error(
        tmp_path, f"dicom:\n  fields:\n    - name: AccessionNumber\n      regex-sub:\n{case}"
    )
