"""`fastdeid deid test SRC PROFILE DST`: a profile tried on sample files, as `fw deid test` does.

The DICOM files under SRC (by name, as the reference picks them) are de-identified into DST, and
DST/deid_log.csv is written; each test starts a fresh log and replaces the previous test's files
(no resuming). With `log_only` the outputs go to a temporary folder, removed afterwards.
"""

from __future__ import annotations

import dataclasses
import fnmatch
import shutil
import tempfile
from pathlib import Path

from ..errors import UsageError
from ..profile.load import Profile
from .deid_log import CLI
from .plan import plan
from .progress import Progress
from .report import Report
from .runner import run

# `fw deid test` looks at these names only (case-sensitive, as the reference does); gzip-compressed
# ones are read too.
DEID_TEST_PATTERNS = ("*.dcm", "*.dicom", "*.ima", "*.dcm.gz", "*.dicom.gz", "*.ima.gz")
LOG_NAME = "deid_log.csv"


def sample_folder(src: str | Path) -> Path:
    """SRC, which must be a folder of sample files."""
    folder = Path(src)
    if not folder.is_dir():
        raise UsageError(f"{folder}: not a folder")
    return folder


def try_profile(
    src: Path, dst: Path, profile: Profile, *, jobs: int = 0, log_only: bool = False, progress: Progress | None = None
) -> Report:
    """De-identifies the sample files under SRC into DST (or, with `log_only`, nowhere) and writes
    DST/deid_log.csv; files with other names, and dot entries, are skipped and counted."""
    src = sample_folder(src)
    profile = dataclasses.replace(profile, deid_log=None, name="custom")
    out = Path(tempfile.mkdtemp(prefix="fastdeid-deid-test-")) if log_only else dst
    try:
        found = plan(src, out)  # refuses DST inside SRC before anything is created
        pairs, other = [], []
        for s, d in found.pairs:
            rel = Path(s).relative_to(src)
            if any(part.startswith(".") for part in rel.parts):
                continue
            if any(fnmatch.fnmatchcase(rel.name, pat) for pat in DEID_TEST_PATTERNS):
                pairs.append((s, d))
            else:
                other.append(s)
        dst.mkdir(parents=True, exist_ok=True)
        (dst / LOG_NAME).unlink(missing_ok=True)
        report = run(
            src,
            out,
            profile,
            jobs,
            fsync=False,
            deid_log=dst / LOG_NAME,
            log_flavour=CLI,
            pairs=pairs,
            log_in_output=True,
            resume=False,
            progress=None if progress is None else progress.update,
            on_plan=None if progress is None else progress.planned,
        )
    finally:
        if log_only:
            shutil.rmtree(out, ignore_errors=True)
    report.skipped += len(other)
    if other:
        report.notes.append(
            f"{len(other)} file(s) skipped: their names are not *.dcm, *.dicom or *.ima (optionally .gz), "
            "which is what deid test reads"
        )
    if not log_only:
        report.written["de-identified files"] = str(dst)
    return report
