"""Every profile of the differential suite over every readable pydicom file (character-set files
included) and the generated PHI files: pydicom reads each output, and every value the profile
wrote (changed or added, at any depth) is valid for its VR: length, character repertoire, UID
syntax. Values left as they were are the input's business, not ours."""

from __future__ import annotations

from io import BytesIO
from pathlib import Path

import pydicom
import pytest
from pydicom import config
from pydicom.dataset import Dataset
from pydicom.valuerep import validate_value

import fastdeid
from conftest import INVALID, PYDICOM_FILES, is_candidate, phi_files, pydicom_files

PROFILES = sorted((Path(__file__).parent / "profiles").glob("*.yaml"))


@pytest.fixture(scope="module")
def inputs(tmp_path_factory: pytest.TempPathFactory) -> list[bytes]:
    valid = [
        p
        for p in pydicom_files()
        if is_candidate(str(p.relative_to(PYDICOM_FILES)))
        and str(p.relative_to(PYDICOM_FILES)) not in INVALID
        and p.suffix == ".dcm"
    ]
    charsets = sorted((PYDICOM_FILES.parent / "charset_files").glob("*.dcm"))
    return [p.read_bytes() for p in valid + charsets + phi_files(tmp_path_factory.mktemp("phi"))]


def _values(ds: Dataset, prefix: str = "") -> dict[str, tuple[str, object]]:
    out: dict[str, tuple[str, object]] = {}
    for e in ds:
        key = f"{prefix}{int(e.tag):08X}"
        if e.VR == "SQ":
            for i, item in enumerate(e.value):
                out.update(_values(item, f"{key}.{i}."))
        elif e.VR not in ("OB", "OW", "UN", "OF", "OD", "OL", "OV") and not e.is_private:
            out[key] = (e.VR, e.value)
    return out


def _invalid_written_values(before: bytes, after: bytes) -> list[str]:
    old = _values(pydicom.dcmread(BytesIO(before), force=True))
    out = pydicom.dcmread(BytesIO(after))
    new = _values(out)
    new.update({f"meta.{k}": v for k, v in _values(out.file_meta).items()})
    problems = []
    for key, (vr, value) in new.items():
        if old.get(key, (None, None))[1] == value:
            continue
        for single in value if isinstance(value, pydicom.multival.MultiValue) else [value]:
            if vr in ("DS", "IS"):
                single = getattr(single, "original_string", None) or str(single)  # the text as written
            try:
                validate_value(vr, single, config.RAISE)
            except ValueError as exc:
                problems.append(f"{key} {vr} {single!r}: {exc}")
    return problems


@pytest.mark.parametrize("profile_path", PROFILES, ids=lambda p: p.stem)
def test_every_written_value_is_valid_for_its_vr(profile_path: Path, inputs: list[bytes]) -> None:
    profile = fastdeid.load_profile(profile_path)
    problems: list[str] = []
    written = 0
    for data in inputs:
        try:
            out = fastdeid.deidentify_bytes(data, profile)
        except fastdeid.DicomError:
            continue  # a bad value in the input (e.g. an unparsable date): the file fails, nothing written
        written += 1
        problems += _invalid_written_values(data, out)
    assert written > len(inputs) // 2
    assert not problems, problems[:20]
