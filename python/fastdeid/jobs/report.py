"""What a run did: the report of `run`, `deid test` and `ingest` (a bad file is a failure in it,
never an exception), and how one file's result is counted into it."""

from __future__ import annotations

import os
from dataclasses import dataclass, field

from .._core import FileResult
from .walk import has_dicom_name

NOT_STARTED = "not started"  # the core's reason for files it did not start once the disk was full
# Under the Basic Profile the core refuses files that may show text in their pixels (code
# `burned-in`): they are quarantined, not failed, and a DICOMDIR (code `dicomdir`) is skipped.
BURNED_IN, DICOMDIR = "burned-in", "dicomdir"
DICOMDIR_SKIPPED = "DICOMDIR (its records name patients; not copied)"


@dataclass(frozen=True)
class Failure:
    """A file that produced no output, and why (no patient value is ever included)."""

    path: str
    code: str
    message: str
    offset: int | None
    tag_path: str | None


@dataclass
class Report:
    """What a run did."""

    ok: int = 0
    failed: int = 0
    skipped: int = 0
    not_started: int = 0  # files left for a rerun (the disk filled up, or the run was interrupted)
    bytes_in: int = 0
    bytes_out: int = 0
    seconds: float = 0.0
    threads: int = 0
    failures: list[Failure] = field(default_factory=list)
    skips: list[tuple[str, str]] = field(default_factory=list)
    resumed: int = 0  # outputs already complete from an earlier run (counted in ok)
    stopped: str | None = None  # why the run stopped early: "disk-full" or "interrupted"
    notes: list[str] = field(default_factory=list)  # what the user should know (a capped --jobs, ...)
    warnings: list[tuple[str, str]] = field(default_factory=list)  # (file, "code: message"): repaired inputs
    written: dict[str, str] = field(default_factory=dict)  # what else was written: "deid log" -> path
    # Files not written because they may show burned-in text: (path, reason). The user must look at them.
    quarantined: list[tuple[str, str]] = field(default_factory=list)

    @property
    def files(self) -> int:
        return self.ok + self.failed + self.skipped + self.not_started + len(self.quarantined)

    @property
    def processed(self) -> int:
        """Files this run read and finished (ok or failed), not counting earlier runs' outputs."""
        return self.ok - self.resumed + self.failed

    @property
    def disk_full(self) -> bool:
        """The output disk (or the deid log's) filled up and the run stopped."""
        return self.stopped == "disk-full"

    @property
    def files_per_second(self) -> float:
        return self.processed / self.seconds if self.seconds > 0 else 0.0

    @property
    def mb_per_second(self) -> float:
        return self.bytes_in / 1e6 / self.seconds if self.seconds > 0 else 0.0

    def summary(self) -> str:
        done = f"{self.ok} ok" + (f" ({self.resumed} already done)" if self.resumed else "")
        left = f", {self.not_started} not started" if self.not_started else ""
        held = f", {len(self.quarantined)} quarantined" if self.quarantined else ""
        return (
            f"{done}, {self.failed} failed, {self.skipped} skipped{held}{left}; {self.bytes_in / 1e6:.1f} MB in "
            f"{self.seconds:.2f} s ({self.files_per_second:.0f} files/s, {self.mb_per_second:.1f} MB/s, "
            f"{self.threads} thread{'' if self.threads == 1 else 's'})"
        )


def account(report: Report, r: FileResult, message: str | None = None) -> None:
    """Counts one result into the report; `message` replaces the core's for a failure."""
    if r.status == "ok":
        report.ok += 1
        report.resumed += r.already_done  # an identical output was already there (ingest reruns)
        report.bytes_in += r.bytes_in
        report.bytes_out += r.bytes_out
        report.warnings += [(r.src, w) for w in r.warnings]
    elif r.status == "skipped":
        if (r.message or "").startswith(NOT_STARTED):
            report.not_started += 1
        else:
            report.skipped += 1
            report.skips.append((str(r.src), r.message or ""))
    elif r.code == BURNED_IN:
        report.quarantined.append((str(r.src), r.message or BURNED_IN))
    elif r.code == DICOMDIR:
        report.skipped += 1
        report.skips.append((str(r.src), DICOMDIR_SKIPPED))
    elif r.code == "not-dicom" and not has_dicom_name(os.path.basename(r.src)):
        # README, notes.txt, a JSON sidecar: not a DICOM file that went wrong, just not DICOM.
        report.skipped += 1
        report.skips.append((str(r.src), "not DICOM"))
    elif r.code == "disk-full":
        # Cut short by the full disk, with nothing left behind: the rerun does it (one line says so).
        report.stopped = "disk-full"
        report.not_started += 1
    else:
        report.failed += 1
        report.failures.append(Failure(str(r.src), r.code or "io", message or r.message or "", r.offset, r.tag_path))
