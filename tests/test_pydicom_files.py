"""Every pydicom test file through `run`: exact identity with `none`, only the three patient
elements gone with `minimal`, and the invalid files rejected with their own codes."""

from __future__ import annotations

import gzip
from pathlib import Path

import pydicom
import pytest

import fastdeid
from conftest import INVALID, PYDICOM_FILES, element_values, is_candidate, pydicom_files, sha256

MINIMAL_TAGS = {0x00100010, 0x00100020, 0x00100030}
# Valid once repaired, so not byte for byte (their meta is corrected): tests/test_real_inputs.py.
REPAIRED = {"SC_rgb_jpeg.dcm", "meta_missing_tsyntax.dcm"}


def _read(path: Path) -> pydicom.Dataset:
    """pydicom's zipMR.gz is gzip-compressed DICOM, which fastdeid reads and writes plain."""
    return pydicom.dcmread(gzip.open(path) if path.suffix == ".gz" else path)


@pytest.fixture(scope="module")
def none_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[fastdeid.Report, Path]:
    before = {p: sha256(p) for p in pydicom_files()}
    out = tmp_path_factory.mktemp("none")
    report = fastdeid.run(PYDICOM_FILES, out, "none", jobs=2)
    assert {p: sha256(p) for p in pydicom_files()} == before, "inputs must never be modified"
    return report, out


def test_none_reproduces_every_valid_file_byte_for_byte(none_run: tuple[fastdeid.Report, Path]) -> None:
    report, out = none_run
    failed = {str(Path(f.path).relative_to(PYDICOM_FILES)) for f in report.failures}
    valid = [
        p
        for p in pydicom_files()
        if is_candidate(str(p.relative_to(PYDICOM_FILES))) and str(p.relative_to(PYDICOM_FILES)) not in INVALID
    ]
    assert len(valid) > 100
    for src in valid:
        rel = src.relative_to(PYDICOM_FILES)
        assert str(rel) not in failed, f"{rel} was rejected"
        if str(rel) not in REPAIRED:
            assert (out / rel).read_bytes() == src.read_bytes(), f"{rel} differs"
    # The identity set covers every transfer syntax the issue lists.
    syntaxes = {
        pydicom.dcmread(p, stop_before_pixels=True).file_meta.TransferSyntaxUID for p in valid if p.name not in REPAIRED
    }
    assert {
        "1.2.840.10008.1.2",
        "1.2.840.10008.1.2.1",
        "1.2.840.10008.1.2.2",
        "1.2.840.10008.1.2.1.99",
        "1.2.840.10008.1.2.5",
    } <= syntaxes
    assert any(uid.startswith("1.2.840.10008.1.2.4.") for uid in syntaxes)


def test_invalid_files_are_rejected_with_their_own_code_and_no_output(none_run: tuple[fastdeid.Report, Path]) -> None:
    report, out = none_run
    codes = {str(Path(f.path).relative_to(PYDICOM_FILES)): f.code for f in report.failures}
    for rel, code in INVALID.items():
        assert codes.get(rel) == code, rel
        assert not (out / rel).exists()
    for f in report.failures:
        rel = str(Path(f.path).relative_to(PYDICOM_FILES))
        assert rel in INVALID or not is_candidate(rel), f"unexpected failure {rel}: {f.message}"
        assert f.offset is not None


def _elements(ds: pydicom.Dataset) -> dict[int, object]:
    return {int(e.tag): e.value for e in ds if e.tag.element != 0}


def test_minimal_changes_only_the_three_patient_elements(tmp_path: Path) -> None:
    report = fastdeid.run(PYDICOM_FILES, tmp_path, "minimal", jobs=2)
    assert report.ok > 100
    checked = 0
    for src in pydicom_files():
        rel = src.relative_to(PYDICOM_FILES)
        if not (tmp_path / rel).exists():
            continue
        before = _read(src)
        after = pydicom.dcmread(tmp_path / rel)
        expected = {t: v for t, v in _elements(before).items() if t not in MINIMAL_TAGS}
        assert _elements(after) == expected, rel
        corrected = {0x00020010} if str(rel) in REPAIRED else set()  # the transfer syntax the repair names
        meta_before, meta_after = _elements(before.file_meta), _elements(after.file_meta)
        assert {t: v for t, v in meta_before.items() if t not in corrected} == {
            t: v for t, v in meta_after.items() if t not in corrected
        }, rel
        checked += 1
    assert checked == report.ok


def test_recursive_rules_rewrite_nested_elements_in_every_file(tmp_path: Path) -> None:
    # Replacing values at every depth changes sizes inside defined- and undefined-length sequences
    # and items, in every transfer syntax; pydicom must still read everything else unchanged.
    profile = tmp_path / "p.yaml"
    profile.write_text(
        "dicom:\n  recurse-sequence: true\n  fields:\n"
        "    - name: CodeMeaning\n      replace-with: REPLACED MEANING\n      replace-with-insert: false\n"
        "    - name: ReferencedSOPInstanceUID\n      hashuid: true\n"
    )
    report = fastdeid.run(PYDICOM_FILES, tmp_path / "out", profile, jobs=2)
    assert report.ok > 100
    nested_changes = 0
    for src in pydicom_files():
        rel = src.relative_to(PYDICOM_FILES)
        if not (tmp_path / "out" / rel).exists():
            continue
        before, after = element_values(_read(src)), element_values(pydicom.dcmread(tmp_path / "out" / rel))
        assert before.keys() == after.keys(), rel
        for key, value in before.items():
            leaf = key.rsplit(".", 1)[-1]
            if leaf == "00080104":
                assert after[key] == "REPLACED MEANING", (rel, key)
                nested_changes += "." in key
            elif leaf == "00081155":
                assert after[key] != value and len(str(after[key])) <= 64, (rel, key)
                nested_changes += "." in key
            else:
                assert after[key] == value, (rel, key)
    assert nested_changes > 50


NO_META = ["rtstruct.dcm", "ExplVR_BigEndNoMeta.dcm", "ExplVR_LitEndNoMeta.dcm"]


def test_files_without_meta_only_with_the_opt_in(tmp_path: Path) -> None:
    src = tmp_path / "src"
    src.mkdir()
    for name in NO_META:
        (src / name).write_bytes((PYDICOM_FILES / name).read_bytes())
    (src / "text.dcm").write_text("patient: Doe^John\n" * 10)
    # no_meta.dcm starts with a stray byte: no encoding parses it strictly, so it stays rejected.
    (src / "no_meta.dcm").write_bytes((PYDICOM_FILES / "no_meta.dcm").read_bytes())
    strict = fastdeid.run(src, tmp_path / "strict", "none")
    assert strict.ok == 0 and {f.code for f in strict.failures} == {"not-dicom"}
    opted = fastdeid.run(src, tmp_path / "opted", "none", accept_no_meta=True)
    assert opted.ok == len(NO_META) and sorted(Path(f.path).name for f in opted.failures) == ["no_meta.dcm", "text.dcm"]
    for name in NO_META:
        assert (tmp_path / "opted" / name).read_bytes() == (src / name).read_bytes()
    # The seed table's rtstruct row (docs/profiles.md#example): processed by the reference with force=True.
    seed = Path(__file__).parent / "profiles" / "01_seed.yaml"
    fastdeid.run(src / "rtstruct.dcm", tmp_path / "rt.dcm", seed, accept_no_meta=True)
    out = pydicom.dcmread(tmp_path / "rt.dcm", force=True)
    assert (out.AccessionNumber, out.StationName, "PatientID" in out) == ("6b86b273ff34fce1", "XXXX", False)
