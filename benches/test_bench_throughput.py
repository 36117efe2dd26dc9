"""Throughput benchmarks, side by side with a plain copy of the same tree.

Off in the normal test run; run with:
    python -m pytest benches --benchmark-enable --benchmark-columns=mean,ops
FASTDEID_BENCH_ARCHIVE_MB (default 300) sizes the mixed archive, FASTDEID_BENCH_LARGE_MB (default
512) the single large file.
"""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

import pydicom
import pytest

import fastdeid
from fastdeid.bench import BENCH_PROFILE

sys.path.insert(0, str(Path(__file__).parent))
from corpus import write_small_file_corpus

CT_SMALL = Path(pydicom.__file__).parent / "data" / "test_files" / "CT_small.dcm"


@pytest.fixture(scope="module")
def small_tree(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("small")
    write_small_file_corpus(root, 2000)
    return root


def test_one_file_in_memory(benchmark) -> None:  # type: ignore[no-untyped-def]
    data = CT_SMALL.read_bytes()
    profile = fastdeid.load_profile("minimal")
    out = benchmark(fastdeid.deidentify_bytes, data, profile)
    assert len(out) < len(data)


def _fresh(tmp_path: Path, name: str) -> Path:
    target = tmp_path / name
    shutil.rmtree(target, ignore_errors=True)
    return target


@pytest.mark.parametrize("jobs", [1, 2])
def test_small_tree_fastdeid(benchmark, small_tree: Path, tmp_path: Path, jobs: int) -> None:  # type: ignore[no-untyped-def]
    profile = fastdeid.load_profile("minimal")
    report = benchmark.pedantic(
        lambda: fastdeid.run(small_tree, _fresh(tmp_path, "out"), profile, jobs=jobs, fsync=False), rounds=3
    )
    assert report.ok == 2000


def test_small_tree_copy(benchmark, small_tree: Path, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    benchmark.pedantic(lambda: shutil.copytree(small_tree, _fresh(tmp_path, "copy")), rounds=3)


BENCH = str(BENCH_PROFILE)


@pytest.fixture(scope="module")
def archive(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from fastdeid.synth import write_archive

    root = tmp_path_factory.mktemp("archive")
    write_archive(root, int(os.environ.get("FASTDEID_BENCH_ARCHIVE_MB", "300")))
    return root


def test_mixed_archive_fastdeid(benchmark, archive: Path, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    profile = fastdeid.load_profile(BENCH)
    report = benchmark.pedantic(
        lambda: fastdeid.run(archive, _fresh(tmp_path, "out"), profile, jobs=2, fsync=False), rounds=2
    )
    assert report.failed == 0


def test_mixed_archive_copy(benchmark, archive: Path, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    benchmark.pedantic(lambda: shutil.copytree(archive, _fresh(tmp_path, "copy")), rounds=2)


@pytest.fixture(scope="module")
def large_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from fastdeid.synth import make_dataset

    mb = int(os.environ.get("FASTDEID_BENCH_LARGE_MB", "512"))
    ds = make_dataset(rows=16, columns=16)
    path = tmp_path_factory.mktemp("large") / "large.dcm"
    ds.save_as(path, enforce_file_format=True)
    # Append the pixel data by hand so the generator itself never holds the whole value.
    data = path.read_bytes()
    cut = data.rindex(b"\xe0\x7f\x10\x00")
    with path.open("wb") as f:
        f.write(data[:cut] + b"\xe0\x7f\x10\x00OW\0\0" + (mb << 20).to_bytes(4, "little"))
        chunk = os.urandom(1 << 20)
        for _ in range(mb):
            f.write(chunk)
    return path


def test_one_large_file(benchmark, large_file: Path, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    profile = fastdeid.load_profile(BENCH)
    report = benchmark.pedantic(
        lambda: fastdeid.run(large_file, _fresh(tmp_path, "large_out.dcm"), profile, fsync=False), rounds=2
    )
    assert report.ok == 1
