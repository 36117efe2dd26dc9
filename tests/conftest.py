"""Shared fixtures: pydicom's bundled test files (listed from disk) and synthetic trees."""

from __future__ import annotations

import hashlib
from io import BytesIO
from pathlib import Path

import pydicom
import pytest
from pydicom.dataset import Dataset

import fastdeid

PYDICOM_FILES = Path(pydicom.__file__).parent / "data" / "test_files"

# pydicom test files that are not valid Part 10 files, with the error code fastdeid must give.
INVALID = {
    "ExplVR_BigEndNoMeta.dcm": "not-dicom",  # no preamble / file meta
    "ExplVR_LitEndNoMeta.dcm": "not-dicom",
    "no_meta.dcm": "not-dicom",
    "rtstruct.dcm": "not-dicom",
    "MR_truncated.dcm": "length-past-end",  # pixel data cut short
    "rtplan_truncated.dcm": "length-past-end",
    "SC_rgb_jpeg.dcm": "bad-vr",  # meta says explicit VR, data set is implicit
    "meta_missing_tsyntax.dcm": "missing-transfer-syntax",
    "dicomdirtests/DICOMDIR-nooffset": "length-past-end",  # last record overruns its sequence
}
NOT_DICOM_SUFFIXES = {".txt", ".json", ".dump", ".icc", ".gz"}


def pydicom_files() -> list[Path]:
    return sorted(p for p in PYDICOM_FILES.rglob("*") if p.is_file())


def is_candidate(rel: str) -> bool:
    """Files that claim to be DICOM (everything but READMEs, JSON, dumps, ICC profiles, gzip)."""
    return Path(rel).suffix not in NOT_DICOM_SUFFIXES and Path(rel).name != "README"


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture(scope="session")
def synthetic_tree(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from fastdeid.synth import write_example_tree

    root = tmp_path_factory.mktemp("synthetic")
    write_example_tree(root, patients=3, studies=1, series=3, instances=2)
    return root


def profile_from_yaml(tmp_path: Path, body: str) -> fastdeid.Profile:
    """A profile written to a file and loaded, so validation messages carry a file and a line."""
    path = tmp_path / "p.yaml"
    path.write_text(body)
    return fastdeid.load_profile(path)


def profile_error(tmp_path: Path, body: str) -> str:
    """The message of the ProfileError that loading this profile raises (the test fails if none)."""
    with pytest.raises(fastdeid.ProfileError) as exc:
        profile_from_yaml(tmp_path, body)
    return str(exc.value)


def to_bytes(ds: Dataset) -> bytes:
    buf = BytesIO()
    ds.save_as(buf, enforce_file_format=True)
    return buf.getvalue()


def deidentify(source: Dataset | Path | bytes, profile: fastdeid.Profile) -> Dataset:
    """De-identifies a Dataset, a file or bytes in memory and reads the result back with pydicom."""
    data = source if isinstance(source, bytes) else source.read_bytes() if isinstance(source, Path) else to_bytes(source)
    return pydicom.dcmread(BytesIO(fastdeid.deidentify_bytes(data, profile)))
