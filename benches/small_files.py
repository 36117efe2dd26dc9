"""Small-file throughput: 10,000 files of about 33 KB, fastdeid with 1 and 2 jobs against `cp -r`,
alternating, each timed until its data is on disk (the method of `fastdeid bench`).

    python benches/small_files.py [--files 10000] [--rounds 2] [--workdir DIR]
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
from pathlib import Path

from fastdeid.bench import BENCH_PROFILE, time_copy, time_fastdeid

sys.path.insert(0, str(Path(__file__).parent))
from corpus import write_small_file_corpus


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=10_000)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--profile", default=str(BENCH_PROFILE))
    parser.add_argument(
        "--workdir", default=None, help="where the corpus and outputs go (default: the system's temp folder)"
    )
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="fastdeid-small-", dir=args.workdir))
    try:
        src = work / "src"
        files = write_small_file_corpus(src, args.files)
        size = sum(p.stat().st_size for p in files)
        best: dict[str, float] = {}
        peak = 0
        for n in range(args.rounds):  # fresh output folders each time: see fastdeid.bench on ext4
            best["cp -r"] = min(best.get("cp -r", 1e9), time_copy(src, work / f"copy{n}"))
            for jobs in (1, 2):
                seconds, _, hwm = time_fastdeid(src, work / f"out{n}-{jobs}", args.profile, jobs, None)
                best[f"fastdeid -j{jobs}"] = min(best.get(f"fastdeid -j{jobs}", 1e9), seconds)
                peak = max(peak, hwm)
        print(
            f"{len(files)} files, {size / len(files) / 1024:.0f} KB each, {os.cpu_count()} cores, profile {Path(args.profile).name}; best of {args.rounds}, timed to disk"
        )
        for name, seconds in best.items():
            print(f"{name:14} {seconds:6.2f} s {len(files) / seconds:9.0f} files/s")
        print(
            f"scaling 1 -> 2 jobs: {best['fastdeid -j1'] / best['fastdeid -j2']:.2f}x; fastdeid -j2 / cp -r: {best['fastdeid -j2'] / best['cp -r']:.2f}x; peak {peak / 1024:.0f} MB"
        )
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
