"""`fastdeid profile validate --enhanced [DIR]`: a profile applied, in memory, to every file under a
folder of DICOM files (by default pydicom's test files), to find the files it fails on.

The reference's validate(enhanced=True) runs the profile over pydicom's test files, writing into
their folder (E27); this reads them and writes nothing. A file that does not parse even with the
`none` profile is not the profile's fault and is only counted.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from .._core import deidentify_bytes
from ..errors import DicomError
from .load import Profile, load_profile


@dataclass
class Trial:
    """What the profile did to the files under `root`: `failures` are `path: message` lines."""

    root: Path
    applied: int = 0
    unreadable: int = 0
    failures: list[str] = field(default_factory=list)


def sample_folder(folder: str) -> Path:
    """The folder given, or pydicom's test files when none was given (an empty string)."""
    if folder:
        return Path(folder)
    import pydicom

    return Path(pydicom.__file__).parent / "data" / "test_files"


def try_on_files(profile: Profile, root: Path) -> Trial:
    """Applies PROFILE to every file under ROOT, in memory, in name order."""
    keep_all = load_profile("none")
    trial = Trial(root)
    for path in sorted(p for p in root.rglob("*") if p.is_file()):
        data = path.read_bytes()
        try:
            deidentify_bytes(data, keep_all.compiled)
        except DicomError:
            trial.unreadable += 1
            continue
        try:
            deidentify_bytes(data, profile.compiled)
            trial.applied += 1
        except DicomError as exc:
            trial.failures.append(f"{path}: {exc}")
    return trial
