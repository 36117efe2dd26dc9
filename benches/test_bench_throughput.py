"""Throughput benchmarks, side by side with a plain copy of the same tree.

Off in the normal test run; run with:
    python -m pytest benches --benchmark-enable --benchmark-columns=mean,ops
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import pydicom
import pytest

import fastdeid

sys.path.insert(0, str(Path(__file__).parent))
from corpus import write_small_file_corpus  # noqa: E402

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
    report = benchmark.pedantic(lambda: fastdeid.run(small_tree, _fresh(tmp_path, "out"), profile, jobs=jobs, fsync=False), rounds=3)
    assert report.ok == 2000


def test_small_tree_copy(benchmark, small_tree: Path, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    benchmark.pedantic(lambda: shutil.copytree(small_tree, _fresh(tmp_path, "copy")), rounds=3)
