"""`fastdeid verify` (docs/verify.md): every planted canary channel is found in a `--profile none`
output, a clean output gives nothing, and each kind of check, the exit codes and the report formats
work on crafted files."""

from __future__ import annotations

import csv
import json
import warnings
from pathlib import Path

import pydicom
import pytest
from canary import CanaryCorpus, write_canary_corpus
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.sequence import Sequence
from pydicom.uid import ExplicitVRLittleEndian

from fastdeid import run
from fastdeid.cli import main
from fastdeid.errors import UsageError
from fastdeid.profile import builtin
from fastdeid.verify import Finding, VerifyReport, verify

CT = "1.2.840.10008.5.1.4.1.1.2"


def _element_path(tag_path: str) -> str:
    """The canary's `0040,0275[0].0008,0090` as verify writes it: `(0040,0275)[0].(0008,0090)`."""
    return ".".join(f"({step[:9]}){step[9:]}" for step in tag_path.split("."))


def _covers(finding: Finding, rel: str, tag_path: str) -> bool:
    """Whether a finding reports the place a marker was planted: the same file and the element, or a
    sequence it is inside of; for a name, the same file or folder."""
    if finding.file != rel:
        return False
    if not tag_path:
        return finding.kind == "identifying-name"
    target = _element_path(tag_path)
    return bool(finding.path) and (target == finding.path or target.startswith(finding.path + "["))


@pytest.fixture(scope="module")
def canary_none(tmp_path_factory: pytest.TempPathFactory) -> tuple[CanaryCorpus, Path]:
    base = tmp_path_factory.mktemp("verify-canary")
    corpus = write_canary_corpus(base / "src")
    report = run(corpus.root, base / "out", "none")
    assert report.failed == 0
    return corpus, base / "out"


def test_every_planted_channel_is_found_in_a_profile_none_output(canary_none: tuple[CanaryCorpus, Path]) -> None:
    corpus, out = canary_none
    report = verify(out, against=corpus.root)
    missed = [
        (channel.id, rel, tag_path)
        for channel in corpus.channels
        for rel, tag_path in channel.locations
        if not any(_covers(f, rel, tag_path) for f in report.findings)
    ]
    assert missed == [], missed
    assert len({c.id for c in corpus.channels}) == 71
    # Values are never reported: no marker appears in any rule, path or tag.
    text = json.dumps([f.__dict__ for f in report.findings])
    assert not [c.id for c in corpus.channels if c.marker.decode() in text and c.vr != "name"]
    assert {"identifying-string", "identifying-name", "must-be-removed", "holds-input-value"} <= report.counts().keys()


def test_outputs_renamed_by_uid_are_matched_against_every_input(
    canary_none: tuple[CanaryCorpus, Path], tmp_path: Path
) -> None:
    corpus, out = canary_none
    renamed = tmp_path / "renamed"
    renamed.mkdir()
    source = out / "deflated.dcm"
    (renamed / "2.25.1234567.CT.dcm").write_bytes(source.read_bytes())
    report = verify(renamed, against=corpus.root)
    strings = {f.path for f in report.findings if f.kind == "identifying-string"}
    # The deflated data set is inflated: the name, the ID and the referring physician are found.
    assert {"(0010,0010)", "(0010,0020)", "(0008,0090)"} <= strings


def _clean_pair(src: Path, out: Path) -> None:
    """An input full of identity and its hand-made clean de-identified output, named by a new UID."""
    ds = _dataset("1.2.826.0.1.3680043.98.500", "1.2.826.0.1.3680043.98.501")
    ds.PatientName, ds.PatientID, ds.PatientBirthDate = "SMITH^JOHNATHAN", "MRN7734521", "19500317"
    ds.InstitutionName, ds.StudyDate, ds.AccessionNumber = "GENERAL HOSPITAL", "20190612", "ACC99231"
    ds.OtherPatientIDsSequence = Sequence([_item(PatientID="ALT4451920")])
    _save(ds, src / "case_ZX81Q" / "img0001.dcm")

    clean = _dataset("2.25.33333333333333333333", "2.25.44444444444444444444")
    clean.PatientName, clean.PatientID = "", ""
    _save(clean, out / "2.25.33333333333333333333.CT.dcm")


def _dataset(sop_instance: str, study: str) -> Dataset:
    ds = Dataset()
    ds.file_meta = FileMetaDataset()
    ds.file_meta.TransferSyntaxUID = ExplicitVRLittleEndian
    ds.SOPClassUID, ds.SOPInstanceUID, ds.StudyInstanceUID = CT, sop_instance, study
    ds.Modality, ds.Rows, ds.Columns = "CT", 2, 2
    ds.BitsAllocated, ds.BitsStored, ds.HighBit, ds.PixelRepresentation = 16, 16, 15, 0
    ds.SamplesPerPixel, ds.PhotometricInterpretation = 1, "MONOCHROME2"
    ds.PixelData = bytes(8)
    return ds


def _item(**elements: object) -> Dataset:
    item = Dataset()
    for keyword, value in elements.items():
        setattr(item, keyword, value)
    return item


def _save(ds: Dataset, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # crafted invalid values are the point of some tests
        ds.save_as(path, enforce_file_format=True)


def test_a_clean_output_gives_no_finding(tmp_path: Path) -> None:
    _clean_pair(tmp_path / "src", tmp_path / "out")
    with_inputs = verify(tmp_path / "out", against=tmp_path / "src")
    assert with_inputs.findings == [], [f.line() for f in with_inputs.findings]
    alone = verify(tmp_path / "out")
    assert alone.findings == [], [f.line() for f in alone.findings]
    assert (alone.files, alone.not_dicom) == (1, 0)
    assert main(["verify", str(tmp_path / "out"), "--against", str(tmp_path / "src")]) == 0


def test_a_value_copied_into_an_output_is_found_with_its_input_element(tmp_path: Path) -> None:
    _clean_pair(tmp_path / "src", tmp_path / "out")
    leaky = pydicom.dcmread(tmp_path / "out" / "2.25.33333333333333333333.CT.dcm")
    leaky.ImageComments = "was ALT4451920"  # the nested other patient ID, in a kept free text
    leaky.Manufacturer = "CASE_ZX81Q scanner"  # input folder names are searched in names only
    _save(leaky, tmp_path / "out" / "sub" / "MRN7734521.dcm")
    report = verify(tmp_path / "out", against=tmp_path / "src")
    assert Finding(
        "sub/MRN7734521.dcm", "(0020,4000)", "(0020,4000)", "identifying-string", "value of input (0010,0020)"
    ) in (report.findings)
    assert Finding("sub/MRN7734521.dcm", "", "", "identifying-name", "value of input (0010,0020)") in report.findings
    assert not [f for f in report.findings if f.path == "(0008,0070)"]


def test_a_required_action_not_taken_is_reported_by_element_path(tmp_path: Path) -> None:
    ds = _dataset("2.25.1", "2.25.2")
    ds.PatientName = "ANYONE"  # Z: must be empty
    ds.PatientAddress = "1 MAIN STREET"  # X: must be gone
    ds.PatientSize = "1.80"  # X, kept by Retain Patient Characteristics
    # Anatomic Region Sequence is not in the table (kept); its item's X element is still found.
    ds.AnatomicRegionSequence = Sequence([_item(CodeValue="T-D0010", CodingSchemeDesignator="SRT")])
    ds.AnatomicRegionSequence[0].OtherPatientNames = "SOMEONE^ELSE"
    _save(ds, tmp_path / "out" / "a.dcm")
    found = {(f.path, f.kind, f.rule) for f in verify(tmp_path / "out").findings}
    assert ("(0010,0010)", "must-be-empty", "E.1-1 Z") in found
    assert ("(0010,1040)", "must-be-removed", "E.1-1 X") in found
    assert ("(0010,1020)", "must-be-removed", "E.1-1 X") in found
    assert ("(0008,2218)[0].(0010,1001)", "must-be-removed", "E.1-1 X") in found
    kept = {f.path for f in verify(tmp_path / "out", options=("retain-patient-characteristics",)).findings}
    assert "(0010,1020)" not in kept and "(0010,1040)" in kept


def test_values_invalid_for_their_vr_are_reported(tmp_path: Path) -> None:
    ds = _dataset("2.25.1", "2.25.2")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # pydicom warns about the invalid values being planted
        ds.ContentDate = "20231341"
        ds.ContentTime = "256000"
        ds.FrameOfReferenceUID = "1.2.03.4"
        ds.ImageType = ["ORIGINAL", "primary"]
        ds.add_new(0x00101010, "AS", "87Y ")
    _save(ds, tmp_path / "out" / "c.dcm")
    found = {(f.path, f.kind, f.rule) for f in verify(tmp_path / "out").findings if f.kind == "invalid-value"}
    assert found == {
        ("(0008,0023)", "invalid-value", "DA: DA not YYYYMMDD"),
        ("(0008,0033)", "invalid-value", "TM: TM not HH[MM[SS[.F]]]"),
        ("(0020,0052)", "invalid-value", "UI: UI component empty or with a leading zero"),
        ("(0008,0008)", "invalid-value", "CS: CS outside A-Z 0-9 space _"),
        ("(0010,1010)", "invalid-value", "AS: AS not nnnD/W/M/Y"),
    }


def test_a_file_that_does_not_parse_is_reported_not_a_crash(tmp_path: Path) -> None:
    out = tmp_path / "out"
    _save(_dataset("2.25.1", "2.25.2"), out / "good.dcm")
    data = (out / "good.dcm").read_bytes()
    (out / "cut.dcm").write_bytes(data[: len(data) - 5])
    (out / "notes.txt").write_text("not DICOM at all")
    report = verify(out)
    assert (report.files, report.not_dicom) == (3, 1)
    assert [(f.file, f.kind) for f in report.findings] == [("cut.dcm", "unreadable")]
    assert report.findings[0].rule.startswith(("truncated", "length-past-end"))


def test_exit_codes_and_report_formats(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    ds = _dataset("2.25.1", "2.25.2")
    ds.PatientAddress = "1 MAIN STREET"
    _save(ds, tmp_path / "out" / "x.dcm")
    assert main(["verify", str(tmp_path / "out"), "--report", str(tmp_path / "r.csv")]) == 1
    rows = list(csv.DictReader((tmp_path / "r.csv").open(encoding="utf-8")))
    assert rows == [
        {"file": "x.dcm", "path": "(0010,1040)", "tag": "(0010,1040)", "kind": "must-be-removed", "rule": "E.1-1 X"}
    ]
    out = capsys.readouterr().out
    assert "x.dcm (0010,1040): must-be-removed: E.1-1 X" in out and "1 finding(s): must-be-removed 1" in out
    assert "MAIN STREET" not in out

    assert main(["verify", str(tmp_path / "out"), "--report", str(tmp_path / "r.json"), "-j", "2"]) == 1
    document = json.loads((tmp_path / "r.json").read_text(encoding="utf-8"))
    assert document["counts"] == {"must-be-removed": 1} and document["files"] == 1
    assert document["findings"][0]["path"] == "(0010,1040)"

    assert main(["verify", str(tmp_path / "out"), "--option", "retain-everything"]) == 2
    assert main(["verify", str(tmp_path / "out"), "--report", str(tmp_path / "r.txt")]) == 2
    assert main(["verify", str(tmp_path / "missing")]) == 2
    assert main(["verify", str(tmp_path / "out"), "--against", str(tmp_path / "missing")]) == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err and err.count("fastdeid: error:") == 4


def test_a_profile_file_options_are_used(tmp_path: Path) -> None:
    ds = _dataset("2.25.1", "2.25.2")
    ds.PatientSize = "1.80"
    _save(ds, tmp_path / "out" / "x.dcm")
    profile = tmp_path / "p.yaml"
    profile.write_text("name: mine\nbase: basic\noptions: [retain-patient-characteristics]\n", encoding="utf-8")
    report: VerifyReport = verify(tmp_path / "out", profile=profile)
    assert report.options == ("retain-patient-characteristics",)
    assert report.findings == []


@pytest.mark.skipif("basic" not in builtin.names(), reason="the built-in basic profile is not there yet")
def test_a_basic_output_of_the_canary_corpus_is_clean(tmp_path: Path) -> None:
    corpus = write_canary_corpus(tmp_path / "src")
    assert main(["key", "new", str(tmp_path / "key")]) == 0
    assert main(
        ["run", str(corpus.root), str(tmp_path / "out"), "--profile", "basic", "--key-file", str(tmp_path / "key")]
    ) in (0, 1)
    report = verify(tmp_path / "out", against=corpus.root, profile="basic")
    assert report.findings == [], [f.line() for f in report.findings]
    # Without the inputs too: the keyed pseudonym in PatientID is basic's dummy, not a finding.
    alone = verify(tmp_path / "out", profile="basic")
    assert alone.findings == [], [f.line() for f in alone.findings]


def test_a_profile_that_is_neither_a_file_nor_built_in_is_refused(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="not a built-in profile"):
        verify(tmp_path, profile="nosuch")
    assert verify(tmp_path, profile="basic").findings == []


def test_a_string_kept_by_an_option_is_not_reported_where_it_also_was_a_removed_value(tmp_path: Path) -> None:
    """Retain Institution Identity keeps InstitutionName; the input's IssuerOfPatientID (removed)
    holds the same hospital name. The kept copy is in the output by right: not a finding."""
    meta = FileMetaDataset()
    meta.MediaStorageSOPClassUID = "1.2.840.10008.5.1.4.1.1.2"
    meta.MediaStorageSOPInstanceUID = "1.2.826.0.1.3680043.99.5"
    meta.TransferSyntaxUID = ExplicitVRLittleEndian
    ds = Dataset()
    ds.file_meta = meta
    ds.SOPClassUID, ds.SOPInstanceUID = meta.MediaStorageSOPClassUID, meta.MediaStorageSOPInstanceUID
    ds.PatientID, ds.PatientName = "MRN-4711", "Doe^Jane"
    ds.InstitutionName = ds.IssuerOfPatientID = "General Hospital of Nowhere"
    _save(ds, tmp_path / "src" / "a.dcm")
    key = tmp_path / "k.key"
    assert main(["key", "new", str(key)]) == 0
    option = "retain-institution-identity"
    argv = ["run", str(tmp_path / "src"), str(tmp_path / "out"), "--profile", "basic", "--key-file", str(key)]
    assert main([*argv, "--option", option, "-q"]) == 0
    report = verify(tmp_path / "out", against=tmp_path / "src", profile="basic", options=(option,))
    assert report.findings == [], [f.line() for f in report.findings]
    # Without the option the name was removed everywhere, and a copy of it would be a finding.
    leaky = next((tmp_path / "out").rglob("*.dcm"))
    copy = pydicom.dcmread(leaky)
    copy.ImageComments = "General Hospital of Nowhere"
    copy.save_as(leaky)
    strict = verify(tmp_path / "out", against=tmp_path / "src", profile="basic")
    assert any(f.kind == "identifying-string" for f in strict.findings)
