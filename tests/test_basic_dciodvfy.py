"""`dciodvfy` (dicom3tools) reports no new errors on `basic` outputs of pydicom's test files (SR
documents and waveforms among them: D on their Type 1 and 1C sequences must not leave them
invalid)."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pydicom
import pytest

from fastdeid.api import deidentify_bytes
from fastdeid.errors import DicomError
from fastdeid.profile.basic import BasicOverrides
from fastdeid.profile.keys import new_key
from fastdeid.profile.load import load_profile

DCIODVFY = shutil.which("dciodvfy")
TEST_FILES = Path(pydicom.__file__).parent / "data" / "test_files"
# Inputs whose structure dciodvfy cannot follow (tags out of order, no IOD): their error lists
# are cut short, so a comparison with the output would be meaningless.
UNCHECKABLE = ("Tags out of order", "Information Object Not found")


def errors(path: Path) -> tuple[set[str], str]:
    done = subprocess.run([DCIODVFY or "dciodvfy", str(path)], capture_output=True, text=True, timeout=60, check=False)
    text = done.stdout + done.stderr
    return {re.sub(r"\s+", " ", line.strip()) for line in text.splitlines() if line.startswith("Error")}, text


@pytest.mark.skipif(DCIODVFY is None, reason="dciodvfy (Debian package dicom3tools) is not installed")
def test_basic_outputs_have_no_new_dciodvfy_errors(tmp_path: Path) -> None:
    profile = load_profile("basic", BasicOverrides(key_file=str(new_key(tmp_path / "k.key")), allow_burned_in=True))
    checked, new = 0, {}
    for src in sorted(TEST_FILES.glob("*.dcm")):
        before, text = errors(src)
        if any(marker in text for marker in UNCHECKABLE):
            continue
        try:
            out_bytes = deidentify_bytes(src.read_bytes(), profile)
        except DicomError:
            continue  # damaged inputs and DICOMDIRs are refused, not written
        out = tmp_path / src.name
        out.write_bytes(out_bytes)
        after, _ = errors(out)
        added = after - before
        if added:
            new[src.name] = sorted(added)
        checked += 1
    assert checked >= 30
    assert new == {}
