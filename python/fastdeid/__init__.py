"""fastdeid: fast, Flywheel-compatible DICOM de-identification.

import fastdeid
report = fastdeid.run("incoming/", "deidentified/", "minimal", jobs=0)
print(report.summary())

results = fastdeid.process(fastdeid.Job(["a.dcm", fastdeid.Input(data=blob, name="b.dcm")], "minimal", "out/"))
"""

from __future__ import annotations

from ._core import FileResult
from .api import deidentify_bytes, deidentify_dataset
from .errors import DicomError, FastdeidError, ProfileError, UsageError
from .jobs.job import Input, Job, process
from .jobs.naming import Hierarchy
from .jobs.report import Failure, Report
from .jobs.runner import RunOptions, run
from .profile.load import Profile, load_profile
from .version import VERSION

__all__ = [
    "DicomError",
    "Failure",
    "FastdeidError",
    "FileResult",
    "Hierarchy",
    "Input",
    "Job",
    "Profile",
    "ProfileError",
    "Report",
    "RunOptions",
    "UsageError",
    "deidentify_bytes",
    "deidentify_dataset",
    "load_profile",
    "process",
    "run",
]
__version__ = VERSION
