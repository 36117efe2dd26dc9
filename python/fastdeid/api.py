"""In-memory entry points for scripts that hold bytes or a pydicom Dataset."""

from __future__ import annotations

import os
from io import BytesIO
from typing import TYPE_CHECKING

from . import _core
from .profile import Profile, load_profile

if TYPE_CHECKING:
    from pydicom.dataset import Dataset


def _profile(profile: str | os.PathLike[str] | Profile) -> Profile:
    return profile if isinstance(profile, Profile) else load_profile(profile)


def deidentify_bytes(data: bytes, profile: str | os.PathLike[str] | Profile) -> bytes:
    """De-identifies one Part 10 file given as bytes; raises DicomError for a bad file."""
    return _core.deidentify_bytes(data, _profile(profile).compiled)


def deidentify_dataset(ds: Dataset, profile: str | os.PathLike[str] | Profile) -> Dataset:
    """De-identifies a pydicom Dataset and returns a new one (the argument is not modified).

    The dataset is written as a Part 10 file (it needs file meta with a transfer syntax), run through
    the same core as files on disk, and read back.
    """
    from pydicom import dcmread

    buf = BytesIO()
    ds.save_as(buf, enforce_file_format=True)
    return dcmread(BytesIO(deidentify_bytes(buf.getvalue(), profile)))
