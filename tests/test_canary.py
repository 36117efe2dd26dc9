"""The canary corpus is valid and complete, the scanner sees every channel, and the built-in profiles
keep exactly the channels they should (docs/canary.md records the baselines)."""

from __future__ import annotations

import subprocess
import sys
import warnings
from pathlib import Path

import pydicom
import pytest
from canary import CanaryCorpus, Hit, find_markers, read_planted, survival_report, write_canary_corpus
from pydicom.uid import (
    DeflatedExplicitVRLittleEndian,
    ExplicitVRBigEndian,
    ExplicitVRLittleEndian,
    ImplicitVRLittleEndian,
    JPEGBaseline8Bit,
)

# Channels issue 12 names; each must be in the corpus under this id.
REQUIRED_CHANNELS = {
    "PatientName",
    "PatientID",
    "PatientBirthDate",
    "OtherPatientIDsSequence.PatientID",
    "nested3.ReferringPhysicianName",
    "private.creator",
    "private.UN-undefined-length",
    "SR.ContentSequence.TextValue",
    "Curve.5000,2500",
    "Overlay.6000,0022",
    "Overlay.6000,1500",
    "Overlay.6000,3000",
    "Icon.pixels",
    "OriginalAttributesSequence.PatientName",
    "meta.SourceApplicationEntityTitle",
    "meta.private",
    "group0000.AffectedSOPInstanceUID",
    "filename",
    "foldername",
    "DICOMDIR.PatientName",
    "PatientAddress",
    "InstitutionName",
    "InstitutionAddress",
    "DeviceSerialNumber",
    "StudyDescription",
    "SeriesDescription",
    "ImageComments",
    "AccessionNumber",
    "StudyDate",
    "AcquisitionDateTime",
    "StudyInstanceUID",
    "SeriesInstanceUID",
    "SOPInstanceUID",
    "FrameOfReferenceUID",
    "ReferencedImageSequence.ReferencedSOPInstanceUID",
    "PatientAge",
    "PatientWeight",
    "PatientSize",
}
BINARY_VRS = {"OB", "OW", "UN"}
# The built-in minimal profile removes these three elements at the top level of each data set only.
MINIMAL_TAG_PATHS = {"0010,0010", "0010,0020", "0010,0030"}
MINIMAL_REMOVES = {
    "PatientName",
    "PatientID",
    "PatientBirthDate",
    "implicitLE.PatientName",
    "bigEndian.PatientName",
    "bigEndian.PatientBirthDate",
    "deflated.PatientName",
    "deflated.PatientID",
    "jpeg.PatientName",
}


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> CanaryCorpus:
    return write_canary_corpus(tmp_path_factory.mktemp("canary") / "src")


def fastdeid_run(src: Path, dst: Path, profile: str) -> subprocess.CompletedProcess[str]:
    """`fastdeid run` through the console script installed next to this interpreter."""
    script = Path(sys.executable).parent / "fastdeid"
    command = [str(script)] if script.exists() else [sys.executable, "-m", "fastdeid.cli"]
    return subprocess.run(
        [*command, "run", str(src), str(dst), "--profile", profile], capture_output=True, text=True, check=False
    )


def expected_hits(corpus: CanaryCorpus) -> dict[str, list[Hit]]:
    """Where each marker was planted, as the scanner reports it."""
    return {
        c.id: sorted({Hit(rel, "content" if tag_path else "name") for rel, tag_path in c.locations})
        for c in corpus.channels
    }


def test_corpus_is_small_and_covers_every_channel_and_transfer_syntax(corpus: CanaryCorpus) -> None:
    assert len(corpus.channels) >= 45
    assert corpus.channel_ids() >= REQUIRED_CHANNELS
    assert len(corpus.files) <= 12
    assert sum((corpus.root / f).stat().st_size for f in corpus.files) < 1 << 20
    syntaxes = {
        pydicom.dcmread(corpus.root / f, stop_before_pixels=True).file_meta.TransferSyntaxUID for f in corpus.files
    }
    assert {
        ImplicitVRLittleEndian,
        ExplicitVRLittleEndian,
        ExplicitVRBigEndian,
        DeflatedExplicitVRLittleEndian,
        JPEGBaseline8Bit,
    } <= syntaxes
    for channel in corpus.channels:
        assert channel.marker and channel.vr and channel.e11 and channel.locations, channel.id
        folders = {Path(f).parent.as_posix() for f in corpus.files}
        assert {rel for rel, _ in channel.locations} <= {*corpus.files, *folders}, channel.id


def test_every_file_reads_back_with_each_marker_where_it_was_planted(corpus: CanaryCorpus) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # pydicom warns on what it had to guess or fix
        for rel in corpus.files:
            pydicom.dcmread(corpus.root / rel).walk(lambda ds, elem: None)
        planted = read_planted(corpus)
    for channel in corpus.channels:
        assert len(planted[channel.id]) == len(channel.locations)
        for value in planted[channel.id]:
            if channel.vr in BINARY_VRS:
                assert channel.marker in value, channel.id
            else:
                assert value.rstrip(b" \0") == channel.marker, channel.id


def test_the_corpus_is_the_same_every_time(corpus: CanaryCorpus, tmp_path: Path) -> None:
    again = write_canary_corpus(tmp_path)
    assert again.files == corpus.files
    assert again.channels == corpus.channels
    for rel in corpus.files:
        assert (tmp_path / rel).read_bytes() == (corpus.root / rel).read_bytes(), rel


def test_scanner_finds_each_marker_exactly_where_it_was_planted(corpus: CanaryCorpus) -> None:
    assert find_markers(corpus.root, corpus) == expected_hits(corpus)


def test_scanner_inflates_deflated_data_sets(corpus: CanaryCorpus) -> None:
    raw = (corpus.root / "deflated.dcm").read_bytes()
    deflated = [c for c in corpus.channels if c.locations[0][0] == "deflated.dcm"]
    assert len(deflated) >= 4
    found = find_markers(corpus.root, corpus)
    for channel in deflated:
        assert channel.marker not in raw, channel.id  # only inflating the data set shows it
        assert found[channel.id] == [Hit("deflated.dcm", "content")]


def test_scanner_reports_markers_in_names(corpus: CanaryCorpus, tmp_path: Path) -> None:
    """A name made from an identifying value (say a SOP Instance UID) counts as a name hit."""
    sop = corpus.channel("SOPInstanceUID").marker.decode()
    study = corpus.channel("StudyInstanceUID").marker.decode()
    (tmp_path / study).mkdir()
    (tmp_path / study / f"{sop}.CT.dcm").write_bytes(b"")
    assert find_markers(tmp_path, corpus) == {
        "SOPInstanceUID": [Hit(f"{study}/{sop}.CT.dcm", "name")],
        "StudyInstanceUID": [Hit(study, "name")],
    }


def test_profile_none_keeps_every_channel(corpus: CanaryCorpus, tmp_path: Path) -> None:
    done = fastdeid_run(corpus.root, tmp_path / "out", "none")
    assert done.returncode == 0, done.stderr
    found = find_markers(tmp_path / "out", corpus)
    print(survival_report(corpus, found))
    assert found == expected_hits(corpus)


def test_profile_minimal_removes_only_the_top_level_name_id_and_birth_date(
    corpus: CanaryCorpus, tmp_path: Path
) -> None:
    done = fastdeid_run(corpus.root, tmp_path / "out", "minimal")
    assert done.returncode == 0, done.stderr
    found = find_markers(tmp_path / "out", corpus)
    print(survival_report(corpus, found))
    removed = corpus.channel_ids() - set(found)
    top_level_triple = {
        c.id for c in corpus.channels if all(tag_path in MINIMAL_TAG_PATHS for _, tag_path in c.locations)
    }
    assert removed == top_level_triple == MINIMAL_REMOVES
    assert len(found) == len(corpus.channels) - len(MINIMAL_REMOVES) == 62  # the baseline in docs/canary.md
    expected = expected_hits(corpus)
    assert all(found[cid] == expected[cid] for cid in found)
