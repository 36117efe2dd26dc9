"""Key files for the keyed Basic Profile actions (python/fastdeid/profile/keys.py): created private and
never overwritten, refused when missing, shared or malformed, found by flag, environment, profile."""

from __future__ import annotations

import base64
import os
import stat
from pathlib import Path

import pytest

from fastdeid.errors import UsageError
from fastdeid.profile.keys import ENV_VAR, key_path, load_key, new_key

pytestmark = pytest.mark.skipif(os.name != "posix", reason="file modes are POSIX")


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def refused(path: Path) -> str:
    with pytest.raises(UsageError) as info:
        load_key(path)
    message = str(info.value)
    assert "\n" not in message and str(path) in message
    return message


def test_new_key_is_private_random_and_loads_back(tmp_path: Path) -> None:
    old = os.umask(0)  # even with no umask the key is 0600
    try:
        a = new_key(tmp_path / "a.key")
    finally:
        os.umask(old)
    b = new_key(tmp_path / "b.key")
    assert mode(a) == 0o600 and mode(b) == 0o600
    text = a.read_text()
    assert len(text.strip()) == 64 and text.endswith("\n")
    key = load_key(a)
    assert key == bytes.fromhex(text) and len(key) == 32
    assert load_key(b) != key


def test_new_key_never_overwrites(tmp_path: Path) -> None:
    path = new_key(tmp_path / "k")
    before = path.read_bytes()
    with pytest.raises(UsageError, match="already exists"):
        new_key(path)
    assert path.read_bytes() == before
    with pytest.raises(UsageError, match="cannot create"):
        new_key(tmp_path / "no-such-folder" / "k")


def test_new_key_expands_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HOME", str(tmp_path))
    assert new_key("~/k") == tmp_path / "k"
    assert len(load_key("~/k")) == 32


def test_missing_and_non_regular_files_are_refused(tmp_path: Path) -> None:
    assert "no such key file" in refused(tmp_path / "absent.key")
    assert "not a regular file" in refused(tmp_path)


@pytest.mark.parametrize("bits", [0o640, 0o604, 0o620, 0o602, 0o644, 0o660])
def test_key_files_open_to_group_or_others_are_refused(tmp_path: Path, bits: int) -> None:
    path = new_key(tmp_path / "k")
    secret = path.read_text().strip()
    path.chmod(bits)
    message = refused(path)
    assert f"{bits:04o}" in message and "chmod 600" in message
    assert secret not in message
    path.chmod(0o400)  # read-only for the owner is fine
    assert load_key(path).hex() == secret


@pytest.mark.parametrize(
    "content",
    [
        b"",
        b"00" * 31,  # 31 bytes
        b"00" * 33,
        b"zz" * 32,  # 64 characters, not hex
        base64.b64encode(bytes(16)),  # valid base64, too short
        base64.b64encode(bytes(32)) + b"!",
        "é".encode() * 32,
    ],
)
def test_malformed_keys_are_refused_without_quoting_them(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "k"
    path.write_bytes(content)
    path.chmod(0o600)
    message = refused(path)
    assert "not a key file" in message
    if content:
        assert content.decode("utf-8") not in message


def test_hex_and_base64_keys_load(tmp_path: Path) -> None:
    key = bytes(range(32))
    for name, text in [("hex", key.hex().upper() + "\r\n"), ("b64", "  " + base64.b64encode(key).decode() + "\n")]:
        path = tmp_path / name
        path.write_text(text)
        path.chmod(0o600)
        assert load_key(path) == key


def test_key_path_prefers_flag_then_environment_then_profile(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(ENV_VAR, raising=False)
    assert key_path(None, None) is None
    assert key_path(None, "rel.key", profile_dir=tmp_path) == tmp_path / "rel.key"
    assert key_path(None, "/abs/p.key", profile_dir=tmp_path) == Path("/abs/p.key")
    assert key_path(None, "rel.key") == Path("rel.key")
    monkeypatch.setenv(ENV_VAR, "/env/e.key")
    assert key_path(None, "rel.key", profile_dir=tmp_path) == Path("/env/e.key")
    assert key_path("/cli/c.key", "rel.key") == Path("/cli/c.key")
    monkeypatch.setenv(ENV_VAR, "")
    assert key_path(None, "/abs/p.key") == Path("/abs/p.key"), "an empty variable is unset"
    monkeypatch.setenv("HOME", str(tmp_path))
    assert key_path("~/c.key", None) == tmp_path / "c.key"


def test_key_new_on_the_command_line_writes_a_private_key_once(tmp_path: Path) -> None:
    import subprocess
    import sys

    path = tmp_path / "project.key"
    run = [sys.executable, "-m", "fastdeid", "key", "new", str(path)]
    first = subprocess.run(run, capture_output=True, text=True, check=False)
    assert first.returncode == 0 and stat.S_IMODE(path.stat().st_mode) == 0o600
    key = path.read_bytes()
    assert len(load_key(path)) == 32 and key.strip().hex() not in first.stdout
    again = subprocess.run(run, capture_output=True, text=True, check=False)
    assert again.returncode == 2 and "never overwritten" in again.stderr and path.read_bytes() == key
