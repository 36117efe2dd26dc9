"""One definition of the profile document (the core's serde types, which the Python types must
match) and a picklable profile that rebuilds itself from its document."""

from __future__ import annotations

import json
import pickle
from pathlib import Path

import pytest

import fastdeid
from conftest import PYDICOM_FILES
from fastdeid import _core
from fastdeid.profile.document import DOCUMENT_TYPES

PROFILES = Path(__file__).parent / "profiles"
# Profiles whose outputs do not depend on random draws (no unseeded jitter).
DETERMINISTIC = ["01_seed", "03_uids", "04_dates", "05_nested", "08_private", "10_regex_sub", "16_filenames"]
FILES = ["CT_small.dcm", "MR_small.dcm", "rtplan.dcm", "JPEG2000.dcm"]


def test_the_python_document_types_are_the_core_definition() -> None:
    core = dict(_core.document_keys())
    assert set(core) == set(DOCUMENT_TYPES)
    for level, typed in DOCUMENT_TYPES.items():
        assert set(typed.__annotations__) == set(core[level]), level


def test_a_key_missing_from_the_definition_is_refused(tmp_path: Path) -> None:
    # The same definition decides validation: a key outside it is an error at every level.
    path = tmp_path / "p.yaml"
    path.write_text("dicom:\n  fields:\n    - name: PatientID\n      remove: true\n      colour: red\n")
    with pytest.raises(fastdeid.ProfileError, match="unknown field key 'colour'"):
        fastdeid.load_profile(path)


@pytest.mark.parametrize("name", DETERMINISTIC)
def test_a_pickled_profile_gives_identical_outputs(name: str) -> None:
    profile = fastdeid.load_profile(PROFILES / f"{name}.yaml")
    again = pickle.loads(pickle.dumps(profile))
    compiled = pickle.loads(pickle.dumps(profile.compiled))
    assert again.digest == profile.digest and again.rules == profile.rules
    assert compiled.summary() == profile.compiled.summary()
    for file in FILES:
        data = (PYDICOM_FILES / file).read_bytes()
        expected = _outcome(data, profile.compiled)
        assert _outcome(data, again.compiled) == expected
        assert _outcome(data, compiled) == expected


def _outcome(data: bytes, compiled: _core.CompiledProfile) -> bytes | str:
    """The output, or the error (a file the profile cannot de-identify fails the same way)."""
    try:
        return _core.deidentify_bytes(data, compiled)
    except fastdeid.DicomError as exc:
        return str(exc)


def test_a_profile_built_from_a_specification_pickles_too() -> None:
    profile = fastdeid.load_profile(PROFILES / "01_seed.yaml")
    from_spec = _core.CompiledProfile(json.dumps(profile.spec))
    again = pickle.loads(pickle.dumps(from_spec))
    data = (PYDICOM_FILES / "CT_small.dcm").read_bytes()
    assert _core.deidentify_bytes(data, again) == _core.deidentify_bytes(data, from_spec)
    assert _core.deidentify_bytes(data, again) == _core.deidentify_bytes(data, profile.compiled)


def test_relative_date_bounds_survive_pickling_unchanged() -> None:
    doc = '{"dicom": {"date-increment": -3, "fields": [{"name": "StudyDate", "increment-date": true, "datetime-min": "-10years"}]}}'
    compiled = _core.CompiledProfile.from_document(doc, "t", "20200101000000.000000")
    again = pickle.loads(pickle.dumps(compiled))
    assert again.summary() == compiled.summary()
    # Ten years of 365.25 days before the moment given, as the reference counts them.
    shift = json.loads(again.summary() or "{}")["spec"]["fields"][0]["shift"]
    assert shift["min"] == "20091231120000.000000"


def test_document_problems_carry_their_paths() -> None:
    with pytest.raises(fastdeid.ProfileError) as exc:
        _core.CompiledProfile.from_document('{"dicom": {"fields": [{"name": "PatientName", "hashuid": true}]}}', "t")
    [problem] = exc.value.problems
    assert problem["code"] == "vr-mismatch"
    assert problem["path"] == ["dicom", "fields", 0, "hashuid"]


def test_pass_through_keys_are_accepted_and_stored(tmp_path: Path) -> None:
    path = tmp_path / "p.yaml"
    path.write_text("dicom:\n  base: basic\n  options: [retain-uids]\n  fields: []\n")  # keyless: loads, cannot run
    profile = fastdeid.load_profile(path)
    assert (profile.base, profile.options, profile.key_file) == ("basic", ("retain-uids",), None)
    assert profile.spec["base"]["options"] == ["retain-uids"]


def test_pass_through_keys_reach_the_summary() -> None:
    doc = '{"dicom": {"base": "basic", "options": ["retain-dates"], "key-file": "k.txt", "fields": []}}'
    summary = _core.CompiledProfile.from_document(doc, "t").summary() or ""
    assert '"base":"basic"' in summary and '"options":["retain-dates"]' in summary and '"key_file":"k.txt"' in summary


def test_a_basic_profile_is_compiled_once_with_its_key_and_pickles(tmp_path: Path) -> None:
    from fastdeid.profile.basic import BasicOverrides
    from fastdeid.profile.keys import new_key

    key = new_key(tmp_path / "project.key")
    profile = fastdeid.load_profile("basic", BasicOverrides(key_file=str(key)))
    assert profile.spec["base"]["key_hex"]  # the key reached the compiled profile with the document
    again = pickle.loads(pickle.dumps(profile.compiled))
    data = (PYDICOM_FILES / "CT_small.dcm").read_bytes()
    out = _outcome(data, profile.compiled)
    assert isinstance(out, bytes) and out != data
    assert _outcome(data, again) == out
    keyless = fastdeid.load_profile("basic")  # loads (to be listed), and refuses every file
    with pytest.raises(fastdeid.ProfileError, match="needs a secret key"):
        _core.deidentify_bytes(data, keyless.compiled)
