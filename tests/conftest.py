"""Shared fixtures: pydicom's bundled test files (listed from disk) and synthetic trees."""

from __future__ import annotations

import hashlib
from io import BytesIO
from pathlib import Path

import pydicom
import pytest
from pydicom.dataset import Dataset
from pydicom.sequence import Sequence

import fastdeid
from fastdeid.synth import make_dataset

PYDICOM_FILES = Path(pydicom.__file__).parent / "data" / "test_files"

# pydicom test files that are not valid Part 10 files, with the error code fastdeid must give.
INVALID = {
    "ExplVR_BigEndNoMeta.dcm": "not-dicom",  # no preamble / file meta
    "ExplVR_LitEndNoMeta.dcm": "not-dicom",
    "no_meta.dcm": "not-dicom",
    "rtstruct.dcm": "not-dicom",
    "MR_truncated.dcm": "length-past-end",  # pixel data cut short
    "rtplan_truncated.dcm": "length-past-end",
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
    data = (
        source if isinstance(source, bytes) else source.read_bytes() if isinstance(source, Path) else to_bytes(source)
    )
    return pydicom.dcmread(BytesIO(fastdeid.deidentify_bytes(data, profile)))


def phi_files(root: Path) -> list[Path]:
    """Generated files with PHI where pydicom's files have none: multi-valued and empty elements,
    nested sequences, a private block, a repeater group, datetimes with zones."""
    files = []
    for n, implicit in enumerate([False, True, False]):
        ds = make_dataset(patient=n, implicit=implicit)
        ds.OtherPatientIDs = ["OP1", "OP2"]  # multi-valued
        ds.AccessionNumber = "" if n == 1 else f"ACC-000{n}"  # empty element
        ds.ConcatenationUID = "1.2.840.113619.2.55.3.604688119.868.1234567890.123"
        ds.AcquisitionDateTime = ["20200310123456.123456+0100", "20200310123456", "20200310123456.1"][n]
        ds.CalibrationDate = ["20200101", "20200201"]
        ds.PatientComments = "free text about Doe^Jane"
        item = Dataset()
        item.ReferencedSOPClassUID = "1.2.840.10008.5.1.4.1.1.4"
        item.ReferencedSOPInstanceUID = f"1.2.826.0.1.3680043.8.498.{n}.111.222.333"
        block = item.private_block(0x0011, "ACME 1.0", create=True)
        block.add_new(0x10, "LO", "Doe^Hidden")
        ds.ReferencedImageSequence = Sequence([item, Dataset()])
        code = Dataset()
        code.CodeValue, code.CodingSchemeDesignator, code.CodeMeaning = "T-A0100", "SRT", "Brain of Doe^Jane"
        ds.AnatomicRegionSequence = Sequence([code])
        ds.add_new(0x60000022, "LO", "overlay of Doe^Jane")
        path = root / f"synthetic_{n}.dcm"
        ds.save_as(path, enforce_file_format=True)
        files.append(path)
    return files


def element_values(ds: Dataset, prefix: str = "") -> dict[str, object]:
    """Every element at every depth keyed by its hex path, sequences as their item count (group
    lengths left out: they are recomputed)."""
    out: dict[str, object] = {}
    for e in ds:
        if e.tag.element == 0:
            continue
        key = f"{prefix}{int(e.tag):08X}"
        if e.VR == "SQ":
            out[key] = len(e.value)
            for i, item in enumerate(e.value):
                out.update(element_values(item, f"{key}.{i}."))
        else:
            out[key] = e.value
    return out
