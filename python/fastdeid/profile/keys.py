"""The secret key of the keyed Basic Profile actions: pseudonyms, replacement UIDs, date shifts.

Whoever holds the key can recompute every pseudonym from a list of patient IDs, so it lives in a
file only its owner can read, is never printed, and is never overwritten (a new key would break
the link between data sets de-identified before and after). docs/basic-profile.md, "The key".

A key file holds 32 random bytes as 64 hex digits (what `new_key` writes) or as base64 (what
`openssl rand -base64 32` writes), and nothing else but surrounding whitespace.
"""

from __future__ import annotations

import base64
import binascii
import os
import secrets
import stat
from pathlib import Path

from ..errors import UsageError

KEY_BYTES = 32
ENV_VAR = "FASTDEID_KEY_FILE"


def new_key(path: str | os.PathLike[str]) -> Path:
    """Write a new random key to `path` with mode 0600 and return the path; an existing file is refused."""
    p = Path(path).expanduser()
    text = secrets.token_bytes(KEY_BYTES).hex() + "\n"
    try:
        # O_EXCL: never replace a key, not even one created between a check and the open.
        fd = os.open(p, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        raise UsageError(f"{p}: already exists; a key is never overwritten, choose another name") from None
    except OSError as exc:
        raise UsageError(f"{p}: cannot create the key file: {exc.strerror}") from None
    try:
        # The umask can only remove bits from 0600, but a umask that removes the owner's bits
        # would leave a key its owner cannot read back.
        os.fchmod(fd, 0o600)
        os.write(fd, text.encode("ascii"))
        os.fsync(fd)
    finally:
        os.close(fd)
    return p


def load_key(path: str | os.PathLike[str]) -> bytes:
    """The 32 key bytes in `path`; a missing, shared (group or others may access it) or malformed file is refused."""
    p = Path(path).expanduser()
    try:
        info = p.stat()
    except FileNotFoundError:
        raise UsageError(f"{p}: no such key file (create one with `fastdeid key new {p}`)") from None
    except OSError as exc:
        raise UsageError(f"{p}: cannot read the key file: {exc.strerror}") from None
    if not stat.S_ISREG(info.st_mode):
        raise UsageError(f"{p}: the key file is not a regular file")
    # Read access leaks the key; write access lets someone swap in a key they know.
    if os.name == "posix" and info.st_mode & 0o077:
        mode = stat.S_IMODE(info.st_mode)
        raise UsageError(f"{p}: the key file is open to group or others (mode {mode:04o}); run `chmod 600 {p}`")
    try:
        text = p.read_bytes()
    except OSError as exc:
        raise UsageError(f"{p}: cannot read the key file: {exc.strerror}") from None
    key = _decode(text.strip())
    if key is None:
        # The message never quotes the file: it may be a key with a typo.
        raise UsageError(f"{p}: not a key file: expected 32 bytes as 64 hex digits or as base64")
    return key


def _decode(text: bytes) -> bytes | None:
    if len(text) == 2 * KEY_BYTES:
        try:
            return bytes.fromhex(text.decode("ascii"))
        except (UnicodeDecodeError, ValueError):
            return None
    try:
        key = base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        return None
    return key if len(key) == KEY_BYTES else None


def key_path(
    cli_value: str | os.PathLike[str] | None,
    profile_value: str | os.PathLike[str] | None,
    profile_dir: str | os.PathLike[str] | None = None,
) -> Path | None:
    """Where the key is: `--key-file`, else $FASTDEID_KEY_FILE, else the profile's `key-file:`, else None.

    A relative `key-file:` in a profile is taken relative to the profile's folder (`profile_dir`),
    so a profile and its key can move together; the other two are relative to the working folder.
    """
    if cli_value:
        return Path(cli_value).expanduser()
    env = os.environ.get(ENV_VAR)
    if env:
        return Path(env).expanduser()
    if profile_value:
        p = Path(profile_value).expanduser()
        return p if p.is_absolute() or profile_dir is None else Path(profile_dir) / p
    return None
