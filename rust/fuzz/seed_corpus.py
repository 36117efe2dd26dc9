"""Fills rust/fuzz/corpus/<target>/ with seed inputs: pydicom's test files and fastdeid's synthetic
files (nothing is committed: the seeds are made at run time).  python rust/fuzz/seed_corpus.py"""

from __future__ import annotations

import shutil
from io import BytesIO
from pathlib import Path

import pydicom

from fastdeid.synth import make_dataset

TARGETS = ("tokenizer", "identity", "full_profile")
MAX_SEED = 256 * 1024  # big pixel files slow the fuzzer without adding header shapes


def main() -> None:
    corpus = Path(__file__).parent / "corpus"
    seeds: list[tuple[str, bytes]] = []
    for path in sorted((Path(pydicom.__file__).parent / "data" / "test_files").rglob("*")):
        if path.is_file() and path.stat().st_size <= MAX_SEED:
            seeds.append((path.name, path.read_bytes()))
    for n, implicit in enumerate((False, True)):
        buf = BytesIO()
        make_dataset(patient=n, rows=4, columns=4, implicit=implicit).save_as(buf, enforce_file_format=True)
        seeds.append((f"synthetic_{n}.dcm", buf.getvalue()))
    for target in TARGETS:
        folder = corpus / target
        shutil.rmtree(folder, ignore_errors=True)
        folder.mkdir(parents=True)
        for name, data in seeds:
            (folder / name).write_bytes(data)
    print(f"{len(seeds)} seeds in each of {', '.join(str(corpus / t) for t in TARGETS)}")


if __name__ == "__main__":
    main()
