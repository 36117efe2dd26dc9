"""`fastdeid profile list|validate|coverage`: the built-in profiles, a profile file checked (and,
with --enhanced, tried on sample files: profile/enhanced.py), the elements a profile leaves alone
(profile/coverage.py)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from ..errors import UsageError
from ..profile import builtin
from ..profile.load import load_profile
from .options import Commands, basic_options, profile_from_args
from .report import EXIT_FILES_FAILED, EXIT_OK


def add_to(sub: Commands) -> None:
    """`profile list`, `profile validate` and `profile coverage`."""
    p = sub.add_parser("profile", help="list built-in profiles or validate a profile file")
    psub = p.add_subparsers(dest="profile_command", required=True)
    q = psub.add_parser("list", help="show the built-in profiles")
    q.set_defaults(handler=_cmd_profile_list)
    q = psub.add_parser("validate", help="check a profile file and report every problem")
    q.add_argument("file", help="the profile file (.yaml, .yml or .json)")
    q.add_argument(
        "--enhanced",
        nargs="?",
        const="",
        metavar="DIR",
        help="also apply it, in memory, to every DICOM file under DIR (default: pydicom's test files) and report the files it fails on",
    )
    basic_options(q)
    q.set_defaults(handler=_cmd_profile_validate)
    q = psub.add_parser("coverage", help="list the elements of a sample that a profile neither changes nor keeps")
    q.add_argument("profile", help="profile file or built-in name")
    q.add_argument("sample", help="a folder (or file) of DICOM files typical of the data")
    q.set_defaults(handler=_cmd_profile_coverage)


def _cmd_profile_list(args: argparse.Namespace) -> int:
    for name in builtin.names():
        prof = load_profile(name)
        print(f"{name:<12} {prof.description}")
    return EXIT_OK


def _cmd_profile_validate(args: argparse.Namespace) -> int:
    if args.enhanced and not Path(args.enhanced).is_dir():
        raise UsageError(f"{args.enhanced}: no such folder (--enhanced takes a folder of DICOM files)")
    prof = profile_from_args(args, Path(args.file), for_run=args.enhanced is not None)
    print(f"{args.file}: valid profile {prof.name!r} with {len(prof.rules)} field rule(s)")
    if args.enhanced is None:
        return EXIT_OK
    from ..profile.enhanced import sample_folder, try_on_files

    trial = try_on_files(prof, sample_folder(args.enhanced))
    for line in trial.failures:
        print(f"fails on {line}", file=sys.stderr)
    print(
        f"applied to {trial.applied} file(s) under {trial.root}; failed on {len(trial.failures)}; "
        f"{trial.unreadable} not readable DICOM"
    )
    return EXIT_FILES_FAILED if trial.failures else EXIT_OK


def _cmd_profile_coverage(args: argparse.Namespace) -> int:
    from ..profile.coverage import coverage

    print("\n".join(coverage(args.profile, args.sample).lines()))
    return EXIT_OK
