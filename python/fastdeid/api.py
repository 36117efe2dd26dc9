"""In-memory entry points for scripts that hold bytes or a pydicom Dataset."""

from __future__ import annotations

import copy
import os
from io import BytesIO
from typing import TYPE_CHECKING

from ._core import deidentify_bytes as core_deidentify_bytes
from .errors import UsageError
from .profile.load import Profile, load_profile

if TYPE_CHECKING:
    from pydicom.dataset import Dataset
    from pydicom.uid import UID


def _profile(profile: str | os.PathLike[str] | Profile) -> Profile:
    return profile if isinstance(profile, Profile) else load_profile(profile)


def deidentify_bytes(data: bytes, profile: str | os.PathLike[str] | Profile) -> bytes:
    """De-identifies one Part 10 file given as bytes; raises DicomError for a bad file."""
    return core_deidentify_bytes(data, _profile(profile).compiled)


def deidentify_dataset(ds: Dataset, profile: str | os.PathLike[str] | Profile) -> Dataset:
    """De-identifies a pydicom Dataset and returns a new one (the argument is not modified).

    The dataset is written as a Part 10 file, run through the same core as files on disk, and read
    back. Without a Transfer Syntax UID in its file meta, it is written in the encoding it was read
    with, or in explicit VR little endian when it was made in memory.
    """
    from pydicom import dcmread
    from pydicom.dataset import FileMetaDataset

    meta = getattr(ds, "file_meta", None)
    if meta is None or "TransferSyntaxUID" not in meta:
        ds = copy.copy(ds)
        ds.file_meta = FileMetaDataset(meta) if meta is not None else FileMetaDataset()
        ds.file_meta.TransferSyntaxUID = _syntax_read_with(ds)
    buf = BytesIO()
    try:
        ds.save_as(buf, enforce_file_format=True)
    except (ValueError, AttributeError) as exc:
        raise UsageError(f"deidentify_dataset: the Dataset cannot be written as a DICOM file: {exc}") from None
    return dcmread(BytesIO(deidentify_bytes(buf.getvalue(), profile)))


def _syntax_read_with(ds: Dataset) -> UID:
    from pydicom.uid import ExplicitVRBigEndian, ExplicitVRLittleEndian, ImplicitVRLittleEndian

    implicit, little = ds.original_encoding
    if implicit:
        return ImplicitVRLittleEndian
    if little is False:
        return ExplicitVRBigEndian
    return ExplicitVRLittleEndian
