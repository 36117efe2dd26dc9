"""Argument types of `listen`'s network options, checked when the command line is parsed (before
the profile is read or a folder is created): a bad value is argparse's usage error, exit 2."""

from __future__ import annotations

import argparse

from .aet import ae_title_problem


def tcp_port(text: str) -> int:
    """`--port`: 0 (any free port) to 65535."""
    try:
        port = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r}: not a port number (0 to 65535)") from None
    if not 0 <= port <= 65535:
        raise argparse.ArgumentTypeError(f"{text}: not a port number (0 to 65535)")
    return port


def ae_title(text: str) -> str:
    """`--aet`: an AE title (see aet.py)."""
    problem = ae_title_problem(text)
    if problem is not None:
        raise argparse.ArgumentTypeError(f"{text!r}: {problem}")
    return text
