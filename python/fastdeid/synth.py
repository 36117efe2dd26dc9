"""Synthetic DICOM files with fake patient data, for the demo, the tests and the benchmarks.

Every name, date and identifier here is invented. Files are deterministic for given arguments.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.sequence import Sequence
from pydicom.uid import ExplicitVRLittleEndian, ImplicitVRLittleEndian, UID

FAKE_NAMES = ["Doe^Jane", "Roe^Richard", "Public^John^Q", "Mustermann^Erika", "Nobody^Nina"]
UID_ROOT = "2.25."  # UUID-derived UIDs (PS3.5 B.2): no organisation root is claimed


def fake_uid(*parts: object) -> UID:
    """A deterministic, valid UID derived from the parts."""
    digest = hashlib.sha256("/".join(map(str, parts)).encode()).digest()[:16]
    return UID(UID_ROOT + str(int.from_bytes(digest, "big")))


def make_dataset(
    patient: int = 0,
    study: int = 0,
    series: int = 0,
    instance: int = 0,
    *,
    modality: str = "MR",
    rows: int = 64,
    columns: int = 64,
    implicit: bool = False,
) -> Dataset:
    """One image object with planted fake PHI in names, dates, UIDs, a nested sequence and a private block."""
    sop_class = "1.2.840.10008.5.1.4.1.1.4" if modality == "MR" else "1.2.840.10008.5.1.4.1.1.2"
    sop_uid = fake_uid("sop", patient, study, series, instance)
    meta = FileMetaDataset()
    meta.MediaStorageSOPClassUID = sop_class
    meta.MediaStorageSOPInstanceUID = sop_uid
    meta.TransferSyntaxUID = ImplicitVRLittleEndian if implicit else ExplicitVRLittleEndian
    meta.ImplementationClassUID = fake_uid("fastdeid-synth")

    ds = Dataset()
    ds.file_meta = meta
    ds.SpecificCharacterSet = "ISO_IR 100"
    ds.ImageType = ["ORIGINAL", "PRIMARY"]
    ds.SOPClassUID = sop_class
    ds.SOPInstanceUID = sop_uid
    day = f"{2020 + patient % 5}{(study % 12) + 1:02d}{(patient * 7 + study) % 28 + 1:02d}"
    ds.StudyDate = ds.SeriesDate = ds.AcquisitionDate = ds.ContentDate = day
    ds.StudyTime = ds.SeriesTime = "101530.250000"
    ds.AccessionNumber = f"ACC-{patient:04d}{study:02d}"
    ds.Modality = modality
    ds.Manufacturer = "SynthCorp"
    ds.InstitutionName = "General Hospital of Nowhere"
    ds.ReferringPhysicianName = "House^Gregory"
    ds.StationName = f"STATION{series}"
    ds.StudyDescription = "Brain study"
    ds.SeriesDescription = f"T1w series {series}"
    ds.PatientName = FAKE_NAMES[patient % len(FAKE_NAMES)]
    ds.PatientID = f"PID{patient:06d}"
    ds.PatientBirthDate = f"{1950 + patient % 40}0{(patient % 9) + 1}15"
    ds.PatientSex = "F" if patient % 2 else "M"
    ds.PatientAge = f"{(patient % 40) + 30:03d}Y"
    ds.PatientWeight = "72.5"
    other = Dataset()
    other.PatientID = f"MRN-{patient:06d}"
    other.IssuerOfPatientID = "General Hospital of Nowhere"
    ds.OtherPatientIDsSequence = Sequence([other])
    ref = Dataset()
    ref.ReferencedSOPClassUID = "1.2.840.10008.3.1.2.3.1"
    ref.ReferencedSOPInstanceUID = fake_uid("study", patient, study)
    ds.ReferencedStudySequence = Sequence([ref])
    ds.StudyInstanceUID = fake_uid("study", patient, study)
    ds.SeriesInstanceUID = fake_uid("series", patient, study, series)
    ds.FrameOfReferenceUID = fake_uid("for", patient, study)
    ds.StudyID = f"S{study}"
    ds.SeriesNumber = series + 1
    ds.InstanceNumber = instance + 1
    block = ds.private_block(0x0009, "FASTDEID SYNTH", create=True)
    block.add_new(0x01, "LO", f"{FAKE_NAMES[patient % len(FAKE_NAMES)]} private copy")
    ds.SamplesPerPixel = 1
    ds.PhotometricInterpretation = "MONOCHROME2"
    ds.Rows = rows
    ds.Columns = columns
    ds.BitsAllocated = 16
    ds.BitsStored = 12
    ds.HighBit = 11
    ds.PixelRepresentation = 0
    ds.PixelData = _pixels(rows * columns * 2, sop_uid)
    return ds


def _pixels(size: int, seed: str) -> bytes:
    block = hashlib.sha256(seed.encode()).digest()
    return (block * (size // len(block) + 1))[:size]


def write_example_tree(root: str | Path, patients: int = 2, studies: int = 1, series: int = 2, instances: int = 3) -> list[Path]:
    """Writes patient/study/series/instance.dcm files under root; some series are implicit VR."""
    written = []
    for p in range(patients):
        for st in range(studies):
            for se in range(series):
                folder = Path(root) / f"patient{p}" / f"study{st}" / f"series{se}"
                folder.mkdir(parents=True, exist_ok=True)
                for i in range(instances):
                    ds = make_dataset(p, st, se, i, implicit=((p + se) % 3 == 2))
                    path = folder / f"{i:04d}.dcm"
                    ds.save_as(path, enforce_file_format=True)
                    written.append(path)
    return written
