"""The network front ends' edges: SIGTERM lets the association in flight finish, who may call,
and usage errors (one line, exit 2)."""

from __future__ import annotations

import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import pytest
from net_helpers import fastdeid, free_port, write_profile, write_tree

pytest.importorskip("pynetdicom")
from fastdeid.net.callers import Allowed


def test_sigterm_stops_accepting_but_finishes_the_association_in_flight(tmp_path: Path) -> None:
    from test_net_listen import echo, send, start_listen

    write_tree(tmp_path / "src", 60)
    paths = sorted((tmp_path / "src").rglob("*.dcm"))
    port = free_port()
    out = tmp_path / "out"
    listen = start_listen(tmp_path, port, "--to", str(out))
    acked: set[Path] = set()
    sender = threading.Thread(target=send, args=(port, paths, acked))
    sender.start()
    while len(acked) < 10 and sender.is_alive():
        time.sleep(0.005)
    listen.send_signal(signal.SIGTERM)
    time.sleep(0.5)
    assert echo(port, "SENDER") is None  # no new association once stopping
    sender.join(120)
    stdout, stderr = listen.communicate(timeout=120)
    assert listen.returncode == 0, stderr
    assert len(acked) == 60  # the association in flight was not cut
    assert len(list(out.glob("*.dcm"))) == 60
    assert "60 received, 60 stored, 0 failed, 0 callers refused" in stdout


@pytest.mark.parametrize(
    ("entries", "aet", "address", "allowed"),
    [
        ([], "ANY", "127.0.0.1", True),
        ([], "ANY", "::1", True),
        ([], "ANY", "10.0.0.7", False),
        (["MODALITY"], "MODALITY", "127.0.0.1", True),
        (["MODALITY"], "OTHER", "127.0.0.1", False),
        (["MODALITY"], "MODALITY", "10.0.0.7", False),
        (["10.0.0.0/24"], "ANY", "10.0.0.7", True),
        (["10.0.0.0/24"], "ANY", "10.0.1.7", False),
        (["10.0.0.0/24"], "ANY", "127.0.0.1", False),
        (["10.0.0.0/24", "MODALITY"], "MODALITY", "10.0.0.7", True),
        (["10.0.0.0/24", "MODALITY"], "OTHER", "10.0.0.7", False),
        (["10.0.0.0/24"], "ANY", "::ffff:10.0.0.7", True),  # an IPv4 caller of a dual-stack socket
        (["MODALITY "], "MODALITY", "127.0.0.1", True),
    ],
)
def test_who_may_call(entries: list[str], aet: str, address: str, allowed: bool) -> None:
    """Both checks must pass: the address when connecting, the AE title when associating."""
    rules = Allowed.parse(entries)
    assert (rules.permits_address(address) and rules.permits_aet(aet)) is allowed


@pytest.mark.parametrize("entry", ["A" * 17, "BAD\\AET", "NÖ"])
def test_an_allow_entry_that_is_no_address_nor_ae_title_is_a_usage_error(tmp_path: Path, entry: str) -> None:
    done = fastdeid(
        "listen", "--aet", "X", "--port", str(free_port()), "--profile", str(write_profile(tmp_path)),
        "--to", str(tmp_path / "out"), "--allow", entry,
    )  # fmt: skip
    assert done.returncode == 2
    assert done.stderr.count("\n") == 1 and "neither an address, a network nor an AE title" in done.stderr


@pytest.mark.parametrize("url", ["dicom://127.0.0.1:104", "dicomweb+http:///x"])
def test_a_bad_destination_url_is_one_line_and_exit_2(tmp_path: Path, url: str) -> None:
    write_tree(tmp_path / "src", 1)
    done = fastdeid("run", str(tmp_path / "src"), url, "--profile", str(write_profile(tmp_path)))
    assert done.returncode == 2
    assert done.stderr.count("\n") == 1 and done.stderr.startswith("fastdeid: error: ")
    assert "Traceback" not in done.stderr


def test_listen_needs_a_target(tmp_path: Path) -> None:
    done = fastdeid("listen", "--aet", "X", "--port", "11112", "--profile", str(write_profile(tmp_path)))
    assert done.returncode == 2
    assert "--to" in done.stderr


@pytest.mark.parametrize("url", ["ftp://host/x", "dicomweb://host/x", "dicom:/X@host:1", "HTTP://host/x"])
def test_a_url_of_another_scheme_is_refused_before_anything_is_written(tmp_path: Path, url: str) -> None:
    """Taken as a folder, `ftp://host/x` would fill a local folder named `ftp:`."""
    write_tree(tmp_path / "src", 2)
    profile = str(write_profile(tmp_path))
    for args in (
        ("run", str(tmp_path / "src"), url, "--profile", profile),
        ("ingest", "dicom", str(tmp_path / "src"), "grp", "proj", "--to", url, "--deid-profile", profile),
    ):
        done = fastdeid(*args, env={"XDG_CACHE_HOME": str(tmp_path / "cache")})
        assert done.returncode == 2, done.stderr
        assert done.stderr.count("\n") == 1 and "not a supported destination URL" in done.stderr
        assert sorted(p.name for p in tmp_path.iterdir()) == ["net.yaml", "src"]  # no `ftp:` folder, no outbox


def test_a_folder_named_like_a_url_is_still_reachable_with_dot_slash(tmp_path: Path, monkeypatch: Any) -> None:
    write_tree(tmp_path / "src", 1)
    monkeypatch.chdir(tmp_path)
    done = fastdeid("run", "src", "./ftp://x", "--profile", str(write_profile(tmp_path)))
    assert done.returncode == 0, done.stderr
    assert len(list((tmp_path / "ftp:" / "x").rglob("*.dcm"))) == 1


@pytest.mark.parametrize("url", ["dicomweb+https://[::1", "dicom://X@[::1:104"])
def test_an_unclosed_ipv6_bracket_is_one_line_and_exit_2(tmp_path: Path, url: str) -> None:
    write_tree(tmp_path / "src", 1)
    profile = str(write_profile(tmp_path))
    for args in (
        ("run", str(tmp_path / "src"), url, "--profile", profile),
        ("ingest", "dicom", str(tmp_path / "src"), "grp", "proj", "--to", url, "--deid-profile", profile),
        ("listen", "--aet", "X", "--port", str(free_port()), "--profile", profile, "--forward", url),
    ):
        done = fastdeid(*args, env={"XDG_CACHE_HOME": str(tmp_path / "cache")})
        assert done.returncode == 2, done.stderr
        assert done.stderr == f"fastdeid: error: {url}: not a valid URL (Invalid IPv6 URL)\n"


def listen_args(tmp_path: Path, *extra: str) -> tuple[str, ...]:
    return ("listen", "--profile", str(write_profile(tmp_path)), "--to", str(tmp_path / "out"), *extra)


@pytest.mark.parametrize("port", ["99999", "65536", "-1", "eleven"])
def test_a_port_out_of_range_is_a_usage_error_before_anything_is_made(tmp_path: Path, port: str) -> None:
    done = fastdeid(*listen_args(tmp_path, "--aet", "X", "--port", port))
    assert done.returncode == 2
    assert "Traceback" not in done.stderr
    shown = port if port != "eleven" else repr(port)
    assert done.stderr.count("\n") == 1, "one line"
    assert f"argument --port: {shown}: not a port number (0 to 65535)" in done.stderr
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize(
    ("aet", "why"),
    [
        ("WAYTOOLONGAETITLE123", "at most 16 characters"),
        ("", "not empty nor all spaces"),
        ("   ", "not empty nor all spaces"),
        ("A\\B", "no backslash"),
        ("A\tB", "no control character"),
        ("NÖ", "ASCII characters only"),
    ],
)
def test_a_bad_ae_title_is_a_usage_error(tmp_path: Path, aet: str, why: str) -> None:
    done = fastdeid(*listen_args(tmp_path, "--aet", aet, "--port", str(free_port())))
    assert done.returncode == 2
    assert "Traceback" not in done.stderr
    assert done.stderr.count("\n") == 1 and "argument --aet: " in done.stderr and why in done.stderr
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("entry", ["10.1.2.0/33", "10.1.2.300", "1.2.3", "10.1.2.0/8/8", "fe80::/129", "::1::2/64"])
def test_an_allow_entry_that_looks_like_an_address_must_be_one(tmp_path: Path, entry: str) -> None:
    """Taken as an AE title, a mistyped network would let every loopback caller with that title in."""
    done = fastdeid(*listen_args(tmp_path, "--aet", "X", "--port", str(free_port()), "--allow", entry))
    assert done.returncode == 2
    assert done.stderr.count("\n") == 1 and f"--allow {entry!r}: not an address nor a network" in done.stderr


def test_a_bare_number_is_still_an_ae_title() -> None:
    assert Allowed.parse(["12345"]).aets == {"12345"}


@pytest.mark.parametrize("url", ["dicom://ARCHIVE@nohost.invalid:104", "dicomweb+http://nohost.invalid/dicom-web"])
def test_a_host_name_that_does_not_resolve_leaves_the_files_queued(tmp_path: Path, url: str) -> None:
    """As when the archive refuses the connection: the run's summary, the files queued, exit 1."""
    write_tree(tmp_path / "src", 3)
    outbox = tmp_path / "outbox"
    done = fastdeid(
        "run", str(tmp_path / "src"), url, "--profile", str(write_profile(tmp_path)), "--outbox", str(outbox),
        env={"FASTDEID_SEND_RETRIES": "0"},
    )  # fmt: skip
    assert done.returncode == 1, done.stderr
    assert "3 ok, 0 failed" in done.stdout and "send: 0 sent, 0 failed, 3 queued" in done.stdout
    assert "fastdeid: nohost.invalid: cannot resolve the host name\n" in done.stderr
    assert len(list(outbox.rglob("*.dcm"))) == 3


def test_port_0_says_the_port_bound_once_it_is_bound(tmp_path: Path) -> None:
    from test_net_listen import echo

    command = [sys.executable, "-m", "fastdeid", *listen_args(tmp_path, "--aet", "DEIDNODE", "--port", "0")]
    listen = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert listen.stderr is not None
        line = listen.stderr.readline()  # printed once bound: the server answers from then on
        assert line.startswith("listening as DEIDNODE on 127.0.0.1:"), line
        port = int(line.split(",")[0].rsplit(":", 1)[1])
        assert port != 0 and echo(port, "SENDER") == 0x0000
    finally:
        listen.send_signal(signal.SIGTERM)
        listen.communicate(timeout=60)
    assert listen.returncode == 0


def test_a_port_in_use_is_one_line_and_no_listening_line(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        done = fastdeid(*listen_args(tmp_path, "--aet", "X", "--port", str(port)))
    assert done.returncode == 2
    assert done.stderr == f"fastdeid: error: 127.0.0.1:{port}: io: cannot listen (Address already in use)\n"
