"""The commands beside the job front ends: `bench` (bench.py), `key new` (profile/keys.py), `dump` (a
file's header as text), `demo` (a synthetic tree, de-identified) and `verify` (verify.py)."""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

from .._core import dump, dump_partial
from ..errors import DicomError, UsageError
from ..jobs.runner import run
from ..profile.load import load_profile, require_key
from .options import Commands, jobs_option, positive
from .report import EXIT_FILES_FAILED, EXIT_OK, print_report


def add_to(sub: Commands) -> None:
    """`bench`, `key new`, `dump`, `demo` and `verify`."""
    p = sub.add_parser("bench", help="measure fastdeid against a plain copy on a generated archive")
    p.add_argument("--size", type=positive, default=500, help="archive size in MB (default 500)")
    jobs_option(p)
    p.add_argument("--profile", default=None, help="profile (default: the built-in bench profile)")
    p.add_argument("--rounds", type=positive, default=3, help="timed rounds of each side (default 3)")
    p.add_argument("--workdir", default=None, help="where the archive and outputs go (default: a cache folder)")
    p.add_argument("--no-log", action="store_true", help="without the deid log")
    p.add_argument(
        "--dask",
        metavar="local:N",
        default=None,
        help="also run on a local Dask cluster of N worker processes, next to --jobs N in the same rounds",
    )
    p.set_defaults(handler=_cmd_bench)

    p = sub.add_parser("key", help="make the secret key of keyed pseudonyms, UIDs and date shifts")
    ksub = p.add_subparsers(dest="key_command", required=True)
    q = ksub.add_parser("new", help="write a new random key file (mode 0600; never overwrites)")
    q.add_argument(
        "path", help="the new key file; keep it outside the data and share it only with who may re-link data"
    )
    q.set_defaults(handler=_cmd_key_new)

    p = sub.add_parser("dump", help="print a file's header, as a person reads it")
    p.add_argument("file", help="a DICOM file (also gzip-compressed)")
    p.add_argument("--max-text", type=int, default=64, help="longest text value shown in full")
    p.add_argument(
        "--accept-no-meta",
        action="store_true",
        help="also read a bare data set without preamble and file meta, when one encoding parses it strictly",
    )
    p.set_defaults(handler=_cmd_dump)

    p = sub.add_parser("demo", help="write a small synthetic example tree with fake PHI and de-identify it")
    p.add_argument(
        "dir", nargs="?", default=None, help="where to put example/ and deidentified/ (default: a temp folder)"
    )
    p.set_defaults(handler=_cmd_demo)

    p = sub.add_parser("verify", help="check de-identified outputs: required actions, identifying strings, VR validity")
    p.add_argument("out", help="the de-identified file or folder to check (every file under it)")
    p.add_argument(
        "--against", metavar="SRC", help="the inputs: also search each output for its input's identifying strings"
    )
    p.add_argument("--profile", help="the profile the outputs were made with (basic's options apply; default: basic)")
    p.add_argument("--option", action="append", default=[], help="a Basic Profile option the outputs used (repeatable)")
    p.add_argument("--report", metavar="FILE", help="write every finding to FILE.csv or FILE.json")
    jobs_option(p)
    p.set_defaults(handler=_cmd_verify)


def _cmd_bench(args: argparse.Namespace) -> int:
    from ..bench import bench

    jobs = args.jobs
    if args.dask is not None:
        # Only a local cluster shares this machine with `--jobs N`, which is the comparison.
        count = args.dask.removeprefix("local:")
        if not args.dask.startswith("local:") or not count.isdigit() or int(count) < 1:
            raise UsageError(f"bench --dask {args.dask}: takes local:N, a local cluster of N worker processes")
        if jobs not in (0, int(count)):
            raise UsageError(f"bench --dask {args.dask} runs next to --jobs {count}; leave out --jobs {jobs}")
        jobs = int(count)
    if args.profile is not None:
        require_key(load_profile(args.profile))  # a bad profile or a missing key stops before the archive is made
    workdir = Path(args.workdir) if args.workdir else Path.home() / ".cache" / "fastdeid-bench"
    workdir.mkdir(parents=True, exist_ok=True)
    print(bench(args.size, jobs, args.profile, args.rounds, workdir, not args.no_log, args.dask))
    return EXIT_OK


def _cmd_key_new(args: argparse.Namespace) -> int:
    from ..profile.keys import new_key

    path = new_key(args.path)
    print(f"wrote a new key to {path} (mode 0600); the same key gives the same pseudonyms in every run")
    return EXIT_OK


def _cmd_dump(args: argparse.Namespace) -> int:
    if not args.file:
        raise UsageError("dump needs a file name")
    path = Path(args.file)
    if path.is_dir():
        raise UsageError(f"{args.file}: io: is a folder; dump lists one file")
    if not path.exists():
        raise UsageError(f"{args.file}: io: no such file")
    # A damaged file is listed as far as it parses, then its error is reported (exit 1).
    text, exc = dump_partial(path, args.max_text, args.accept_no_meta)
    print(text, end="")
    if isinstance(exc, DicomError):
        sys.stdout.flush()
        raise DicomError(f"{args.file}: {exc}", exc.code, exc.offset, exc.tag_path)
    if exc is not None:
        raise exc
    return EXIT_OK


def _cmd_demo(args: argparse.Namespace) -> int:
    from ..synth import write_example_tree

    base = Path(args.dir) if args.dir else Path(tempfile.mkdtemp(prefix="fastdeid-demo-"))
    src, dst = base / "example", base / "deidentified"
    files = write_example_tree(src)
    print(f"wrote {len(files)} synthetic DICOM files with fake patient data under {src}")
    report = run(src, dst, "minimal")
    print_report(report)
    sample = files[0].relative_to(src)
    before = [line for line in dump(src / sample).splitlines() if "(0010," in line]
    after = [line for line in dump(dst / sample).splitlines() if "(0010," in line]
    print(f"\npatient elements of {sample} before:")
    print("\n".join(before))
    print("after (profile minimal: PatientName, PatientID, PatientBirthDate removed):")
    print("\n".join(after))
    print(f"\nde-identified tree: {dst}")
    # What the example shows on purpose: a Flywheel-style profile removes only what it names.
    print(
        "note: minimal changes only the elements it names (the MRN in OtherPatientIDsSequence above is still "
        "there); --profile basic applies the DICOM PS3.15 Basic Profile to every element (README, "
        '"Choosing a profile")'
    )
    return EXIT_FILES_FAILED if report.failed else EXIT_OK


def _cmd_verify(args: argparse.Namespace) -> int:
    from ..verify import SHOWN, check_report_path, verify, write_report

    check_report_path(args.report)
    report = verify(args.out, args.against, args.profile, tuple(args.option), args.jobs)
    for finding in report.findings[:SHOWN]:
        print(finding.line())
    if len(report.findings) > SHOWN:
        print(f"... and {len(report.findings) - SHOWN} more" + (f" (all in {args.report})" if args.report else ""))
    if args.report:
        write_report(report, args.report)
    print(report.summary())
    return EXIT_FILES_FAILED if report.findings else EXIT_OK
