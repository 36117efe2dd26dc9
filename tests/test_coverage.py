"""`fastdeid profile coverage`: the elements of a sample a profile neither changes nor keeps."""

from __future__ import annotations

import warnings
from pathlib import Path

import pytest
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.sequence import Sequence
from pydicom.uid import ExplicitVRLittleEndian

from fastdeid.cli import main
from fastdeid.profile.coverage import coverage


def _sample(root: Path, n: int) -> None:
    for i in range(n):
        ds = Dataset()
        ds.file_meta = FileMetaDataset()
        ds.file_meta.TransferSyntaxUID = ExplicitVRLittleEndian
        ds.SOPClassUID, ds.SOPInstanceUID = "1.2.840.10008.5.1.4.1.1.2", f"2.25.{i + 1}"
        ds.PatientName, ds.PatientID, ds.Manufacturer = "DOE^JANE", "ID1", "ACME"
        if i == 0:  # only in the first file, and once more inside a sequence
            ds.StationName = "CT01"
            ds.ReferencedStudySequence = Sequence([Dataset()])
            ds.ReferencedStudySequence[0].StationName = "CT02"
        ds.private_block(0x0009, "ACME 1.0", create=True).add_new(0x01, "LO", "secret")
        root.mkdir(parents=True, exist_ok=True)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            ds.save_as(root / f"{i}.dcm", enforce_file_format=True)
    (root / "README").write_text("not DICOM")


def test_elements_no_rule_names_are_listed_with_counts(tmp_path: Path) -> None:
    _sample(tmp_path / "sample", 3)
    profile = tmp_path / "p.yaml"
    profile.write_text(
        "name: p\ndicom:\n  fields:\n    - name: PatientName\n      remove: true\n"
        "    - name: Manufacturer\n      keep: true\n    - regex: '.*InstanceUID$'\n      remove: true\n",
        encoding="utf-8",
    )
    found = coverage(profile, tmp_path / "sample")
    assert (found.files, found.unreadable) == (3, 1)
    listed = {f"{u.tag:08X}": (u.keyword, u.files, u.times, u.nested) for u in found.elements.values()}
    assert listed["00100020"] == ("PatientID", 3, 3, False)
    assert listed["00081010"] == ("StationName", 1, 2, True)
    assert listed["00091001"] == ("[ACME 1.0]", 3, 3, False)  # private, no remove-private-tags; the whole creator
    assert "00100010" not in listed and "00080070" not in listed, "removed and explicitly kept"
    assert "00080018" not in listed, "matched by the regex rule"
    assert not [t for t in listed if t.startswith("0002")], "file meta is not listed"

    profile.write_text(profile.read_text(encoding="utf-8").replace("dicom:\n", "dicom:\n  remove-private-tags: true\n"))
    assert "00091001" not in {f"{u.tag:08X}" for u in coverage(profile, tmp_path / "sample").elements.values()}


def test_the_command_prints_one_line_per_tag_and_a_summary(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _sample(tmp_path / "sample", 2)
    assert main(["profile", "coverage", "minimal", str(tmp_path / "sample")]) == 0
    out = capsys.readouterr().out.splitlines()
    assert any(line.startswith("(0008,0070) LO Manufacturer") and "2 file(s)" in line for line in out)
    assert not any(line.startswith("(0010,0010)") for line in out)
    assert out[-1].endswith("that profile minimal neither changes nor explicitly keeps")
    assert main(["profile", "coverage", "minimal", str(tmp_path / "missing")]) == 2


def test_a_tag_seen_only_inside_sequences_says_so(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _sample(tmp_path / "sample", 1)
    assert main(["profile", "coverage", "minimal", str(tmp_path / "sample")]) == 0
    out = capsys.readouterr().out.splitlines()
    station = next(line for line in out if line.startswith("(0008,1010)"))
    assert station.endswith("(also in sequences)"), "at the top and inside a sequence"
    creator = next(line for line in out if line.startswith("(0009,1001)"))
    assert "[ACME 1.0]" in creator
