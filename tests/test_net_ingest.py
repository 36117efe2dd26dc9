"""`ingest ... --to URL` (the Python entry point; the command line's --to takes a URL once cli/ingest.py
routes it here): every instance arrives in Orthanc de-identified, once, by C-STORE and STOW-RS."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from net_helpers import check_arrived, write_profile, write_tree

import fastdeid
from fastdeid.ingest.items import Item
from fastdeid.net.ingest import ingest_to_network

if TYPE_CHECKING:
    from orthanc import Orthanc

pytest_plugins = ("orthanc",)  # the `orthanc` fixture


@pytest.mark.parametrize("kind", ["dimse", "dicomweb"])
def test_ingest_to_the_archive_delivers_every_instance_de_identified(
    orthanc: Orthanc, tmp_path: Path, kind: str
) -> None:
    src = tmp_path / "src"
    originals = write_tree(src, 16)
    items = [Item(p, p.relative_to(src).as_posix()) for p in sorted(src.rglob("*.dcm"))]
    url = orthanc.dicom_url if kind == "dimse" else orthanc.dicomweb_url
    profile = fastdeid.load_profile(write_profile(tmp_path))
    result = ingest_to_network(items, url, "grp", "proj", profile, outbox=tmp_path / "outbox")
    assert (result.ingest.ok, result.ingest.failed) == (16, 0)
    assert (len(result.delivery.sent), result.delivery.failed, result.delivery.queued) == (16, [], [])
    check_arrived(orthanc, originals)
    assert list((tmp_path / "outbox").rglob("*.dcm")) == []
    # Again: the same instances are resent and the archive still holds one of each.
    again = ingest_to_network(items, url, "grp", "proj", profile, outbox=tmp_path / "outbox")
    assert len(again.delivery.sent) == 16
    assert len(orthanc.instances()) == 16


def test_ingest_cli_to_the_archive(orthanc: Orthanc, tmp_path: Path) -> None:
    """`fastdeid ingest dicom SRC GROUP PROJECT --to dicom://...`: the command line over the same path."""
    from net_helpers import fastdeid as cli

    src = tmp_path / "src"
    originals = write_tree(src, 8)
    done = cli(
        "ingest",
        "dicom",
        str(src),
        "grp",
        "proj",
        "--to",
        orthanc.dicom_url,
        "--deid-profile",
        str(write_profile(tmp_path)),
        "--outbox",
        str(tmp_path / "outbox"),
        "-q",
    )
    assert done.returncode == 0, done.stderr
    assert "8 sent, 0 failed, 0 queued" in done.stdout
    check_arrived(orthanc, originals)
