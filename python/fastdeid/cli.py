"""The `fastdeid` command line."""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
import tempfile
from pathlib import Path
from typing import Any, NoReturn

from . import _core
from .errors import DicomError, ProfileError, UsageError
from .jobs.progress import Progress
from .jobs.report import Report
from .jobs.runner import run
from .jobs.walk import Filters
from .net.options import ae_title, tcp_port
from .net.url import is_network
from .profile import builtin
from .profile.basic import BASIC_OPTIONS, BasicOverrides
from .profile.load import Profile, load_profile, require_key
from .version import VERSION

EXIT_OK, EXIT_FILES_FAILED, EXIT_USAGE, EXIT_DISK_FULL, EXIT_INTERRUPTED = 0, 1, 2, 3, 130


class _Parser(argparse.ArgumentParser):
    """Argument errors on one line, like every other error, naming the (sub)command: the usage is
    one `--help` away. Subcommand parsers are made of the same class."""

    def error(self, message: str) -> NoReturn:
        self.exit(EXIT_USAGE, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


def main(argv: list[str] | None = None) -> int:
    parser = _parser()
    args, extra = parser.parse_known_args(argv)
    if extra:
        # Reported by the subcommand, not by the top level (which would not say which command).
        command = " ".join(
            str(v) for k, v in vars(args).items() if (k == "command" or k.endswith("_command")) and v is not None
        )
        prog = f"fastdeid {command}".strip()
        print(f"{prog}: error: unrecognized arguments: {' '.join(extra)} (see {prog} --help)", file=sys.stderr)
        return EXIT_USAGE
    try:
        return int(args.handler(args))
    except (ProfileError, UsageError) as exc:
        print(f"fastdeid: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except OSError as exc:
        # A setup problem outside any one file (a read-only or missing folder, ...): one line, exit 2.
        where = f"{exc.filename}: " if exc.filename else ""
        print(f"fastdeid: error: {where}io: {exc.strerror or exc}", file=sys.stderr)
        return EXIT_USAGE
    except DicomError as exc:
        print(f"fastdeid: error: {exc}", file=sys.stderr)
        return EXIT_FILES_FAILED
    except KeyboardInterrupt:
        print("fastdeid: interrupted; finished outputs are complete, nothing half-written was left", file=sys.stderr)
        return 130


def _parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="fastdeid", description="Fast, Flywheel-compatible DICOM de-identification.")
    parser.add_argument("--version", action="version", version=f"fastdeid {VERSION}")
    sub = parser.add_subparsers(dest="command", required=True)

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
    _jobs_option(p)
    _filter_options(p)
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
    _basic_options(p)
    _quiet_option(p)
    p.set_defaults(handler=_cmd_run)

    p.add_argument(
        "--deid-log",
        default=None,
        help="write the log of original and new values here (overrides the profile's deid-log)",
    )
    _dask_option(p)

    p = sub.add_parser("listen", help="receive DICOM (C-STORE), de-identify in memory, store into DIR or forward")
    p.add_argument("--aet", type=ae_title, required=True, help="this node's AE title (1-16 characters)")
    p.add_argument("--port", type=tcp_port, required=True, help="TCP port to listen on (0: any free port)")
    p.add_argument("--bind", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    p.add_argument("--profile", required=True, help="profile file or built-in name")
    target = p.add_mutually_exclusive_group(required=True)
    target.add_argument("--to", help="folder for the de-identified instances")
    target.add_argument("--forward", help="dicom://AET@host:port or dicomweb+http(s)://host:port/path")
    p.add_argument("--outbox", default=None, help="with --forward: where instances wait until acknowledged")
    p.add_argument(
        "--allow",
        action="append",
        help="calling AE title or address/network allowed to send (repeatable; default: loopback callers only);"
        " others are refused before they can send anything",
    )
    p.add_argument("--no-fsync", action="store_true", help="do not fsync outputs before acknowledging (unsafe)")
    p.add_argument(
        "--deid-log", default=None, help="the log of original and new values (overrides the profile's deid-log)"
    )
    p.add_argument(
        "--verbose", "-v", action="store_true", help="log each association and instance (never a patient value)"
    )
    _basic_options(p)
    p.set_defaults(handler=_cmd_listen)

    deid = sub.add_parser("deid", help="try a profile on sample files, or write a starter profile")
    dsub = deid.add_subparsers(dest="deid_command", required=True)
    q = dsub.add_parser("test", help="de-identify the DICOM files under SRC into DST and write DST/deid_log.csv")
    q.add_argument("src", help="folder of sample files (never modified); *.dcm, *.dicom, *.ima, also gzip-compressed")
    q.add_argument("profile", help="profile file or built-in name")
    q.add_argument("dst", help="output folder, created if missing; its previous test results are replaced")
    q.add_argument("--subject", help="subject label (accepted for compatibility; outputs mirror SRC)")
    q.add_argument("--session", help="session label (accepted for compatibility; outputs mirror SRC)")
    q.add_argument("--log-only", action="store_true", help="write only the log, as `fw deid test` does")
    _jobs_option(q)
    _basic_options(q)
    _quiet_option(q)
    q.set_defaults(handler=_cmd_deid_test)
    q = dsub.add_parser("create", help="write a commented starter profile")
    q.add_argument("path", help="the new profile file (.yaml); its deid log defaults to deid_log.csv beside it")
    q.set_defaults(handler=_cmd_deid_create)

    ingest = sub.add_parser("ingest", help="de-identify a tree into DEST/group/project/subject/session/acquisition")
    isub = ingest.add_subparsers(dest="ingest_command", required=True)
    q = isub.add_parser("dicom", help="group files by study and series, labels from the (de-identified) headers")
    q.add_argument("src", help="folder to ingest (never modified)")
    q.add_argument("group", help="the group label: the first folder level under DEST")
    q.add_argument("project", help="the project label: the second folder level under DEST")
    _ingest_options(q)
    q.set_defaults(handler=_cmd_ingest)
    q = isub.add_parser("template", help="labels from folder names matched by the config's template")
    q.add_argument(
        "paths",
        nargs="+",
        metavar="[TEMPLATE] SRC",
        help="an optional template string (pat1:pat2) and the source folder",
    )
    q.add_argument("--group", "-g", help="the group label (else {group} in the template)")
    q.add_argument("--project", "-p", help="the project label (else {project} in the template)")
    _ingest_options(q)
    q.set_defaults(handler=_cmd_ingest)

    project = sub.add_parser(
        "project",
        help="attach a de-identification profile to DEST/GROUP/PROJECT, which every ingest into it then applies",
    )
    jsub = project.add_subparsers(dest="project_command", required=True)
    q = jsub.add_parser(
        "set-profile",
        help="validate a profile file and store it with the project (replacing any earlier one; mode 0600)",
    )
    _project_arguments(q)
    q.add_argument("profile", help="profile file (.yaml/.yml/.json); its bytes are stored as given")
    q.set_defaults(handler=_cmd_project_set_profile)
    q = jsub.add_parser("show", help="print the project's stored profile")
    _project_arguments(q)
    q.set_defaults(handler=_cmd_project_show)

    p = sub.add_parser("bench", help="measure fastdeid against a plain copy on a generated archive")
    p.add_argument("--size", type=_positive, default=500, help="archive size in MB (default 500)")
    _jobs_option(p)
    p.add_argument("--profile", default=None, help="profile (default: the built-in bench profile)")
    p.add_argument("--rounds", type=_positive, default=3, help="timed rounds of each side (default 3)")
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
    _jobs_option(p)
    p.set_defaults(handler=_cmd_verify)

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
    _basic_options(q)
    q.set_defaults(handler=_cmd_profile_validate)
    q = psub.add_parser("coverage", help="list the elements of a sample that a profile neither changes nor keeps")
    q.add_argument("profile", help="profile file or built-in name")
    q.add_argument("sample", help="a folder (or file) of DICOM files typical of the data")
    q.set_defaults(handler=_cmd_profile_coverage)
    return parser


def _jobs_option(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--jobs",
        "-j",
        type=_jobs,
        default=0,
        help="worker threads (default 0 = one per core; at most 4x the cores and never more than the files)",
    )


def _jobs(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"{value}: must be 0 (one per core) or a positive number")
    return value


def _filter_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--include", action="append", default=[], help="only files whose name matches (repeatable)")
    p.add_argument("--exclude", action="append", default=[], help="skip files whose name matches (repeatable; wins)")


def _quiet_option(p: argparse.ArgumentParser) -> None:
    p.add_argument("--quiet", "-q", action="store_true", help="no progress display (there is none when not a terminal)")


def _basic_options(p: argparse.ArgumentParser) -> None:
    g = p.add_argument_group(
        "the Basic Profile (the built-in profile `basic`, or `base: basic`; docs/basic-profile.md)"
    )
    g.add_argument(
        "--key-file",
        metavar="PATH",
        help="the project's secret key for pseudonyms, UIDs and date shifts (else $FASTDEID_KEY_FILE, else the"
        " profile's key-file:; make one with `fastdeid key new PATH`)",
    )
    g.add_argument(
        "--option",
        action="append",
        default=[],
        metavar="NAME",
        type=_basic_option,
        help="a PS3.15 option, repeatable: " + ", ".join(BASIC_OPTIONS),
    )
    g.add_argument(
        "--allow-burned-in",
        action="store_true",
        help="also write files that may carry burned-in text (otherwise they are quarantined: not written, listed)",
    )


def _overrides(args: argparse.Namespace) -> BasicOverrides:
    """The command line's Basic Profile settings (`--key-file`, `--option`, `--allow-burned-in`)."""
    return BasicOverrides(
        key_file=getattr(args, "key_file", None),
        options=tuple(getattr(args, "option", None) or ()),
        allow_burned_in=getattr(args, "allow_burned_in", False),
    )


def _basic_option(text: str) -> str:
    """An `--option` name, checked like argparse's choices (a type, so help walkers see no choices)."""
    if text not in BASIC_OPTIONS:
        raise argparse.ArgumentTypeError(f"unknown basic option {text!r} (choose from {', '.join(BASIC_OPTIONS)})")
    return text


def _load(args: argparse.Namespace, name: str | os.PathLike[str], *, for_run: bool = True) -> Profile:
    """Loads a profile with the command line's Basic Profile settings; a run needs the key now."""
    profile = load_profile(name, _overrides(args))
    if for_run:
        require_key(profile)
    return profile


def _cmd_run(args: argparse.Namespace) -> int:
    if not args.de_identify and args.profile is None:
        raise UsageError(
            "run needs --profile: a profile file, or one of the built-in profiles "
            + ", ".join(builtin.names())
            + " (`--profile none` copies files unchanged)"
        )
    profile_name = "minimal" if args.de_identify else args.profile
    profile = _load(args, profile_name)
    if profile_name == "none":
        print("warning: --profile none: files are copied without de-identification", file=sys.stderr)
    if is_network(args.dst):  # a DICOM or DICOMweb archive: through an outbox (docs/network.md)
        from .net.commands import cmd_run

        return cmd_run(args, profile, _finish)
    scope = contextlib.ExitStack()  # --dask: the cluster's client (and a local cluster) for the run
    client = scope.enter_context(_dask_client(args.dask))
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
    return _finish(report)


def _cmd_listen(args: argparse.Namespace) -> int:
    from .net.commands import cmd_listen

    return cmd_listen(args, _load(args, args.profile))


def _dask_client(address: str | None) -> contextlib.AbstractContextManager[Any]:
    """`--dask ADDRESS`: a distributed.Client for the run (closed after it), or None."""
    if address is None:
        return contextlib.nullcontext(None)
    from .jobs.cluster import connect

    return connect(address)


def _finish(report: Report) -> int:
    """Prints the report and returns the exit code."""
    _print_report(report)
    if report.disk_full:
        print("fastdeid: the output disk is full; free space and run the same command again to finish", file=sys.stderr)
        return EXIT_DISK_FULL
    if report.stopped == "interrupted":
        print("fastdeid: interrupted; run the same command again to finish (finished files are kept)", file=sys.stderr)
        return EXIT_INTERRUPTED
    # A quarantined file was not written and may hold burned-in text: the user must look at it.
    return EXIT_FILES_FAILED if report.failed or report.quarantined else EXIT_OK


def _print_report(report: Report) -> None:
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


def _cmd_deid_test(args: argparse.Namespace) -> int:
    from .jobs.trial import sample_folder, try_profile

    src = sample_folder(args.src)  # before the profile is loaded
    profile = _load(args, args.profile)
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
    return _finish(report)


def _dask_option(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--dask",
        metavar="ADDRESS",
        default=None,
        help="run the files on a Dask cluster: a scheduler address (tcp://host:8786) or local:N for N worker"
        " processes here; workers need SRC and the destination at the same paths (docs/scale-out.md)",
    )


def _ingest_options(q: argparse.ArgumentParser) -> None:
    _dask_option(q)
    q.add_argument(
        "--to",
        required=True,
        metavar="DEST",
        help="destination: a local folder, or an archive (dicom://AET@host:port, dicomweb+http(s)://host/path)",
    )
    q.add_argument("--outbox", default=None, help="with an archive --to: where files wait until acknowledged")
    q.add_argument(
        "--de-identify",
        action="store_true",
        help="de-identify (with --deid-profile, the project's profile, or the built-in minimal profile)",
    )
    q.add_argument(
        "--deid-profile",
        metavar="NAME|FILE",
        help="a profile named in the config file's deid-profiles, a built-in, or a profile file (.yaml/.json); "
        "`none` copies files unchanged",
    )
    q.add_argument(
        "--override-project-profile",
        action="store_true",
        help="allow --deid-profile to differ from the profile stored with the project (fastdeid project set-profile)",
    )
    q.add_argument("--config-file", "-C", help="YAML/JSON config (template, filters, deid-profiles)")
    q.add_argument("--subject", help="subject label for every file")
    q.add_argument("--session", help="session label for every file")
    q.add_argument("--include", action="append", help="file name pattern to ingest (repeatable)")
    q.add_argument("--exclude", action="append", help="file name pattern to skip (repeatable; wins over --include)")
    q.add_argument("--include-dirs", action="append", help="folder path pattern to enter (repeatable; alternatives)")
    q.add_argument("--exclude-dirs", action="append", help="folder name pattern to skip at any depth (repeatable)")
    q.add_argument("--save-deid-logs", metavar="PATH", help="write the deid log (a folder or a file name)")
    q.add_argument("--load-subjects", metavar="CSV", help="subject code map to use")
    q.add_argument("--save-subjects", metavar="CSV", help="write the subject code map")
    q.add_argument("--save-mappings", metavar="DIR", help="write uid_mapping.csv and patid_mapping.csv")
    q.add_argument("--dry-run", action="store_true", help="show the planned tree and counts; write nothing")
    _jobs_option(q)
    _basic_options(q)
    _quiet_option(q)


def _cmd_ingest(args: argparse.Namespace) -> int:
    from .ingest.config import load_config, select_profile
    from .ingest.items import dicom_items, template_items
    from .ingest.profile_choice import choose_profile
    from .ingest.runner import ingest

    config = load_config(args.config_file)

    def pick(name: str) -> Any:
        return getattr(args, name, None) or config.get(name)  # the command line wins

    de_identify = bool(args.de_identify or config.get("de_identify"))
    name = pick("deid_profile")
    basic = _overrides(args)
    # The requested profile is loaded, and its key required, before any file is read.
    requested = select_profile(config, True, name, basic) if name is not None else None
    if requested is not None:
        require_key(requested)
    fixed = {level: v for level in ("subject", "session") if (v := pick(level))}
    unreadable: list[tuple[str, str]] = []

    def as_tuple(name: str) -> tuple[str, ...]:
        return tuple(pick(name) or ())

    filters = Filters(as_tuple("include"), as_tuple("exclude"), as_tuple("include_dirs"), as_tuple("exclude_dirs"))
    if args.ingest_command == "dicom":
        src, group, project = Path(args.src), args.group, args.project
        items = dicom_items(src, filters, fixed, unreadable)
    else:
        if len(args.paths) > 2:
            raise UsageError("ingest template takes [TEMPLATE] SRC")
        template_spec = args.paths[0] if len(args.paths) == 2 else config.get("template")
        if template_spec is None:
            raise UsageError("no template: give one before SRC or put `template:` in the config file")
        src = Path(args.paths[-1])
        items, group, project = template_items(
            src, template_spec, filters, fixed, unreadable, group=pick("group"), project=pick("project")
        )
        if not group or not project:
            raise UsageError(
                "ingest template needs a group and a project (--group/--project or {group}/{project} in the template)"
            )
    if not src.is_dir():
        raise UsageError(f"{src}: not a folder")
    network = is_network(args.to)  # an archive: through an outbox folder (docs/network.md)
    if network:
        from .net.ingest import ingest_folder

        home: str | Path = ingest_folder(args.to, args.outbox)
    else:
        home = args.to
    choice = choose_profile(
        config, requested, de_identify, home, group, project, basic=basic, override=args.override_project_profile
    )
    if choice.unchanged:
        print(
            "warning: no --de-identify or --deid-profile: files are copied without de-identification", file=sys.stderr
        )
    require_key(choice.profile)  # the project's own profile too, before any file is read
    if choice.note:
        print(f"note: {choice.note}", file=sys.stderr)
    progress = Progress.for_terminal(args.quiet, "ingesting")
    settings: dict[str, Any] = {
        "jobs": args.jobs,
        "dry_run": args.dry_run,
        "save_deid_logs": pick("save_deid_logs"),
        "load_subjects": pick("load_subjects"),
        "save_subjects": pick("save_subjects"),
        "save_mappings": pick("save_mappings"),
        "override_project_profile": args.override_project_profile,
        "progress": progress,
        "unreadable": unreadable,
    }
    if network:
        if args.dask is not None:
            raise UsageError("--dask writes to a folder on a shared filesystem, not to an archive")
        from .net.commands import finish_ingest
        from .net.ingest import ingest_to_network

        sent = ingest_to_network(items, args.to, group, project, choice.profile, outbox=args.outbox, **settings)
        report = sent.ingest
    else:
        if args.dask is not None and args.dry_run:
            raise UsageError("--dry-run runs on this machine; leave out --dask")
        with _dask_client(args.dask) as client:
            report = ingest(items, args.to, group, project, choice.profile, client=client, **settings)
    progress.close()
    if args.dry_run:
        for rel_in, rel_out in report.placed:
            print(f"{rel_out}  <-  {rel_in}")
        print(
            f"dry run: {len(report.placed)} file(s) would be written under {args.to}, {report.failed} failed; nothing written"
        )
    for warning in report.layout_warnings:
        print(f"warning: {warning}", file=sys.stderr)
    code = _finish(report)
    return finish_ingest(sent, code) if network else code


def _project_arguments(q: argparse.ArgumentParser) -> None:
    q.add_argument("dest", metavar="DEST", help="the destination folder that `ingest --to DEST` writes into")
    q.add_argument("group", metavar="GROUP", help="the group label, as given to ingest")
    q.add_argument("project", metavar="PROJECT", help="the project label, as given to ingest")


def _cmd_project_set_profile(args: argparse.Namespace) -> int:
    from .ingest.project import set_profile

    stored = set_profile(args.dest, args.group, args.project, args.profile)
    print(f"{args.group}/{args.project}: every ingest into {args.dest} now de-identifies with {stored}")
    return EXIT_OK


def _cmd_project_show(args: argparse.Namespace) -> int:
    from .ingest.project import find

    stored = find(args.dest, args.group, args.project)
    if stored is None:
        raise UsageError(f"{args.group}/{args.project}: no-project-profile: no profile is stored for it in {args.dest}")
    print(f"# {stored.path} (profile {stored.profile.name!r}, sha256 {stored.profile.digest[:16]})", file=sys.stderr)
    sys.stdout.write(stored.path.read_text(encoding="utf-8"))
    return EXIT_OK


def _cmd_deid_create(args: argparse.Namespace) -> int:
    path = Path(args.path)
    builtin.write_starter(path)
    print(f"wrote {path}; edit it, then run: fastdeid profile validate {path}")
    return EXIT_OK


def _cmd_key_new(args: argparse.Namespace) -> int:
    from .profile.keys import new_key

    path = new_key(args.path)
    print(f"wrote a new key to {path} (mode 0600); the same key gives the same pseudonyms in every run")
    return EXIT_OK


def _positive(text: str) -> int:
    """A whole number of at least 1 (argparse type)."""
    if not text.isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number of at least 1")
    return int(text)


def _cmd_bench(args: argparse.Namespace) -> int:
    from .bench import bench

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


def _cmd_dump(args: argparse.Namespace) -> int:
    if not args.file:
        raise UsageError("dump needs a file name")
    path = Path(args.file)
    if path.is_dir():
        raise UsageError(f"{args.file}: io: is a folder; dump lists one file")
    if not path.exists():
        raise UsageError(f"{args.file}: io: no such file")
    # A damaged file is listed as far as it parses, then its error is reported (exit 1).
    text, exc = _core.dump_partial(path, args.max_text, args.accept_no_meta)
    print(text, end="")
    if isinstance(exc, DicomError):
        sys.stdout.flush()
        raise DicomError(f"{args.file}: {exc}", exc.code, exc.offset, exc.tag_path)
    if exc is not None:
        raise exc
    return EXIT_OK


def _cmd_demo(args: argparse.Namespace) -> int:
    from .synth import write_example_tree

    base = Path(args.dir) if args.dir else Path(tempfile.mkdtemp(prefix="fastdeid-demo-"))
    src, dst = base / "example", base / "deidentified"
    files = write_example_tree(src)
    print(f"wrote {len(files)} synthetic DICOM files with fake patient data under {src}")
    report = run(src, dst, "minimal")
    _print_report(report)
    sample = files[0].relative_to(src)
    before = [line for line in _core.dump(src / sample).splitlines() if "(0010," in line]
    after = [line for line in _core.dump(dst / sample).splitlines() if "(0010," in line]
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
    from .verify import SHOWN, check_report_path, verify, write_report

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


def _cmd_profile_list(args: argparse.Namespace) -> int:
    for name in builtin.names():
        prof = load_profile(name)
        print(f"{name:<12} {prof.description}")
    return EXIT_OK


def _cmd_profile_coverage(args: argparse.Namespace) -> int:
    from .profile.coverage import coverage

    print("\n".join(coverage(args.profile, args.sample).lines()))
    return EXIT_OK


def _cmd_profile_validate(args: argparse.Namespace) -> int:
    if args.enhanced and not Path(args.enhanced).is_dir():
        raise UsageError(f"{args.enhanced}: no such folder (--enhanced takes a folder of DICOM files)")
    prof = _load(args, Path(args.file), for_run=args.enhanced is not None)
    print(f"{args.file}: valid profile {prof.name!r} with {len(prof.rules)} field rule(s)")
    if args.enhanced is None:
        return EXIT_OK
    from .profile.enhanced import sample_folder, try_on_files

    trial = try_on_files(prof, sample_folder(args.enhanced))
    for line in trial.failures:
        print(f"fails on {line}", file=sys.stderr)
    print(
        f"applied to {trial.applied} file(s) under {trial.root}; failed on {len(trial.failures)}; "
        f"{trial.unreadable} not readable DICOM"
    )
    return EXIT_FILES_FAILED if trial.failures else EXIT_OK


if __name__ == "__main__":
    sys.exit(main())
