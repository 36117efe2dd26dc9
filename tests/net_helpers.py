"""Shared pieces of the network tests: a synthetic source tree, a profile that changes names and
UIDs, and the checks made through Orthanc's REST API."""

from __future__ import annotations

import io
import os
import socket
import subprocess
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import pydicom

from fastdeid.synth import make_dataset

if TYPE_CHECKING:
    from orthanc import Orthanc

PROFILE = """\
name: net-test
dicom:
  remove-private-tags: true
  fields:
    - name: PatientName
      replace-with: DEID^NAME
    - name: PatientID
      replace-with: DEID-ID
    - name: StudyInstanceUID
      hashuid: true
    - name: SeriesInstanceUID
      hashuid: true
    - name: SOPInstanceUID
      hashuid: true
"""


def free_port() -> int:
    """A TCP port free on 127.0.0.1 now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def write_profile(folder: Path) -> Path:
    path = folder / "net.yaml"
    path.write_text(PROFILE)
    return path


def write_tree(root: Path, count: int, patients: int = 2) -> dict[str, pydicom.Dataset]:
    """COUNT files under ROOT in a few folders; returns the originals by SOPInstanceUID."""
    originals = {}
    for i in range(count):
        ds = make_dataset(patient=i % patients, series=i % 3, instance=i)
        path = root / f"p{i % patients}" / f"s{i % 3}" / f"im{i:04d}.dcm"
        path.parent.mkdir(parents=True, exist_ok=True)
        ds.save_as(path, enforce_file_format=True)
        originals[str(ds.SOPInstanceUID)] = pydicom.dcmread(path)
    return originals


def fastdeid(*args: str, env: dict[str, str] | None = None, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "fastdeid", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        env={**os.environ, **(env or {})},
    )


def check_arrived(server: Orthanc, originals: dict[str, pydicom.Dataset]) -> None:
    """Every original arrived once, de-identified: names replaced, UIDs changed, pixel data
    byte for byte the original's."""
    ids = server.instances()
    assert len(ids) == len(originals)
    by_pixels = {bytes(ds.PixelData): ds for ds in originals.values()}
    assert len(by_pixels) == len(originals)  # each original is found by its pixel data
    seen = set()
    for instance in ids:
        ds = pydicom.dcmread(io.BytesIO(server.file(instance)))
        assert str(ds.PatientName) == "DEID^NAME"
        assert ds.PatientID == "DEID-ID"
        assert str(ds.SOPInstanceUID) not in originals
        original = by_pixels[bytes(ds.PixelData)]
        assert str(ds.StudyInstanceUID) != str(original.StudyInstanceUID)
        assert str(original.SOPInstanceUID) not in seen
        seen.add(str(original.SOPInstanceUID))
    assert len(seen) == len(originals)
