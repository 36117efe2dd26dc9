"""A job's report on the terminal, and the command line's exit codes: 0 done, 1 some files failed
(or were quarantined), 2 a usage or setup error, 3 the output disk is full, 130 interrupted."""

from __future__ import annotations

import sys

from ..jobs.report import Report

EXIT_OK, EXIT_FILES_FAILED, EXIT_USAGE, EXIT_DISK_FULL, EXIT_INTERRUPTED = 0, 1, 2, 3, 130


def finish(report: Report) -> int:
    """Prints the report and returns the exit code."""
    print_report(report)
    if report.disk_full:
        print("fastdeid: the output disk is full; free space and run the same command again to finish", file=sys.stderr)
        return EXIT_DISK_FULL
    if report.stopped == "interrupted":
        print("fastdeid: interrupted; run the same command again to finish (finished files are kept)", file=sys.stderr)
        return EXIT_INTERRUPTED
    # A quarantined file was not written and may hold burned-in text: the user must look at it.
    return EXIT_FILES_FAILED if report.failed or report.quarantined else EXIT_OK


def print_report(report: Report) -> None:
    for note in report.notes:
        print(f"note: {note}", file=sys.stderr)
    for path, warning in report.warnings:
        print(f"warning: {path}: {warning}", file=sys.stderr)
    for f in report.failures:
        print(f"error: {f.path}: {f.message}", file=sys.stderr)
    for path, why in report.quarantined:
        print(f"quarantined: {path}: {why}", file=sys.stderr)
    for path, why in report.skips:
        print(f"skipped: {path}: {why}", file=sys.stderr)
    print(report.summary())
    for what, path in report.written.items():
        print(f"{what}: {path}")
