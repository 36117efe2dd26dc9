"""The canary corpus: valid DICOM files with a distinct marker planted in every channel that can carry
identity (PS3.15 Annex E), and a scanner that finds those markers in any byte or name of a tree.

`write_canary_corpus(root)` writes the files and returns the channel list; `find_markers(root, corpus)`
reports, per channel, every file whose content (deflated data sets inflated) or name holds its marker.
A de-identifier is judged by which channels still show up in its output. Deterministic: the same
bytes every time, nothing from the network. docs/canary.md lists the channels and the baselines.
"""

from __future__ import annotations

import gc
import os
import struct
import warnings
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from io import BytesIO
from pathlib import Path
from typing import NamedTuple

import pydicom
from pydicom.dataelem import DataElement
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.encaps import encapsulate
from pydicom.fileset import FileSet
from pydicom.sequence import Sequence
from pydicom.uid import (
    DeflatedExplicitVRLittleEndian,
    ExplicitVRBigEndian,
    ExplicitVRLittleEndian,
    ImplicitVRLittleEndian,
    JPEGBaseline8Bit,
)

CT_IMAGE = "1.2.840.10008.5.1.4.1.1.2"
MR_IMAGE = "1.2.840.10008.5.1.4.1.1.4"
SECONDARY_CAPTURE = "1.2.840.10008.5.1.4.1.1.7"
BASIC_TEXT_SR = "1.2.840.10008.5.1.4.1.1.88.11"
# Neutral UIDs (never markers) live under .98; planted UID markers under .99 (see `_Planter.uid`).
NEUTRAL_ROOT = "1.2.826.0.1.3680043.98."
MARKER_UID_ROOT = "1.2.826.0.1.3680043.99."
# Pixel bytes hold no ASCII letters or digits, so no marker can appear in them by chance.
NEUTRAL_BYTES = bytes(range(32))
PRIVATE_ROW = "(gggg,eeee) odd group"  # the Table E.1-1 row of every private element
MAX_INFLATED = 64 << 20  # the corpus inflates to a few KB; a bound keeps the scanner safe on any tree


@dataclass(frozen=True)
class Channel:
    """One place identity can hide, with the marker planted there.

    `locations` pairs a file (relative POSIX path under the corpus root) with a tag path such as
    `0040,0275[0].0008,1110[0].0008,0090` (group 0002 means the file meta); an empty tag path means
    the marker is in the file's or folder's name. `e11` names the PS3.15 Table E.1-1 rows that
    govern the channel: the row of the element, after the rows of the sequences it is nested in
    (`(0040,0275) > (0008,1110) > ...`, rows the table lacks left out), `;` between the places of a
    channel planted twice; "file-level" for names and file meta the table does not list, "not listed"
    for standard elements it does not name (so the Basic Profile keeps them unless it cleans them).
    """

    id: str
    marker: bytes
    vr: str
    locations: tuple[tuple[str, str], ...]
    e11: str


@dataclass(frozen=True)
class CanaryCorpus:
    """The written corpus: its root, its files (relative POSIX paths) and its channels."""

    root: Path
    files: tuple[str, ...]
    channels: tuple[Channel, ...]

    def channel(self, channel_id: str) -> Channel:
        return next(c for c in self.channels if c.id == channel_id)

    def channel_ids(self) -> set[str]:
        return {c.id for c in self.channels}


class Hit(NamedTuple):
    """A marker found: the file or folder (relative POSIX path) and whether in its name or content."""

    path: str
    part: str  # "name" or "content"


class _Planter:
    """Hands out distinct markers and records each channel as it is planted."""

    def __init__(self) -> None:
        self.channels: list[Channel] = []
        self._count = 0

    def token(self) -> str:
        """A fresh 7-character token `CNRYnnQ`: valid in every text VR (PN, LO, SH, AE, LT, ST, UT, CS)
        and in file names; all have one length, so none is a substring of another."""
        self._count += 1
        return f"CNRY{self._count:02d}Q"

    def text(self, channel_id: str, vr: str, locations: list[tuple[str, str]], e11: str) -> str:
        return self.fixed(channel_id, self.token(), vr, locations, e11)

    def name(self, channel_id: str, make_path: Callable[[str], str]) -> str:
        """A marker used as a file or folder name; `make_path` turns it into the relative path."""
        marker = self.token()
        self.fixed(channel_id, marker, "name", [(make_path(marker), "")], "file-level")
        return marker

    def uid(self, channel_id: str, locations: list[tuple[str, str]], e11: str) -> str:
        """A UID with a fixed-width last node, so no marker UID is a prefix of another."""
        self._count += 1
        return self.fixed(channel_id, f"{MARKER_UID_ROOT}{1000 + self._count}", "UI", locations, e11)

    def fixed(self, channel_id: str, value: str, vr: str, locations: list[tuple[str, str]], e11: str) -> str:
        """A marker chosen by the caller (dates, times, ages, decimals must be valid for their VR)."""
        self.channels.append(Channel(channel_id, value.encode("ascii"), vr, tuple(locations), e11))
        return value

    def binary(self, channel_id: str, vr: str, locations: list[tuple[str, str]], e11: str, size: int) -> bytes:
        """A text marker embedded in a binary value of `size` bytes (even, as OB and OW need)."""
        marker = self.text(channel_id, vr, locations, e11).encode("ascii")
        return marker + NEUTRAL_BYTES[: size - len(marker)]


def _new_dataset(transfer_syntax: str, sop_class: str, sop_instance: str) -> Dataset:
    ds = Dataset()
    ds.file_meta = FileMetaDataset()
    ds.file_meta.TransferSyntaxUID = transfer_syntax
    ds.SOPClassUID = sop_class
    ds.SOPInstanceUID = sop_instance
    return ds


def _item(**elements: object) -> Dataset:
    item = Dataset()
    for keyword, value in elements.items():
        setattr(item, keyword, value)
    return item


def _code(value: str, meaning: str) -> Dataset:
    return _item(CodeValue=value, CodingSchemeDesignator="DCM", CodeMeaning=meaning)


def _save(ds: Dataset, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    ds.save_as(path, enforce_file_format=True)


def _native_pixels(ds: Dataset) -> None:
    ds.SamplesPerPixel, ds.PhotometricInterpretation = 1, "MONOCHROME2"
    ds.Rows, ds.Columns = 4, 4
    ds.BitsAllocated, ds.BitsStored, ds.HighBit, ds.PixelRepresentation = 16, 12, 11, 0
    ds.PixelData = NEUTRAL_BYTES
    ds["PixelData"].VR = "OW"


def _main_file(p: _Planter, root: Path) -> str:
    """Explicit VR little endian CT in a folder whose name is a marker: most channels live here."""
    folder = p.name("foldername", lambda marker: marker)
    f = f"{folder}/ct_explicit_le.dcm"

    def at(tag_path: str) -> list[tuple[str, str]]:
        return [(f, tag_path)]

    sop = p.uid("SOPInstanceUID", [(f, "0008,0018"), (f, "0002,0003")], "(0008,0018); (0002,0003)")
    ds = _new_dataset(ExplicitVRLittleEndian, CT_IMAGE, sop)
    ds.file_meta.SourceApplicationEntityTitle = p.text(
        "meta.SourceApplicationEntityTitle", "AE", at("0002,0016"), "file-level"
    )
    ds.file_meta.PrivateInformationCreatorUID = NEUTRAL_ROOT + "1"
    ds.file_meta.PrivateInformation = p.binary("meta.private", "OB", at("0002,0102"), "file-level", 8)

    ds.PatientName = p.text("PatientName", "PN", at("0010,0010"), "(0010,0010)")
    ds.PatientID = p.text("PatientID", "LO", at("0010,0020"), "(0010,0020)")
    ds.PatientBirthDate = p.fixed("PatientBirthDate", "19230407", "DA", at("0010,0030"), "(0010,0030)")
    ds.PatientAge = p.fixed("PatientAge", "087Y", "AS", at("0010,1010"), "(0010,1010)")
    ds.PatientSize = p.fixed("PatientSize", "1.83917", "DS", at("0010,1020"), "(0010,1020)")
    ds.PatientWeight = p.fixed("PatientWeight", "71.3917", "DS", at("0010,1030"), "(0010,1030)")
    ds.PatientAddress = p.text("PatientAddress", "LO", at("0010,1040"), "(0010,1040)")
    ds.PatientTelephoneNumbers = p.text("PatientTelephoneNumbers", "SH", at("0010,2154"), "(0010,2154)")
    ds.OtherPatientNames = p.text("OtherPatientNames", "PN", at("0010,1001"), "(0010,1001)")
    ds.PatientMotherBirthName = p.text("PatientMotherBirthName", "PN", at("0010,1060"), "(0010,1060)")
    ds.PatientComments = p.text("PatientComments", "LT", at("0010,4000"), "(0010,4000)")
    ds.OtherPatientIDsSequence = Sequence(
        [
            _item(
                PatientID=p.text(
                    "OtherPatientIDsSequence.PatientID", "LO", at("0010,1002[0].0010,0020"), "(0010,1002) > (0010,0020)"
                ),
                TypeOfPatientID="TEXT",
            )
        ]
    )
    ds.InstitutionName = p.text("InstitutionName", "LO", at("0008,0080"), "(0008,0080)")
    ds.InstitutionAddress = p.text("InstitutionAddress", "ST", at("0008,0081"), "(0008,0081)")
    ds.InstitutionalDepartmentName = p.text("InstitutionalDepartmentName", "LO", at("0008,1040"), "(0008,1040)")
    ds.ReferringPhysicianName = p.text("ReferringPhysicianName", "PN", at("0008,0090"), "(0008,0090)")
    ds.PerformingPhysicianName = p.text("PerformingPhysicianName", "PN", at("0008,1050"), "(0008,1050)")
    ds.OperatorsName = p.text("OperatorsName", "PN", at("0008,1070"), "(0008,1070)")
    ds.StationName = p.text("StationName", "SH", at("0008,1010"), "(0008,1010)")
    ds.DeviceSerialNumber = p.text("DeviceSerialNumber", "LO", at("0018,1000"), "(0018,1000)")
    ds.StudyDescription = p.text("StudyDescription", "LO", at("0008,1030"), "(0008,1030)")
    ds.SeriesDescription = p.text("SeriesDescription", "LO", at("0008,103E"), "(0008,103E)")
    ds.ImageComments = p.text("ImageComments", "LT", at("0020,4000"), "(0020,4000)")
    ds.AccessionNumber = p.text("AccessionNumber", "SH", at("0008,0050"), "(0008,0050)")
    ds.StudyID = p.text("StudyID", "SH", at("0020,0010"), "(0020,0010)")
    ds.StudyDate = p.fixed("StudyDate", "19310522", "DA", at("0008,0020"), "(0008,0020)")
    ds.StudyTime = p.fixed("StudyTime", "071523.417", "TM", at("0008,0030"), "(0008,0030)")
    ds.AcquisitionDateTime = p.fixed("AcquisitionDateTime", "19440613091502", "DT", at("0008,002A"), "(0008,002A)")
    ds.StudyInstanceUID = p.uid("StudyInstanceUID", at("0020,000D"), "(0020,000D)")
    ds.SeriesInstanceUID = p.uid("SeriesInstanceUID", at("0020,000E"), "(0020,000E)")
    ds.FrameOfReferenceUID = p.uid("FrameOfReferenceUID", at("0020,0052"), "(0020,0052)")
    ds.ReferencedImageSequence = Sequence(
        [
            _item(
                ReferencedSOPClassUID=CT_IMAGE,
                ReferencedSOPInstanceUID=p.uid(
                    "ReferencedImageSequence.ReferencedSOPInstanceUID",
                    at("0008,1140[0].0008,1155"),
                    "(0008,1140) > (0008,1155)",
                ),
            )
        ]
    )
    ds.Modality = "CT"
    _nested_three_deep(p, ds, f)
    _private_elements(p, ds, f)
    _curve_and_overlay(p, ds, f)
    _icon(p, ds, f)
    ds.OriginalAttributesSequence = Sequence(
        [
            _item(
                ModifiedAttributesSequence=Sequence(
                    [
                        _item(
                            PatientName=p.text(
                                "OriginalAttributesSequence.PatientName",
                                "PN",
                                at("0400,0561[0].0400,0550[0].0010,0010"),
                                "(0400,0561) > (0400,0550) > (0010,0010)",
                            )
                        )
                    ]
                ),
                AttributeModificationDateTime="20010101120000",
                ModifyingSystem="CANARY",
                SourceOfPreviousValues="",
                ReasonForTheAttributeModification="COERCE",
            )
        ]
    )
    _native_pixels(ds)
    _save(ds, root / f)
    return f


def _nested_three_deep(p: _Planter, ds: Dataset, f: str) -> None:
    """A marker in an item of a sequence inside two more; the middle one of undefined length."""
    leaf = _item(
        ReferringPhysicianName=p.text(
            "nested3.ReferringPhysicianName",
            "PN",
            [(f, "0040,0275[0].0008,1110[0].0008,1120[0].0008,0090")],
            "(0040,0275) > (0008,1110) > (0008,1120) > (0008,0090)",
        )
    )
    middle = _item(ReferencedSOPClassUID="1.2.840.10008.3.1.2.3.1", ReferencedPatientSequence=Sequence([leaf]))
    middle.is_undefined_length_sequence_item = True
    ds.RequestAttributesSequence = Sequence([_item(ReferencedStudySequence=Sequence([middle]))])
    ds.RequestAttributesSequence[0]["ReferencedStudySequence"].is_undefined_length = True


def _private_elements(p: _Planter, ds: Dataset, f: str) -> None:
    """A creator string that is itself a marker, an element under it, and a private sequence stored as
    UN of undefined length (PS3.5 6.2.2: its items are implicit VR little endian)."""
    creator = p.text("private.creator", "LO", [(f, "0009,0010")], PRIVATE_ROW)
    block = ds.private_block(0x0009, creator, create=True)
    block.add_new(0x10, "LO", p.text("private.LO", "LO", [(f, "0009,1010")], PRIVATE_ROW))

    un_creator = b"CANARY UN "
    marker = p.text("private.UN-undefined-length", "UN", [(f, "0011,1010[0].0011,1001")], PRIVATE_ROW)
    inner = struct.pack("<HHI", 0x0011, 0x0010, len(un_creator)) + un_creator
    inner += struct.pack("<HHI", 0x0011, 0x1001, 8) + marker.encode() + b" "
    # pydicom writes the sequence delimiter after an undefined-length value itself.
    body = struct.pack("<HHI", 0xFFFE, 0xE000, 0xFFFFFFFF) + inner + struct.pack("<HHI", 0xFFFE, 0xE00D, 0)
    ds.private_block(0x0011, "CANARY UN", create=True)
    element = DataElement(0x00111010, "UN", body)
    element.is_undefined_length = True
    ds[0x00111010] = element


def _curve_and_overlay(p: _Planter, ds: Dataset, f: str) -> None:
    """Retired curve group 5000 and overlay group 6000, markers in their labels and their data."""
    ds.add_new(0x50000005, "US", 1)  # Curve Dimensions
    ds.add_new(0x50000010, "US", 4)  # Number of Points
    ds.add_new(0x50000020, "CS", "TAC")  # Type of Data
    ds.add_new(0x50000103, "US", 0)  # Data Value Representation
    ds.add_new(0x50002500, "LO", p.text("Curve.5000,2500", "LO", [(f, "5000,2500")], "(50xx,xxxx)"))
    ds.add_new(0x50003000, "OB", p.binary("Curve.5000,3000", "OB", [(f, "5000,3000")], "(50xx,xxxx)", 8))
    ds.add_new(0x60000010, "US", 8)  # Overlay Rows
    ds.add_new(0x60000011, "US", 8)  # Overlay Columns
    ds.add_new(0x60000022, "LO", p.text("Overlay.6000,0022", "LO", [(f, "6000,0022")], "not listed"))
    ds.add_new(0x60000040, "CS", "G")  # Overlay Type
    ds.add_new(0x60000050, "SS", [1, 1])  # Overlay Origin
    ds.add_new(0x60000100, "US", 1)  # Overlay Bits Allocated
    ds.add_new(0x60000102, "US", 0)  # Overlay Bit Position
    ds.add_new(0x60001500, "LO", p.text("Overlay.6000,1500", "LO", [(f, "6000,1500")], "not listed"))
    # 8 x 8 one-bit pixels: exactly 8 bytes.
    ds.add_new(0x60003000, "OW", p.binary("Overlay.6000,3000", "OW", [(f, "6000,3000")], "(60xx,3000)", 8))


def _icon(p: _Planter, ds: Dataset, f: str) -> None:
    icon = _item(SamplesPerPixel=1, PhotometricInterpretation="MONOCHROME2", Rows=4, Columns=4)
    icon.BitsAllocated, icon.BitsStored, icon.HighBit, icon.PixelRepresentation = 8, 8, 7, 0
    icon.add_new(0x7FE00010, "OB", p.binary("Icon.pixels", "OB", [(f, "0088,0200[0].7FE0,0010")], "(0088,0200)", 16))
    ds.IconImageSequence = Sequence([icon])


def _implicit_file(p: _Planter, root: Path) -> str:
    """Implicit VR little endian, named by a marker, with a sequence of undefined length."""
    f = p.name("filename", lambda marker: f"{marker}.dcm") + ".dcm"
    ds = _new_dataset(ImplicitVRLittleEndian, MR_IMAGE, NEUTRAL_ROOT + "2")
    ds.PatientName = p.text("implicitLE.PatientName", "PN", [(f, "0010,0010")], "(0010,0010)")
    ds.PatientID = "NEUTRAL1"
    ds.OtherPatientIDsSequence = Sequence(
        [
            _item(
                PatientID=p.text(
                    "implicitLE.OtherPatientIDsSequence.PatientID",
                    "LO",
                    [(f, "0010,1002[0].0010,0020")],
                    "(0010,1002) > (0010,0020)",
                )
            )
        ]
    )
    ds["OtherPatientIDsSequence"].is_undefined_length = True
    ds.OtherPatientIDsSequence[0].is_undefined_length_sequence_item = True
    ds.AdditionalPatientHistory = p.text("implicitLE.AdditionalPatientHistory", "LT", [(f, "0010,21B0")], "(0010,21B0)")
    ds.Modality = "MR"
    _native_pixels(ds)
    _save(ds, root / f)
    return f


def _big_endian_file(p: _Planter, root: Path) -> str:
    f = "explicit_be.dcm"
    ds = _new_dataset(ExplicitVRBigEndian, CT_IMAGE, NEUTRAL_ROOT + "3")
    ds.PatientName = p.text("bigEndian.PatientName", "PN", [(f, "0010,0010")], "(0010,0010)")
    ds.PatientID = "NEUTRAL2"
    ds.PatientBirthDate = p.fixed("bigEndian.PatientBirthDate", "19270819", "DA", [(f, "0010,0030")], "(0010,0030)")
    ds.StudyInstanceUID = p.uid("bigEndian.StudyInstanceUID", [(f, "0020,000D")], "(0020,000D)")
    ds.ReferencedStudySequence = Sequence(
        [
            _item(
                ReferencedSOPClassUID="1.2.840.10008.3.1.2.3.1",
                ReferencedSOPInstanceUID=p.uid(
                    "bigEndian.ReferencedStudySequence.ReferencedSOPInstanceUID",
                    [(f, "0008,1110[0].0008,1155")],
                    "(0008,1110) > (0008,1155)",
                ),
            )
        ]
    )
    ds.Modality = "CT"
    _native_pixels(ds)
    _save(ds, root / f)
    return f


def _deflated_file(p: _Planter, root: Path) -> str:
    f = "deflated.dcm"
    ds = _new_dataset(DeflatedExplicitVRLittleEndian, CT_IMAGE, NEUTRAL_ROOT + "4")
    ds.PatientName = p.text("deflated.PatientName", "PN", [(f, "0010,0010")], "(0010,0010)")
    ds.PatientID = p.text("deflated.PatientID", "LO", [(f, "0010,0020")], "(0010,0020)")
    ds.ReferringPhysicianName = p.text("deflated.ReferringPhysicianName", "PN", [(f, "0008,0090")], "(0008,0090)")
    ds.AcquisitionDate = p.fixed("deflated.AcquisitionDate", "19380226", "DA", [(f, "0008,0022")], "(0008,0022)")
    block = ds.private_block(0x0019, "CANARY DEFLATE", create=True)
    block.add_new(0x10, "LO", p.text("deflated.private.LO", "LO", [(f, "0019,1010")], PRIVATE_ROW))
    ds.Modality = "CT"
    _native_pixels(ds)
    _save(ds, root / f)
    return f


def _jpeg_file(p: _Planter, root: Path) -> str:
    """Encapsulated (JPEG baseline) pixel data: one fake fragment, since pixel data is never decoded."""
    f = "jpeg_baseline.dcm"
    ds = _new_dataset(JPEGBaseline8Bit, SECONDARY_CAPTURE, NEUTRAL_ROOT + "5")
    ds.PatientName = p.text("jpeg.PatientName", "PN", [(f, "0010,0010")], "(0010,0010)")
    ds.PatientID = "NEUTRAL3"
    ds.OperatorsName = p.text("jpeg.OperatorsName", "PN", [(f, "0008,1070")], "(0008,1070)")
    ds.AccessionNumber = p.text("jpeg.AccessionNumber", "SH", [(f, "0008,0050")], "(0008,0050)")
    ds.Modality = "OT"
    ds.SamplesPerPixel, ds.PhotometricInterpretation = 1, "MONOCHROME2"
    ds.Rows, ds.Columns = 4, 4
    ds.BitsAllocated, ds.BitsStored, ds.HighBit, ds.PixelRepresentation = 8, 8, 7, 0
    ds.PixelData = encapsulate([b"\xff\xd8" + NEUTRAL_BYTES + b"\xff\xd9"])
    ds["PixelData"].VR = "OB"
    _save(ds, root / f)
    return f


def _sr_file(p: _Planter, root: Path) -> str:
    """Basic Text SR: markers in a TEXT and a PNAME content item and in the verifying observer."""
    f = "sr_text.dcm"
    ds = _new_dataset(ExplicitVRLittleEndian, BASIC_TEXT_SR, NEUTRAL_ROOT + "6")
    ds.PatientName, ds.PatientID, ds.Modality = "NEUTRAL^SR", "NEUTRAL4", "SR"
    ds.ValueType, ds.ContinuityOfContent = "CONTAINER", "SEPARATE"
    ds.ConceptNameCodeSequence = Sequence([_code("121070", "Findings")])
    ds.CompletionFlag, ds.VerificationFlag = "COMPLETE", "VERIFIED"
    ds.VerifyingObserverSequence = Sequence(
        [
            _item(
                VerifyingObserverName=p.text(
                    "SR.VerifyingObserverName", "PN", [(f, "0040,A073[0].0040,A075")], "(0040,A073) > (0040,A075)"
                ),
                VerifyingOrganization="CANARY ORG",
                VerificationDateTime="20010101120000",
            )
        ]
    )
    text = _item(RelationshipType="CONTAINS", ValueType="TEXT")
    text.ConceptNameCodeSequence = Sequence([_code("121071", "Finding")])
    text.TextValue = p.text("SR.ContentSequence.TextValue", "UT", [(f, "0040,A730[0].0040,A160")], "(0040,A730)")
    person = _item(RelationshipType="CONTAINS", ValueType="PNAME")
    person.ConceptNameCodeSequence = Sequence([_code("121008", "Person Observer Name")])
    person.PersonName = p.text(
        "SR.ContentSequence.PersonName", "PN", [(f, "0040,A730[1].0040,A123")], "(0040,A730) > (0040,A123)"
    )
    ds.ContentSequence = Sequence([text, person])
    _save(ds, root / f)
    return f


def _command_group_file(p: _Planter, root: Path) -> str:
    """A data set that carries a command group element (0000,1000), which pydicom will not write
    through `dcmwrite`, so it is spliced in right after the file meta (group 0000 sorts first)."""
    f = "command_group.dcm"
    # Implicit VR, as command sets are always encoded (PS3.7 6.3.1); pydicom warns on anything else.
    ds = _new_dataset(ImplicitVRLittleEndian, SECONDARY_CAPTURE, NEUTRAL_ROOT + "7")
    ds.PatientName, ds.PatientID, ds.Modality = "NEUTRAL^CMD", "NEUTRAL5", "OT"
    buf = BytesIO()
    ds.save_as(buf, enforce_file_format=True)
    data = buf.getvalue()
    meta_end = 144 + struct.unpack_from("<I", data, 140)[0]
    uid = p.uid("group0000.AffectedSOPInstanceUID", [(f, "0000,1000")], "(0000,1000)").encode() + b"\0"
    element = struct.pack("<HHI", 0x0000, 0x1000, len(uid)) + uid
    (root / f).write_bytes(data[:meta_end] + element + data[meta_end:])
    return f


def _dicomdir(p: _Planter, root: Path) -> list[str]:
    """A DICOMDIR written by pydicom's FileSet over one neutral instance; the patient and study record
    values are then swapped for markers of the same length, so every record offset stays right."""
    instance_path = "dicomdir/PT000000/ST000000/SE000000/IM000000"
    sop = p.uid(
        "DICOMDIR.ReferencedSOPInstanceUIDInFile",
        [("dicomdir/DICOMDIR", "0004,1220[3].0004,1511"), (instance_path, "0008,0018"), (instance_path, "0002,0003")],
        "(0004,1511); (0008,0018); (0002,0003)",
    )
    ds = _new_dataset(ExplicitVRLittleEndian, SECONDARY_CAPTURE, sop)
    ds.PatientName, ds.PatientID, ds.StudyDescription = "DIRNAME", "DIRPID1", "DIRDESC"
    ds.StudyInstanceUID, ds.SeriesInstanceUID = NEUTRAL_ROOT + "8", NEUTRAL_ROOT + "9"
    ds.StudyDate, ds.StudyTime, ds.StudyID, ds.AccessionNumber = "20000101", "120000", "1", ""
    ds.Modality, ds.SeriesNumber, ds.InstanceNumber = "OT", 1, 1
    with warnings.catch_warnings():
        # FileSet stages in a temporary folder it never cleans up: its finalizer warns when collected.
        warnings.simplefilter("ignore", ResourceWarning)
        fileset = FileSet()
        fileset.UID = NEUTRAL_ROOT + "10"  # otherwise a random UID: the corpus must be the same every time
        fileset.add(ds)
        fileset.write(root / "dicomdir")
        del fileset
        gc.collect()
    dicomdir = root / "dicomdir/DICOMDIR"
    data = dicomdir.read_bytes()
    for placeholder, channel_id, tag_path, e11 in [
        (b"DIRNAME", "DICOMDIR.PatientName", "0004,1220[0].0010,0010", "(0010,0010)"),
        (b"DIRPID1", "DICOMDIR.PatientID", "0004,1220[0].0010,0020", "(0010,0020)"),
        (b"DIRDESC", "DICOMDIR.StudyDescription", "0004,1220[1].0008,1030", "(0008,1030)"),
    ]:
        marker = p.text(channel_id, "PN" if "Name" in channel_id else "LO", [("dicomdir/DICOMDIR", tag_path)], e11)
        assert data.count(placeholder) == 1 and len(marker) == len(placeholder)
        data = data.replace(placeholder, marker.encode())
    dicomdir.write_bytes(data)
    return ["dicomdir/DICOMDIR", instance_path]


def write_canary_corpus(root: Path) -> CanaryCorpus:
    """Writes the corpus under `root` (created; must not hold anything else the scan should ignore)."""
    root = Path(root)
    root.mkdir(parents=True, exist_ok=True)
    p = _Planter()
    files = [
        _main_file(p, root),
        _implicit_file(p, root),
        _big_endian_file(p, root),
        _deflated_file(p, root),
        _jpeg_file(p, root),
        _sr_file(p, root),
        _command_group_file(p, root),
        *_dicomdir(p, root),
    ]
    markers = [c.marker for c in p.channels]
    assert len(p.channels) < 100, "text markers have two digits"
    assert len({c.id for c in p.channels}) == len(p.channels), "channel ids must be unique"
    for m in markers:
        assert sum(m in other for other in markers) == 1, f"marker {m!r} is not distinct"
    return CanaryCorpus(root, tuple(files), tuple(p.channels))


def _transfer_syntax(data: bytes) -> tuple[bytes, int]:
    """The transfer syntax UID of a Part 10 file and the offset where its data set starts, by walking the
    explicit VR little endian file meta; (b"", 0) for anything else."""
    if data[128:132] != b"DICM":
        return b"", 0
    offset, syntax = 132, b""
    while offset + 8 <= len(data):
        group, elem = struct.unpack_from("<HH", data, offset)
        if group != 0x0002:
            break
        vr = data[offset + 4 : offset + 6]
        if vr in (b"OB", b"OW", b"OF", b"SQ", b"UT", b"UN"):
            length, header = struct.unpack_from("<I", data, offset + 8)[0], 12
        else:
            length, header = struct.unpack_from("<H", data, offset + 6)[0], 8
        if elem == 0x0010:
            syntax = data[offset + header : offset + header + length].rstrip(b"\0 ")
        offset += header + length
    return syntax, offset


def _content_views(data: bytes) -> list[bytes]:
    """The bytes to search: the file itself and, for a deflated data set, its inflated form."""
    syntax, start = _transfer_syntax(data)
    if syntax != DeflatedExplicitVRLittleEndian.encode():
        return [data]
    inflater = zlib.decompressobj(-zlib.MAX_WBITS)
    try:
        inflated = inflater.decompress(data[start:], MAX_INFLATED)
    except zlib.error:
        return [data]
    return [data, inflated]


def find_markers(root: Path, corpus: CanaryCorpus) -> dict[str, list[Hit]]:
    """Every channel whose marker occurs under `root`, with each file or folder holding it: in any byte of
    a file's content (deflated data sets inflated) or in any file or folder name. Channels not found are
    absent from the result."""
    root = Path(root)
    found: dict[str, list[Hit]] = {}

    def record(marker_in: bytes, rel: str, part: str) -> None:
        for channel in corpus.channels:
            if channel.marker in marker_in:
                found.setdefault(channel.id, []).append(Hit(rel, part))

    for dirpath, dirnames, filenames in os.walk(root):
        dirnames.sort()
        base = Path(dirpath)
        for name in dirnames:
            record(os.fsencode(name), (base / name).relative_to(root).as_posix(), "name")
        for name in sorted(filenames):
            path = base / name
            rel = path.relative_to(root).as_posix()
            record(os.fsencode(name), rel, "name")
            if path.is_symlink() or not path.is_file():
                continue
            for view in _content_views(path.read_bytes()):
                record(view, rel, "content")
    return {cid: sorted(set(hits)) for cid, hits in found.items()}


def read_planted(corpus: CanaryCorpus, root: Path | None = None) -> dict[str, list[bytes]]:
    """What pydicom reads at each planted location, per channel (names: the name itself), so a test can
    check that every marker really is the value of the element it was planted in."""
    root = Path(root or corpus.root)
    cache: dict[str, Dataset] = {}
    out: dict[str, list[bytes]] = {}
    for channel in corpus.channels:
        for rel, tag_path in channel.locations:
            if not tag_path:
                assert (root / rel).exists()
                out.setdefault(channel.id, []).append(Path(rel).name.encode().removesuffix(b".dcm"))
                continue
            if rel not in cache:
                cache[rel] = pydicom.dcmread(root / rel)
            out.setdefault(channel.id, []).append(_value_at(cache[rel], tag_path))
    return out


def _value_at(ds: Dataset, tag_path: str) -> bytes:
    """The raw value at `gggg,eeee[i].gggg,eeee` (group 0002 from the file meta), as bytes."""
    node: Dataset = ds
    steps = tag_path.split(".")
    for step in steps[:-1]:
        tag, index = step.rstrip("]").split("[")
        node = node[_tag(tag)].value[int(index)]
    tag = _tag(steps[-1])
    element = (node.file_meta if tag >> 16 == 2 else node)[tag]
    value = element.value
    if isinstance(value, bytes):
        return value
    return str(value).encode("ascii")


def _tag(text: str) -> int:
    group, elem = text.split(",")
    return int(group, 16) << 16 | int(elem, 16)


def survival_report(corpus: CanaryCorpus, found: dict[str, list[Hit]]) -> str:
    """One line per channel: kept or gone, its Table E.1-1 rows, and where its marker was found."""
    lines = [f"{len(found)} of {len(corpus.channels)} channels survive"]
    for channel in corpus.channels:
        hits = found.get(channel.id, [])
        where = ", ".join(f"{hit.path} ({hit.part})" for hit in hits)
        lines.append(f"{'KEPT' if hits else 'gone'}  {channel.id:<58} {channel.e11:<45} {where}")
    return "\n".join(lines)
