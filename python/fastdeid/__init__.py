"""fastdeid: fast, Flywheel-compatible DICOM de-identification.

import fastdeid
report = fastdeid.run("incoming/", "deidentified/", "minimal", jobs=0)
print(report.summary())
"""

from __future__ import annotations

from .api import deidentify_bytes, deidentify_dataset
from .errors import DicomError, FastdeidError, ProfileError, UsageError
from .profile import Profile, load_profile
from .runner import Failure, Report, run

__all__ = [
    "DicomError",
    "Failure",
    "FastdeidError",
    "Profile",
    "ProfileError",
    "Report",
    "UsageError",
    "deidentify_bytes",
    "deidentify_dataset",
    "load_profile",
    "run",
]
__version__ = "0.1.0"
