"""`fastdeid deid test SRC PROFILE DST` (a profile tried on sample files, jobs/trial.py) and
`fastdeid deid create PATH` (a commented starter profile)."""

from __future__ import annotations

import argparse
from pathlib import Path

from ..jobs.progress import Progress
from ..profile import builtin
from .options import Commands, basic_options, jobs_option, profile_from_args, quiet_option
from .report import EXIT_OK, finish


def add_to(sub: Commands) -> None:
    """`deid test` and `deid create`."""
    deid = sub.add_parser("deid", help="try a profile on sample files, or write a starter profile")
    dsub = deid.add_subparsers(dest="deid_command", required=True)
    q = dsub.add_parser("test", help="de-identify the DICOM files under SRC into DST and write DST/deid_log.csv")
    q.add_argument("src", help="folder of sample files (never modified); *.dcm, *.dicom, *.ima, also gzip-compressed")
    q.add_argument("profile", help="profile file or built-in name")
    q.add_argument("dst", help="output folder, created if missing; its previous test results are replaced")
    q.add_argument("--subject", help="subject label (accepted for compatibility; outputs mirror SRC)")
    q.add_argument("--session", help="session label (accepted for compatibility; outputs mirror SRC)")
    q.add_argument("--log-only", action="store_true", help="write only the log, as `fw deid test` does")
    jobs_option(q)
    basic_options(q)
    quiet_option(q)
    q.set_defaults(handler=_cmd_deid_test)
    q = dsub.add_parser("create", help="write a commented starter profile")
    q.add_argument("path", help="the new profile file (.yaml); its deid log defaults to deid_log.csv beside it")
    q.set_defaults(handler=_cmd_deid_create)


def _cmd_deid_test(args: argparse.Namespace) -> int:
    from ..jobs.trial import sample_folder, try_profile

    src = sample_folder(args.src)  # before the profile is loaded
    profile = profile_from_args(args, args.profile)
    progress = Progress.for_terminal(args.quiet, "testing")
    try:
        report = try_profile(
            src,
            Path(args.dst),
            profile,
            jobs=args.jobs,
            log_only=args.log_only,
            progress=progress,
        )
    finally:
        progress.close()
    return finish(report)


def _cmd_deid_create(args: argparse.Namespace) -> int:
    path = Path(args.path)
    builtin.write_starter(path)
    print(f"wrote {path}; edit it, then run: fastdeid profile validate {path}")
    return EXIT_OK
