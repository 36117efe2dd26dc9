"""`fastdeid run SRC dicom://...` and `run SRC dicomweb+http://...` against a real Orthanc: every
instance arrives de-identified, once; an archive that is down leaves files queued (exit 1) and the
same command, rerun, delivers them."""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from net_helpers import check_arrived, fastdeid, write_profile, write_tree

from fastdeid.errors import UsageError
from fastdeid.net.url import parse_destination

if TYPE_CHECKING:
    from orthanc import Orthanc

pytest_plugins = ("orthanc",)  # the `orthanc` fixture


@pytest.mark.parametrize("kind", ["dimse", "dicomweb"])
def test_run_to_the_archive_delivers_every_instance_de_identified(orthanc: Orthanc, tmp_path: Path, kind: str) -> None:
    originals = write_tree(tmp_path / "src", 24)
    url = orthanc.dicom_url if kind == "dimse" else orthanc.dicomweb_url
    outbox = tmp_path / "outbox"
    done = fastdeid(
        "run", str(tmp_path / "src"), url, "--profile", str(write_profile(tmp_path)), "--outbox", str(outbox)
    )
    assert done.returncode == 0, done.stderr
    assert "24 sent, 0 failed, 0 queued" in done.stdout
    check_arrived(orthanc, originals)
    # Nothing waits in the outbox, and it is private.
    assert list(outbox.rglob("*.dcm")) == []
    assert os.stat(outbox).st_mode & 0o777 == 0o700


def test_an_archive_that_is_down_leaves_files_queued_and_the_rerun_delivers_them(
    orthanc: Orthanc, tmp_path: Path
) -> None:
    originals = write_tree(tmp_path / "src", 12)
    command = ["run", str(tmp_path / "src"), orthanc.dicom_url, "--profile", str(write_profile(tmp_path))]
    command += ["--outbox", str(tmp_path / "outbox")]
    orthanc.stop()
    down = fastdeid(*command, env={"FASTDEID_SEND_RETRIES": "1"})
    assert down.returncode == 1, down.stderr
    assert "0 sent, 0 failed, 12 queued" in down.stdout
    queued = list((tmp_path / "outbox").rglob("*.dcm"))
    assert len(queued) == 12
    assert all(os.stat(p).st_mode & 0o777 == 0o600 for p in queued)

    orthanc.start()
    again = fastdeid(*command)
    assert again.returncode == 0, again.stderr
    assert "12 sent, 0 failed, 0 queued" in again.stdout
    check_arrived(orthanc, originals)
    # A third run has nothing left to do or send.
    third = fastdeid(*command)
    assert third.returncode == 0, third.stderr
    assert "0 sent, 0 failed, 0 queued" in third.stdout
    assert len(orthanc.instances()) == 12


@pytest.mark.parametrize(
    "text",
    ["dicom://127.0.0.1:104", "dicom://AET@127.0.0.1", "dicom://AET@host:99999", "dicomweb+http:///x", "ftp://x"],
)
def test_a_malformed_destination_is_a_usage_error(text: str) -> None:
    with pytest.raises(UsageError):
        parse_destination(text)


def test_destinations_parse() -> None:
    d = parse_destination("dicom://PACS@10.0.0.5:11112")
    assert (d.kind, d.aet, d.host, d.port) == ("dimse", "PACS", "10.0.0.5", 11112)
    w = parse_destination("dicomweb+https://pacs.example.org/dicom-web/")
    assert (w.kind, w.base, w.port) == ("dicomweb", "https://pacs.example.org/dicom-web", 443)
