"""Side by side with the reference: flywheel-migration 13.10.11 and fastdeid on the same small-file
set and profile, one core each, files/s per core.

    python benches/compare_flywheel.py [--files 300] [--oracle .oracle/bin/python] [--workdir /dev/shm]
"""

from __future__ import annotations

import argparse
import json
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import fastdeid
from fastdeid.bench import BENCH_PROFILE

sys.path.insert(0, str(Path(__file__).parent))
from corpus import write_small_file_corpus

REFERENCE = """
import sys, time, json, warnings, logging
warnings.simplefilter('ignore'); logging.disable(logging.CRITICAL)
from flywheel_migration.deidentify import load_profile
from fs.osfs import OSFS
profile, src, dst = sys.argv[1:4]
files = [l.strip() for l in open(sys.argv[4])]
dp = load_profile(profile).get_file_profile('dicom')
started = time.perf_counter()
dp.process_files(OSFS(src), OSFS(dst), files)
print(json.dumps({'seconds': time.perf_counter() - started}))
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=300)
    parser.add_argument("--oracle", default=str(Path(__file__).resolve().parent.parent / ".oracle" / "bin" / "python"))
    parser.add_argument("--profile", default=str(BENCH_PROFILE))
    parser.add_argument(
        "--workdir", default=None, help="where the corpus and outputs go (e.g. /dev/shm to leave the disk out)"
    )
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="fastdeid-vs-flywheel-", dir=args.workdir))
    try:
        src = work / "src"
        files = write_small_file_corpus(src, args.files)
        listing = work / "files.txt"
        listing.write_text("\n".join(str(p.relative_to(src)) for p in files))
        (work / "ref").mkdir()
        cpu0 = resource.getrusage(resource.RUSAGE_CHILDREN)
        done = subprocess.run(
            [args.oracle, "-c", REFERENCE, args.profile, str(src), str(work / "ref"), str(listing)],
            capture_output=True,
            text=True,
            check=True,
        )
        cpu1 = resource.getrusage(resource.RUSAGE_CHILDREN)
        ref_seconds = json.loads(done.stdout.strip().splitlines()[-1])["seconds"]
        ref_cpu = cpu1.ru_utime + cpu1.ru_stime - cpu0.ru_utime - cpu0.ru_stime  # includes its start-up
        own0 = resource.getrusage(resource.RUSAGE_SELF)
        started = time.perf_counter()
        report = fastdeid.run(src, work / "ours", args.profile, jobs=1, fsync=False)
        ours_seconds = time.perf_counter() - started
        own1 = resource.getrusage(resource.RUSAGE_SELF)
        ours_user = own1.ru_utime - own0.ru_utime
        ours_cpu = ours_user + own1.ru_stime - own0.ru_stime
        assert report.ok == len(files), report.failures[:3]
        ref_rate, ours_rate = len(files) / ref_seconds, len(files) / ours_seconds
        print(
            f"{len(files)} files of about {files[0].stat().st_size // 1024} KB, profile {Path(args.profile).name}, one core each"
        )
        print(f"flywheel-migration 13.10.11: {ref_rate:8.0f} files/s")
        print(f"fastdeid (jobs=1):           {ours_rate:8.0f} files/s")
        print(f"ratio: {ours_rate / ref_rate:.0f}x per core (wall time)")
        print(
            f"CPU per file: reference {ref_cpu / len(files) * 1e3:.2f} ms (with its start-up), fastdeid {ours_cpu / len(files) * 1e3:.3f} ms "
            f"({ours_user / len(files) * 1e6:.0f} us of it in user space): {ref_cpu / ours_cpu:.0f}x"
        )
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
