"""`fastdeid run SRC DST`: a file or a tree de-identified into a folder (jobs/runner.py), or into an
archive's outbox and sent (cli/net.py)."""

from __future__ import annotations

import argparse
import contextlib
import sys

from ..errors import UsageError
from ..jobs.destination import is_network
from ..jobs.progress import Progress
from ..jobs.runner import run
from ..jobs.walk import Filters
from ..profile import builtin
from .options import (
    Commands,
    basic_options,
    dask_client,
    dask_option,
    filter_options,
    jobs_option,
    profile_from_args,
    quiet_option,
)
from .report import finish


def add_to(sub: Commands) -> None:
    """`run`."""
    p = sub.add_parser("run", help="de-identify a file or a tree of files into DST")
    p.add_argument("src", help="input file or folder (never modified)")
    p.add_argument(
        "dst",
        help="output folder (mirrors SRC; a rerun resumes) or, for a single input file, an output file name "
        "(never overwritten) or a folder (ends with /)",
    )
    group = p.add_mutually_exclusive_group()
    group.add_argument(
        "--profile",
        default=None,
        help="profile file (.yaml/.json) or built-in name ("
        + ", ".join(builtin.names())
        + "); required: `--profile none` copies files unchanged",
    )
    group.add_argument("--de-identify", action="store_true", help="shorthand for --profile minimal")
    jobs_option(p)
    filter_options(p)
    p.add_argument("--force", action="store_true", help="redo every file, also those a previous run finished")
    p.add_argument(
        "--no-fsync",
        action="store_true",
        help="do not fsync outputs before renaming them into place (faster, less safe)",
    )
    p.add_argument(
        "--accept-no-meta",
        action="store_true",
        help="also read bare data sets without preamble and file meta, when one encoding parses them strictly",
    )
    p.add_argument(
        "--name-by-uid",
        action="store_true",
        help="name outputs <SOPInstanceUID>.<Modality>.dcm from the de-identified values instead of keeping input names"
        " (under the Basic Profile outputs are always named by UID, folders included, unless --keep-names)",
    )
    p.add_argument(
        "--keep-names",
        action="store_true",
        help="UNSAFE under the Basic Profile: keep the input's file and folder names, which often carry patient"
        " names or IDs (by default basic names outputs <StudyInstanceUID>/<SeriesInstanceUID>/<SOPInstanceUID>.dcm)",
    )
    p.add_argument(
        "--quarantine-report",
        metavar="PATH",
        help="write the files quarantined for possible burned-in text to this CSV (path,code,reason; mode 0600;"
        " outside DST)",
    )
    p.add_argument(
        "--outbox",
        default=None,
        help="DST dicom://AET@host:port or dicomweb+http(s)://host:port/path: where files wait until the archive "
        "acknowledged them (default ~/.cache/fastdeid/outbox/...)",
    )
    basic_options(p)
    quiet_option(p)
    p.set_defaults(handler=_cmd_run)

    p.add_argument(
        "--deid-log",
        default=None,
        help="write the log of original and new values here (overrides the profile's deid-log)",
    )
    dask_option(p)


def _cmd_run(args: argparse.Namespace) -> int:
    if not args.de_identify and args.profile is None:
        raise UsageError(
            "run needs --profile: a profile file, or one of the built-in profiles "
            + ", ".join(builtin.names())
            + " (`--profile none` copies files unchanged)"
        )
    profile_name = "minimal" if args.de_identify else args.profile
    profile = profile_from_args(args, profile_name)
    if profile_name == "none":
        print("warning: --profile none: files are copied without de-identification", file=sys.stderr)
    if is_network(args.dst):  # a DICOM or DICOMweb archive: through an outbox (docs/network.md)
        from .net import run_to_archive

        return run_to_archive(args, profile)
    scope = contextlib.ExitStack()  # --dask: the cluster's client (and a local cluster) for the run
    client = scope.enter_context(dask_client(args.dask))
    progress = Progress.for_terminal(args.quiet)
    try:
        report = run(
            args.src,
            args.dst,
            profile,
            args.jobs,
            fsync=not args.no_fsync,
            progress=progress.update,
            on_plan=progress.planned,
            deid_log=args.deid_log,
            accept_no_meta=args.accept_no_meta,
            name_by_uid=args.name_by_uid,
            keep_names=args.keep_names,
            quarantine_report=args.quarantine_report,
            filters=Filters(tuple(args.include), tuple(args.exclude)),
            force=args.force,
            client=client,
        )
    finally:
        progress.close()
        scope.close()
    return finish(report)
