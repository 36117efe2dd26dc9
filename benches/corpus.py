"""Deterministic synthetic corpus for the benchmarks: patients -> studies -> series -> instances,
written with fastdeid.synth (fake PHI in names, dates, UIDs, a nested sequence and a private block).

    python benches/corpus.py OUT_DIR --files 10000 --rows 128
"""

from __future__ import annotations

import argparse
from pathlib import Path

from fastdeid.synth import make_dataset


def write_small_file_corpus(root: Path, files: int, rows: int = 128) -> list[Path]:
    """`files` single-frame images of rows x rows 16-bit pixels (128 -> about 33 KB each)."""
    paths = []
    per_series = 50
    for n in range(files):
        patient, series, instance = n // (per_series * 4), (n // per_series) % 4, n % per_series
        folder = root / f"p{patient:04d}" / f"s{series}"
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / f"{instance:04d}.dcm"
        if not path.exists():
            make_dataset(patient, 0, series, instance, rows=rows, columns=rows, implicit=(n % 10 == 0)).save_as(
                path, enforce_file_format=True
            )
        paths.append(path)
    return paths


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path)
    parser.add_argument("--files", type=int, default=1000)
    parser.add_argument("--rows", type=int, default=128)
    args = parser.parse_args()
    paths = write_small_file_corpus(args.out, args.files, args.rows)
    print(f"{len(paths)} files under {args.out}")


if __name__ == "__main__":
    main()
