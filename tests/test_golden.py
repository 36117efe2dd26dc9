"""Golden outputs: the sha256 of every output of every profile in tests/profiles over a fixed input tree.

The hashes in tests/golden/outputs.json were recorded before the engine was restructured (issue 11); a
refactor that changes any output byte, output name or deid log row fails here. When a change of
output is intended, regenerate with `FASTDEID_GOLDEN_RECORD=1 python -m pytest tests/test_golden.py`
and say why in the commit.

The inputs are pydicom's bundled `.dcm` files that parse and the generated PHI files (deterministic).
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest

from conftest import INVALID, PYDICOM_FILES, is_candidate, phi_files, pydicom_files, sha256
from fastdeid.cli import main
from fastdeid.jobs.resume import DONE, MANIFEST

GOLDEN = Path(__file__).parent / "golden" / "outputs.json"
PROFILES = sorted((Path(__file__).parent / "profiles").glob("*.yaml"))
RECORD = os.environ.get("FASTDEID_GOLDEN_RECORD") == "1"


@pytest.fixture(scope="module")
def source(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("golden-src")
    for p in pydicom_files():
        rel = str(p.relative_to(PYDICOM_FILES))
        if p.suffix == ".dcm" and is_candidate(rel) and rel not in INVALID:
            dest = root / "pydicom" / rel
            dest.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(p, dest)
    phi_files(root)
    return root


def _tree(root: Path) -> dict[str, str]:
    """Relative path -> sha256 of every file under root (the resume manifest and journal excepted:
    they hold inode numbers)."""
    return {
        str(p.relative_to(root)): sha256(p)
        for p in sorted(root.rglob("*"))
        if p.is_file() and p.name not in (MANIFEST, DONE)
    }


def _runs(source: Path, out: Path) -> dict[str, dict[str, str]]:
    results: dict[str, dict[str, str]] = {}
    for profile in PROFILES:
        dest = out / profile.stem
        code = main(
            [
                "run",
                str(source),
                str(dest),
                "--profile",
                str(profile),
                "-q",
                "--deid-log",
                str(out / f"{profile.stem}.csv"),
            ]
        )
        assert code in (0, 1), profile.name
        results[f"run {profile.stem}"] = _tree(dest) | {"deid_log.csv": sha256(out / f"{profile.stem}.csv")}
    dest = out / "by-uid"
    assert main(["run", str(source), str(dest), "--profile", str(PROFILES[0]), "--name-by-uid", "-q"]) in (0, 1)
    results["run --name-by-uid 01_seed"] = _tree(dest)
    dest = out / "ingest"
    argv = ["ingest", "dicom", str(source), "grp", "proj", "--to", str(dest), "--deid-profile", str(PROFILES[2]), "-q"]
    assert main(argv) in (0, 1)
    results["ingest dicom 03_uids"] = _tree(dest)
    return results


def test_outputs_match_the_recorded_hashes(source: Path, tmp_path: Path) -> None:
    results = _runs(source, tmp_path)
    if RECORD:
        GOLDEN.parent.mkdir(exist_ok=True)
        GOLDEN.write_text(json.dumps(results, indent=1, sort_keys=True) + "\n")
    golden = json.loads(GOLDEN.read_text())
    assert sorted(results) == sorted(golden)
    for job, files in golden.items():
        assert results[job] == files, f"{job}: outputs differ from the recorded ones"
