"""Synthetic DICOM files with fake patient data, for the demo, the tests and the benchmarks.

Every name, date and identifier here is invented. Files are deterministic for given arguments.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.sequence import Sequence
from pydicom.uid import UID, ExplicitVRLittleEndian, ImplicitVRLittleEndian

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
    sop_class = UID("1.2.840.10008.5.1.4.1.1.4" if modality == "MR" else "1.2.840.10008.5.1.4.1.1.2")
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


def write_example_tree(
    root: str | Path, patients: int = 2, studies: int = 1, series: int = 2, instances: int = 3
) -> list[Path]:
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


def _filler_elements(count: int) -> list[tuple[int, str, object]]:
    """Deterministic acquisition-style elements (groups 0018, 0020, 0028) to give headers a
    realistic size; their values carry no identity."""
    from pydicom.datadict import DicomDictionary  # type: ignore[attr-defined]  # public, but not in __all__

    values = {"DS": "1.5", "IS": "3", "CS": "YES", "LO": "value", "SH": "SH1", "US": 1, "FD": 2.5, "FL": 1.25, "UL": 7}
    picked = []
    for tag in sorted(DicomDictionary):
        vr, vm, _name, retired, keyword = DicomDictionary[tag]
        if tag >> 16 in (0x0018, 0x0020, 0x0028) and vr in values and vm == "1" and not retired and keyword:
            picked.append((tag, vr, values[vr]))
    step = max(1, len(picked) // count)
    return picked[::step][:count]


FILLER = None


def make_archive_object(kind: str, patient: int, study: int, series: int, instance: int, implicit: bool) -> Dataset:
    """One object of the benchmark archive: kind is MR (256x256), CT (512x512), SR, SC or
    ENHANCED (a multi-frame MR of about 40 MB)."""
    global FILLER
    if FILLER is None:
        FILLER = _filler_elements(110)
    rows, frames = {"MR": (256, 1), "CT": (512, 1), "SR": (0, 0), "SC": (128, 1), "ENHANCED": (256, 300)}[kind]
    ds = make_dataset(
        patient,
        study,
        series,
        instance,
        modality="CT" if kind == "CT" else "MR",
        rows=max(rows, 1),
        columns=max(rows, 1),
        implicit=implicit,
    )
    existing = {int(e.tag) for e in ds}
    for tag, vr, value in FILLER:
        if tag not in existing and tag != 0x00280008:
            ds.add_new(tag, vr, value)
    if kind == "SR":
        del ds.PixelData
        for kw in (
            "Rows",
            "Columns",
            "BitsAllocated",
            "BitsStored",
            "HighBit",
            "PixelRepresentation",
            "SamplesPerPixel",
            "PhotometricInterpretation",
        ):
            if kw in ds:
                delattr(ds, kw)
        ds.Modality = "SR"
        ds.SOPClassUID = ds.file_meta.MediaStorageSOPClassUID = UID("1.2.840.10008.5.1.4.1.1.88.11")
        ds.ContentSequence = Sequence([Dataset()])
        ds.ContentSequence[0].TextValue = f"Report for {ds.PatientName}: no findings."
    elif kind == "ENHANCED":
        ds.NumberOfFrames = frames
        ds.PixelData = _pixels(rows * rows * 2 * frames, str(ds.SOPInstanceUID))
    return ds


def write_archive(root: str | Path, size_mb: int = 200) -> list[Path]:
    """A deterministic mixed archive of about size_mb MB: per patient one study with an MR series
    (20 slices), a CT series (8 slices), a secondary capture and a structured report; every fifth
    patient adds an enhanced multi-frame object; one series in ten is implicit VR."""
    root = Path(root)
    written: list[Path] = []
    per_patient_mb = 2.6 + 4.2 + 0.1 + 8.0  # MR + CT + SC/SR + a fifth of a 40 MB enhanced object
    for p in range(max(1, round(size_mb / per_patient_mb))):
        plan = [("MR", 20), ("CT", 8), ("SC", 1), ("SR", 1)] + ([("ENHANCED", 1)] if p % 5 == 4 else [])
        for series, (kind, count) in enumerate(plan):
            folder = root / f"patient{p:04d}" / "study0" / f"series{series}_{kind}"
            folder.mkdir(parents=True, exist_ok=True)
            for i in range(count):
                path = folder / f"{i:04d}.dcm"
                if not path.exists():
                    implicit = (p * 7 + series) % 10 == 0
                    make_archive_object(kind, p, 0, series, i, implicit).save_as(path, enforce_file_format=True)
                written.append(path)
    return written
