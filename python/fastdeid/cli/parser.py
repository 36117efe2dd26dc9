"""The argument parser: one subcommand (or group) per module of this package, added in the order
`fastdeid --help` lists them. Argument errors are one line, like every other error."""

from __future__ import annotations

import argparse
from typing import NoReturn

from ..version import VERSION
from . import deid, ingest, net, profile, project, run, tools
from .report import EXIT_USAGE


class OneLineParser(argparse.ArgumentParser):
    """Argument errors on one line, like every other error, naming the (sub)command: the usage is
    one `--help` away. Subcommand parsers are made of the same class."""

    def error(self, message: str) -> NoReturn:
        self.exit(EXIT_USAGE, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


def build_parser() -> argparse.ArgumentParser:
    """The `fastdeid` parser; each command's `handler` is in its parsed arguments."""
    parser = OneLineParser(prog="fastdeid", description="Fast, Flywheel-compatible DICOM de-identification.")
    parser.add_argument("--version", action="version", version=f"fastdeid {VERSION}")
    sub = parser.add_subparsers(dest="command", required=True)
    for command in (run, net, deid, ingest, project, tools, profile):
        command.add_to(sub)
    return parser
