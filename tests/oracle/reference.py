"""Runs flywheel-migration 13.10.11 (the reference) over files, for the differential tests.

Executed by the oracle's own interpreter (a separate virtualenv, see .ci/run), never imported by
the tests:  python reference.py < job.json > results.json
job: {"profile": path, "files": [paths], "out": dir}; each file is processed alone into out/<i>/.
"""

import json
import logging
import sys
import warnings
from pathlib import Path

warnings.simplefilter("ignore")
logging.disable(logging.CRITICAL)

from flywheel_migration.deidentify import load_profile  # noqa: E402 (after silencing its import-time warnings)
from fs.osfs import OSFS  # noqa: E402


def main() -> None:
    job = json.load(sys.stdin)
    results = []
    for i, name in enumerate(job["files"]):
        src = Path(name)
        dst = Path(job["out"]) / str(i)
        dst.mkdir(parents=True, exist_ok=True)
        entry = {"file": name, "output": None, "error": None}
        try:
            # A fresh profile per file: the reference keeps state on the profile object (E10).
            profile = load_profile(job["profile"]).get_file_profile("dicom")
            profile.process_files(OSFS(str(src.parent)), OSFS(str(dst)), [src.name])
            outputs = sorted(p for p in dst.iterdir() if p.is_file())
            if outputs:
                entry["output"] = str(outputs[0])
            else:
                entry["error"] = "skipped"
        except BaseException as exc:
            entry["error"] = f"{type(exc).__name__}: {exc}"
        results.append(entry)
    json.dump(results, sys.stdout)


if __name__ == "__main__":
    main()
