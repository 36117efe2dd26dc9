"""The `fastdeid` command line: `main` parses the arguments (parser.py), runs the command's handler,
and turns an error into one line and an exit code (report.py).

One module per command or group of commands (run, net: listen and the senders' summaries, deid,
ingest, project, profile, tools: bench, key, dump, demo, verify); each parses its arguments, calls
the package that does the work, and prints. options.py holds the options several commands share.
"""

from __future__ import annotations

import sys

from ..errors import DicomError, ProfileError, UsageError
from .parser import build_parser
from .report import EXIT_FILES_FAILED, EXIT_INTERRUPTED, EXIT_USAGE


def main(argv: list[str] | None = None) -> int:
    """Runs `fastdeid ARGV...` and returns its exit code."""
    parser = build_parser()
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
        return EXIT_INTERRUPTED
