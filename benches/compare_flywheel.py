"""Side by side with the reference: flywheel-migration 13.10.11 and fastdeid on the same small-file
set and profile, one core each, files/s per core.

    python benches/compare_flywheel.py [--files 300] [--oracle .oracle/bin/python]
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import fastdeid

sys.path.insert(0, str(Path(__file__).parent))
from corpus import write_small_file_corpus  # noqa: E402

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
    parser.add_argument("--profile", default=str(Path(fastdeid.__file__).parent / "profiles" / "bench.yaml"))
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="fastdeid-vs-flywheel-"))
    try:
        src = work / "src"
        files = write_small_file_corpus(src, args.files)
        listing = work / "files.txt"
        listing.write_text("\n".join(str(p.relative_to(src)) for p in files))
        (work / "ref").mkdir()
        done = subprocess.run([args.oracle, "-c", REFERENCE, args.profile, str(src), str(work / "ref"), str(listing)], capture_output=True, text=True, check=True)
        ref_seconds = json.loads(done.stdout.strip().splitlines()[-1])["seconds"]
        started = time.perf_counter()
        report = fastdeid.run(src, work / "ours", args.profile, jobs=1, fsync=False)
        ours_seconds = time.perf_counter() - started
        assert report.ok == len(files), report.failures[:3]
        ref_rate, ours_rate = len(files) / ref_seconds, len(files) / ours_seconds
        print(f"{len(files)} files of about {files[0].stat().st_size // 1024} KB, profile {Path(args.profile).name}, one core each")
        print(f"flywheel-migration 13.10.11: {ref_rate:8.0f} files/s")
        print(f"fastdeid (jobs=1):           {ours_rate:8.0f} files/s")
        print(f"ratio: {ours_rate / ref_rate:.0f}x per core")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
