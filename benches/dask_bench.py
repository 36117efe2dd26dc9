"""A run on a 2-worker Dask LocalCluster next to the same run with `--jobs 2`, alternating, on small files
(docs/scale-out.md#where-it-saturates); also the cluster's start-up time and its per-task overhead.

    python benches/dask_bench.py [--files 5000] [--rounds 1] [--workdir DIR]

Both runs are timed from the call to `fastdeid.run` until it returns (walk, plan, de-identify, no fsync);
the cluster is started once, before, and its start-up is reported on its own line.
"""

from __future__ import annotations

import argparse
import logging
import shutil
import sys
import tempfile
import time
from pathlib import Path

from distributed import Client, LocalCluster

import fastdeid
from fastdeid.bench import BENCH_PROFILE

sys.path.insert(0, str(Path(__file__).parent))
from corpus import write_small_file_corpus


def _noop(i: int) -> int:
    return i


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=5000)
    parser.add_argument("--rounds", type=int, default=1)
    parser.add_argument("--workdir", default=None, help="where the corpus and outputs go (default: system temp)")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="fastdeid-dask-", dir=args.workdir))
    profile = fastdeid.load_profile(BENCH_PROFILE)
    try:
        files = write_small_file_corpus(work / "src", args.files)
        started = time.perf_counter()
        cluster = LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0", silence_logs=logging.ERROR
        )
        client = Client(cluster)
        startup = time.perf_counter() - started
        started = time.perf_counter()
        client.gather(client.map(_noop, range(1000), pure=False))
        per_task = (time.perf_counter() - started) / 1000
        best = {"--jobs 2": 1e9, "--dask local:2": 1e9}
        for n in range(args.rounds):
            for name, extra in (("--jobs 2", {"jobs": 2}), ("--dask local:2", {"client": client})):
                started = time.perf_counter()
                report = fastdeid.run(
                    work / "src", work / f"out{n}-{len(extra)}-{name[2:6]}", profile, fsync=False, **extra
                )
                best[name] = min(best[name], time.perf_counter() - started)
                assert report.ok == len(files), report.summary()
        client.close()
        cluster.close()
        print(f"{len(files)} small files, best of {args.rounds}, no fsync; profile {BENCH_PROFILE.name}")
        for name, seconds in best.items():
            print(f"{name:15} {seconds:6.2f} s {len(files) / seconds:8.0f} files/s")
        print(f"dask / jobs throughput: {best['--jobs 2'] / best['--dask local:2']:.2f}x")
        print(f"LocalCluster(2) start-up {startup:.1f} s; per no-op task {per_task * 1000:.2f} ms (1,000 tasks)")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
