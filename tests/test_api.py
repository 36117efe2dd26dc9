"""The Python API: run, load_profile, deidentify_bytes, deidentify_dataset."""

from __future__ import annotations

from io import BytesIO
from pathlib import Path

import pydicom
import pytest

import fastdeid
from conftest import PYDICOM_FILES, sha256


def test_run_returns_a_report(synthetic_tree: Path, tmp_path: Path) -> None:
    hashes = {p: sha256(p) for p in synthetic_tree.rglob("*.dcm")}
    report = fastdeid.run(synthetic_tree, tmp_path / "out", "minimal", jobs=2)
    assert (report.ok, report.failed, report.skipped) == (18, 0, 0)
    assert report.bytes_in == sum(p.stat().st_size for p in hashes)
    assert report.bytes_out < report.bytes_in
    assert report.threads == 2
    assert {p: sha256(p) for p in hashes} == hashes
    for p in hashes:
        out = pydicom.dcmread(tmp_path / "out" / p.relative_to(synthetic_tree))
        assert "PatientName" not in out
        assert out.OtherPatientIDsSequence[0].PatientID.startswith("MRN-")  # not addressed by minimal


def test_symlinks_are_skipped_not_followed(tmp_path: Path) -> None:
    src = tmp_path / "src"
    src.mkdir()
    (src / "link.dcm").symlink_to(PYDICOM_FILES / "CT_small.dcm")
    report = fastdeid.run(src, tmp_path / "out", "none")
    assert (report.ok, report.skipped) == (0, 1)
    assert report.skips[0][1] == "symbolic link (not followed)"
    assert not (tmp_path / "out" / "link.dcm").exists()


def test_deidentify_bytes_and_errors() -> None:
    data = (PYDICOM_FILES / "CT_small.dcm").read_bytes()
    out = fastdeid.deidentify_bytes(data, "minimal")
    ds = pydicom.dcmread(BytesIO(out))
    assert "PatientName" not in ds and ds.StudyDate == "20040119"
    assert fastdeid.deidentify_bytes(data, "none") == data
    with pytest.raises(fastdeid.DicomError) as exc:
        fastdeid.deidentify_bytes(data[:1000], "none")
    assert exc.value.code in {"truncated", "length-past-end"}
    assert exc.value.offset is not None


def test_deidentify_dataset_returns_a_new_dataset() -> None:
    ds = pydicom.dcmread(PYDICOM_FILES / "MR_small.dcm")
    prof = fastdeid.load_profile("minimal")
    out = fastdeid.deidentify_dataset(ds, prof)
    assert "PatientID" not in out and "PatientID" in ds
    assert out.PixelData == ds.PixelData


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (
            "dicom:\n  fields:\n    - name: PatientID\n      remove: false\n",
            ":4:15: remove on PatientID must be `true`",
        ),
        (
            "dicom:\n  fields:\n    - name: 00100030\n      remove: true\n",
            ":3:13: field name 32792 is not a string; quote tag numbers",
        ),
        ("dicom:\n  retain: true\n", "dicom key 'retain' is not supported by this version"),
        (
            "dicom:\n  fields:\n    - name: PatientID\n      remove: true\n      hash-salt: x\n",
            "unknown field key 'hash-salt'",
        ),
        ("dicom:\n  hash-salt: x\n", "unknown dicom key 'hash-salt'; did you mean 'salt'?"),
        ("dicom:\n  sallt: x\n", "unknown dicom key 'sallt'; did you mean 'salt'?"),
        (
            "dicom:\n  fields:\n    - name: Rows\n      replace-with: big\n",
            "Incorrect value type for Dicom element Rows (VR=US)",
        ),
        (
            "dicom:\n  fields:\n    - name: PatientWeight\n      encrypt: true\n",
            "action 'encrypt' on PatientWeight is not supported",
        ),
        ("nmae: x\ndicom: {}\n", "unknown top-level key 'nmae'"),
    ],
)
def test_profile_validation_names_file_line_and_rule(tmp_path: Path, body: str, message: str) -> None:
    path = tmp_path / "p.yaml"
    path.write_text(body)
    with pytest.raises(fastdeid.ProfileError) as exc:
        fastdeid.load_profile(path)
    assert message in str(exc.value)
    assert str(path) in str(exc.value)


def test_keywords_are_case_corrected_and_tags_accepted(tmp_path: Path) -> None:
    path = tmp_path / "p.json"
    path.write_text(
        '{"dicom": {"fields": [{"name": "patientid", "remove": true}, {"name": "(0010,0010)", "replace-with": "X"}, {"name": "0x00100030", "remove": true}]}}'
    )
    prof = fastdeid.load_profile(path)
    assert [(r.name, r.tag) for r in prof.rules] == [
        ("PatientID", 0x00100020),
        ("(0010,0010)", 0x00100010),
        ("0x00100030", 0x00100030),
    ]
    out = pydicom.dcmread(BytesIO(fastdeid.deidentify_bytes((PYDICOM_FILES / "CT_small.dcm").read_bytes(), prof)))
    assert out.PatientName == "X" and "PatientID" not in out and "PatientBirthDate" not in out


def test_meta_keywords_edit_the_file_meta(tmp_path: Path) -> None:
    path = tmp_path / "p.yaml"
    path.write_text("dicom:\n  fields:\n    - name: MediaStorageSOPInstanceUID\n      replace-with: 1.2.3.4\n")
    out = pydicom.dcmread(
        BytesIO(fastdeid.deidentify_bytes((PYDICOM_FILES / "CT_small.dcm").read_bytes(), fastdeid.load_profile(path)))
    )
    assert out.file_meta.MediaStorageSOPInstanceUID == "1.2.3.4"
    assert "MediaStorageSOPInstanceUID" not in out  # not in the data set
    path.write_text("dicom:\n  fields:\n    - name: TransferSyntaxUID\n      remove: true\n")
    with pytest.raises(fastdeid.ProfileError, match="defines the file's structure"):
        fastdeid.load_profile(path)


def test_the_api_refuses_a_url_as_a_destination_instead_of_making_a_folder(tmp_path: Path) -> None:
    import fastdeid
    from fastdeid.errors import UsageError

    for url in ("ftp://host/x", "dicom://X@127.0.0.1:104"):
        with pytest.raises(UsageError):
            fastdeid.run(str(tmp_path), url, "minimal")
    assert not Path("ftp:").exists() and not Path("dicom:").exists()
