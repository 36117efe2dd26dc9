"""The options several commands share (--jobs, --include/--exclude, --quiet, the Basic Profile's
--key-file/--option/--allow-burned-in, --dask), their argument types, and what they mean once parsed:
a profile loaded with the Basic Profile's settings, a Dask client."""

from __future__ import annotations

import argparse
import contextlib
import os
from typing import Any, TypeAlias

from ..profile.basic import BASIC_OPTIONS, BasicOverrides
from ..profile.load import Profile, load_profile, require_key

# A parser's subcommands, to which each command module adds its own.
Commands: TypeAlias = "argparse._SubParsersAction[argparse.ArgumentParser]"


def jobs_option(p: argparse.ArgumentParser) -> None:
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


def filter_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--include", action="append", default=[], help="only files whose name matches (repeatable)")
    p.add_argument("--exclude", action="append", default=[], help="skip files whose name matches (repeatable; wins)")


def quiet_option(p: argparse.ArgumentParser) -> None:
    p.add_argument("--quiet", "-q", action="store_true", help="no progress display (there is none when not a terminal)")


def basic_options(p: argparse.ArgumentParser) -> None:
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


def overrides(args: argparse.Namespace) -> BasicOverrides:
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


def profile_from_args(args: argparse.Namespace, name: str | os.PathLike[str], *, for_run: bool = True) -> Profile:
    """Loads a profile with the command line's Basic Profile settings; a run needs the key now."""
    profile = load_profile(name, overrides(args))
    if for_run:
        require_key(profile)
    return profile


def dask_option(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--dask",
        metavar="ADDRESS",
        default=None,
        help="run the files on a Dask cluster: a scheduler address (tcp://host:8786) or local:N for N worker"
        " processes here; workers need SRC and the destination at the same paths (docs/scale-out.md)",
    )


def dask_client(address: str | None) -> contextlib.AbstractContextManager[Any]:
    """`--dask ADDRESS`: a distributed.Client for the run (closed after it), or None."""
    if address is None:
        return contextlib.nullcontext(None)
    from ..jobs.cluster import connect

    return connect(address)


def positive(text: str) -> int:
    """A whole number of at least 1 (argparse type)."""
    if not text.isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number of at least 1")
    return int(text)
