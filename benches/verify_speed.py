"""`fastdeid verify` throughput on small files: N files of about 33 KB are de-identified with the
bench profile, then verified from the command line (start-up included), alone and `--against`
the inputs, with 1 and 2 jobs. Target: 10,000 small files/s on two cores. With `--profile basic` the
outputs are named by UID, so `--against` searches each for every input's strings.

    python benches/verify_speed.py [--files 10000] [--rounds 1] [--workdir /dev/shm] [--profile basic]
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from fastdeid.bench import BENCH_PROFILE
from fastdeid.profile.keys import new_key

sys.path.insert(0, str(Path(__file__).parent))
from corpus import write_small_file_corpus


def _verify(args: list[str]) -> tuple[float, str]:
    """Seconds of one `fastdeid verify` run and its summary line (exit 1 means findings, not failure)."""
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", "fastdeid", "verify", *args], capture_output=True, text=True, check=False
    )
    seconds = time.perf_counter() - started
    if done.returncode not in (0, 1):
        raise SystemExit(done.stderr)
    return seconds, done.stdout.strip().splitlines()[-1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=10_000)
    parser.add_argument("--rounds", type=int, default=1)
    parser.add_argument("--workdir", default=None, help="where the corpus goes (default: the system's temp folder)")
    parser.add_argument(
        "--profile", choices=("bench", "basic"), default="bench", help="the profile of the run verified"
    )
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="fastdeid-verify-", dir=args.workdir))
    try:
        src, out = work / "src", work / "out"
        files = write_small_file_corpus(src, args.files)
        profile = (
            [str(BENCH_PROFILE)] if args.profile == "bench" else ["basic", "--key-file", str(new_key(work / "key"))]
        )
        subprocess.run(
            [sys.executable, "-m", "fastdeid", "run", str(src), str(out), "--profile", *profile, "-q"],
            check=True,
            capture_output=True,
        )
        print(
            f"{len(files)} files, {os.cpu_count()} cores, profile {args.profile}; best of {args.rounds}, "
            "command line incl. start-up"
        )
        for label, extra in [("alone", []), ("--against", ["--against", str(src)])]:
            for jobs in (1, 2):
                runs = [_verify([str(out), *extra, "-j", str(jobs)]) for _ in range(args.rounds)]
                seconds, summary = min(runs)
                print(f"verify {label:10} -j{jobs}: {seconds:6.2f} s {len(files) / seconds:9.0f} files/s   [{summary}]")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
