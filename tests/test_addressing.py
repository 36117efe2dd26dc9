"""Field addressing (docs/profiles.md#addressing): nested paths, wildcards, private blocks, repeaters, regex names and
recurse-sequence, checked with pydicom on the written files."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydicom.dataset import Dataset
from pydicom.sequence import Sequence

import fastdeid
from conftest import deidentify as _run
from conftest import to_bytes as _bytes
from fastdeid.synth import make_dataset


def _profile(tmp_path: Path, fields: str, extra: str = "") -> fastdeid.Profile:
    path = tmp_path / "p.yaml"
    path.write_text(f"dicom:\n{extra}  fields:\n{fields}")
    return fastdeid.load_profile(path)


def _two_other_ids(implicit: bool = False) -> Dataset:
    ds = make_dataset(implicit=implicit)
    items = []
    for n in (1, 2):
        item = Dataset()
        item.PatientID = f"OTHER-{n}"
        item.IssuerOfPatientID = "ISSUER"
        items.append(item)
    ds.OtherPatientIDsSequence = Sequence(items)
    return ds


@pytest.mark.parametrize("implicit", [False, True])
def test_plain_names_stay_at_top_level_and_paths_reach_into_items(tmp_path: Path, implicit: bool) -> None:
    prof = _profile(
        tmp_path,
        "    - name: PatientID\n      remove: true\n    - name: OtherPatientIDsSequence.1.PatientID\n      replace-with: X\n",
    )
    out = _run(_two_other_ids(implicit), prof)
    assert "PatientID" not in out
    assert [i.PatientID for i in out.OtherPatientIDsSequence] == ["OTHER-1", "X"]


def test_wildcards_insert_into_every_item(tmp_path: Path) -> None:
    prof = _profile(
        tmp_path,
        "    - name: OtherPatientIDsSequence.*.TypeOfPatientID\n      replace-with: TEXT\n"
        "    - name: OtherPatientIDsSequence.*.IssuerOfPatientID\n      remove: true\n",
    )
    out = _run(_two_other_ids(), prof)
    assert [i.TypeOfPatientID for i in out.OtherPatientIDsSequence] == ["TEXT", "TEXT"]
    assert all("IssuerOfPatientID" not in i for i in out.OtherPatientIDsSequence)


def test_hex_paths_and_out_of_range_indices(tmp_path: Path) -> None:
    prof = _profile(tmp_path, "    - name: '00101002.0.00100020'\n      hash: true\n")
    out = _run(_two_other_ids(), prof)
    assert out.OtherPatientIDsSequence[0].PatientID == fastdeid_hash("OTHER-1")
    bad = _profile(tmp_path, "    - name: OtherPatientIDsSequence.7.PatientID\n      remove: true\n")
    with pytest.raises(fastdeid.DicomError) as exc:
        fastdeid.deidentify_bytes(_bytes(_two_other_ids()), bad)
    assert exc.value.code == "bad-value" and "past the end" in str(exc.value)


def fastdeid_hash(value: str) -> str:
    import hashlib

    return hashlib.sha256(value.encode()).hexdigest()[:16]


def test_recurse_sequence_reaches_nested_occurrences_and_inserts_at_top(tmp_path: Path) -> None:
    prof = _profile(tmp_path, "    - name: PatientID\n      replace-with: ANON\n", extra="  recurse-sequence: true\n")
    out = _run(_two_other_ids(), prof)
    assert out.PatientID == "ANON"
    assert [i.PatientID for i in out.OtherPatientIDsSequence] == ["ANON", "ANON"]
    ds = make_dataset()
    code = Dataset()
    code.CodeMeaning = "secret"
    ds.ProcedureCodeSequence = Sequence([code])
    out = _run(
        ds, _profile(tmp_path, "    - name: CodeMeaning\n      replace-with: X\n", extra="  recurse-sequence: true\n")
    )
    assert out.CodeMeaning == "X"  # inserted at top level, as the reference does (docs/profiles.md#recurse-sequence)
    assert out.ProcedureCodeSequence[0].CodeMeaning == "X"


def test_regex_matches_keyword_and_hex_paths_from_the_start(tmp_path: Path) -> None:
    ds = make_dataset()
    ds.PatientName = "Doe^John"
    # docs/profiles.md#regex-fields: a regex matching both paths of one element acts twice (hash of hash).
    out = _run(ds, _profile(tmp_path, "    - regex: (PatientName|00100010)\n      hash: true\n"))
    assert out.PatientName == "c3045dcf6560dc0f"
    out = _run(_two_other_ids(), _profile(tmp_path, "    - regex: PatientI\n      replace-with: R\n"))
    assert out.PatientID == "R"  # start-anchored only: PatientI matches PatientID
    out = _run(
        _two_other_ids(),
        _profile(tmp_path, "    - regex: OtherPatientIDsSequence\\.\\d+\\.IssuerOfPatientID\n      remove: true\n"),
    )
    assert all("IssuerOfPatientID" not in i for i in out.OtherPatientIDsSequence)
    assert (
        out.file_meta.MediaStorageSOPInstanceUID == ds.file_meta.MediaStorageSOPInstanceUID
    )  # meta is never a candidate


def test_private_names_find_their_block_and_create_one(tmp_path: Path) -> None:
    ds = make_dataset()  # has (0009,0010) "FASTDEID SYNTH" with (0009,1001) LO
    out = _run(ds, _profile(tmp_path, '    - name: (0009, "FASTDEID SYNTH", 01)\n      remove: true\n'))
    assert 0x00091001 not in out and out[0x00090010].value == "FASTDEID SYNTH"
    # docs/profiles.md#value-model: a missing private element whose VR the private dictionary knows is
    # created with its creator block.
    out = _run(ds, _profile(tmp_path, '    - name: (0029,"SIEMENS CSA HEADER",08)\n      replace-with: MR\n'))
    assert out[0x00290010].value == "SIEMENS CSA HEADER"
    assert out[0x00291008].VR == "CS" and out[0x00291008].value == "MR"


def test_repeaters_match_every_overlay_group(tmp_path: Path) -> None:
    ds = make_dataset()
    ds.add_new(0x60000022, "LO", "overlay one")
    ds.add_new(0x60020022, "LO", "overlay two")
    out = _run(ds, _profile(tmp_path, "    - name: 60XX0022\n      remove: true\n"))
    assert 0x60000022 not in out and 0x60020022 not in out


@pytest.mark.parametrize(
    ("fields", "extra", "message"),
    [
        ('    - name: (0010, "X", 10)\n      remove: true\n', "", "Not a private tag"),
        ("    - name: OtherPatientIDsSequence.0\n      remove: true\n", "", "must end on an element"),
        ("    - name: PatientID.0.PatientName\n      remove: true\n", "", "PatientID is not a sequence"),
        ("    - name: Nope.0.PatientID\n      remove: true\n", "", "Not in DICOM keyword list: Nope"),
        ("    - regex: '('\n      remove: true\n", "", "does not compile"),
        (
            "    - regex: Patient.*\n      remove: true\n",
            "  recurse-sequence: true\n",
            "recurse-sequence cannot be combined",
        ),
    ],
)
def test_address_validation(tmp_path: Path, fields: str, extra: str, message: str) -> None:
    with pytest.raises(fastdeid.ProfileError) as exc:
        _profile(tmp_path, fields, extra)
    assert message in str(exc.value)


@pytest.mark.parametrize("implicit", [False, True])
def test_replace_with_creates_missing_sequences_and_pads_short_ones(tmp_path: Path, implicit: bool) -> None:
    # docs/profiles.md#value-model: a too-short sequence is padded with empty items (SQ[2] -> SQ[4]), and
    # missing sequences are created.
    prof = _profile(
        tmp_path,
        "    - name: OtherPatientIDsSequence.3.PatientID\n      replace-with: PADDED\n"
        "    - name: ReferencedPatientSequence.1.ReferencedSOPInstanceUID\n      replace-with: 1.2.3.4\n",
    )
    out = _run(_two_other_ids(implicit), prof)
    items = out.OtherPatientIDsSequence
    assert [len(i) for i in items] == [2, 2, 0, 1]
    assert items[0].PatientID == "OTHER-1" and items[3].PatientID == "PADDED"
    created = out.ReferencedPatientSequence
    assert len(created) == 2 and len(created[0]) == 0 and created[1].ReferencedSOPInstanceUID == "1.2.3.4"


@pytest.mark.parametrize("implicit", [False, True])
def test_later_rules_see_created_items(tmp_path: Path, implicit: bool) -> None:
    # The reference builds created items in its dataset, so a second replace-with fills the same
    # new item (not a second one), later rules change or remove created values, and wildcards
    # reach them (the differential suite's 14_create.yaml checks the same against the reference).
    prof = _profile(
        tmp_path,
        "    - name: OtherPatientIDsSequence.2.PatientID\n      replace-with: NEW\n"
        "    - name: OtherPatientIDsSequence.2.TypeOfPatientID\n      replace-with: TEXT\n"
        "    - name: OtherPatientIDsSequence.*.IssuerOfPatientID\n      replace-with: ALL\n"
        "    - name: ReferencedPatientSequence.0.ReferencedSOPClassUID\n      replace-with: 1.2.3\n"
        "    - name: ReferencedPatientSequence.0.ReferencedSOPInstanceUID\n      replace-with: 1.2.4\n"
        "    - name: ReferencedPatientSequence.0.ReferencedSOPInstanceUID\n      remove: true\n"
        "    - name: ReferencedStudySequence.0.ReferencedSeriesSequence.1.SeriesInstanceUID\n      replace-with: 1.2.5\n",
    )
    out = _run(_two_other_ids(implicit), prof)
    items = out.OtherPatientIDsSequence
    assert [i.get("PatientID") for i in items] == ["OTHER-1", "OTHER-2", "NEW"]
    assert items[2].TypeOfPatientID == "TEXT"
    assert [i.IssuerOfPatientID for i in items] == ["ALL"] * 3
    assert len(out.ReferencedPatientSequence) == 1
    assert list(out.ReferencedPatientSequence[0].keys()) == [0x00081150]
    series = out.ReferencedStudySequence[0].ReferencedSeriesSequence
    assert len(series) == 2 and len(series[0]) == 0 and series[1].SeriesInstanceUID == "1.2.5"
