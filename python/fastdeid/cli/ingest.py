"""`fastdeid ingest dicom|template`: the items and the profile from the command line and the config
file, then the ingest (ingest/runner.py) into a folder or an archive's outbox (net/ingest.py)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from ..errors import UsageError
from ..jobs.destination import is_network
from ..jobs.progress import Progress
from ..jobs.walk import Filters
from ..profile.load import require_key
from .options import Commands, basic_options, dask_client, dask_option, jobs_option, overrides, quiet_option
from .report import finish


def add_to(sub: Commands) -> None:
    """`ingest dicom` and `ingest template`."""
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


def _ingest_options(q: argparse.ArgumentParser) -> None:
    dask_option(q)
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
    jobs_option(q)
    basic_options(q)
    quiet_option(q)


def _cmd_ingest(args: argparse.Namespace) -> int:
    from ..ingest.config import load_config, select_profile
    from ..ingest.items import dicom_items, template_items
    from ..ingest.profile_choice import choose_profile
    from ..ingest.runner import ingest

    config = load_config(args.config_file)

    def pick(name: str) -> Any:
        return getattr(args, name, None) or config.get(name)  # the command line wins

    de_identify = bool(args.de_identify or config.get("de_identify"))
    name = pick("deid_profile")
    basic = overrides(args)
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
        from ..net.ingest import ingest_folder

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
        from ..net.ingest import ingest_to_network
        from .net import finish_ingest

        sent = ingest_to_network(items, args.to, group, project, choice.profile, outbox=args.outbox, **settings)
        report = sent.ingest
    else:
        if args.dask is not None and args.dry_run:
            raise UsageError("--dry-run runs on this machine; leave out --dask")
        with dask_client(args.dask) as client:
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
    code = finish(report)
    return finish_ingest(sent, code) if network else code
