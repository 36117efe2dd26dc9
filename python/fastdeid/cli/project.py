"""`fastdeid project set-profile|show DEST GROUP PROJECT`: a project's own profile (ingest/project.py)."""

from __future__ import annotations

import argparse
import sys

from ..errors import UsageError
from .options import Commands
from .report import EXIT_OK


def add_to(sub: Commands) -> None:
    """`project set-profile` and `project show`."""
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


def _project_arguments(q: argparse.ArgumentParser) -> None:
    q.add_argument("dest", metavar="DEST", help="the destination folder that `ingest --to DEST` writes into")
    q.add_argument("group", metavar="GROUP", help="the group label, as given to ingest")
    q.add_argument("project", metavar="PROJECT", help="the project label, as given to ingest")


def _cmd_project_set_profile(args: argparse.Namespace) -> int:
    from ..ingest.project import set_profile

    stored = set_profile(args.dest, args.group, args.project, args.profile)
    print(f"{args.group}/{args.project}: every ingest into {args.dest} now de-identifies with {stored}")
    return EXIT_OK


def _cmd_project_show(args: argparse.Namespace) -> int:
    from ..ingest.project import find

    stored = find(args.dest, args.group, args.project)
    if stored is None:
        raise UsageError(f"{args.group}/{args.project}: no-project-profile: no profile is stored for it in {args.dest}")
    print(f"# {stored.path} (profile {stored.profile.name!r}, sha256 {stored.profile.digest[:16]})", file=sys.stderr)
    sys.stdout.write(stored.path.read_text(encoding="utf-8"))
    return EXIT_OK
