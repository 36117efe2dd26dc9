"""A project's own profile: `fastdeid project set-profile DEST GROUP PROJECT FILE` attaches a
de-identification profile to DEST/GROUP/PROJECT, and every `ingest --to DEST` into that project
then applies it (as a Flywheel project's de-identification profile does for uploads).

The profile is kept at DEST/.fastdeid/projects/<group>/<project>/profile.yaml (or .json): a dot
folder, which the ingest walkers never enter, outside the group/project folder that ingest writes
data into. Its bytes are stored as given, with mode 0600, since a profile may hold a salt, a
jitter seed or a log path.
"""

from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

from ..errors import UsageError
from ..profile.basic import BasicOverrides
from ..profile.load import Profile, load_profile
from .labels import safe

STORE = Path(".fastdeid") / "projects"
SUFFIXES = (".yaml", ".json")  # `.yml` is stored as `.yaml`


@dataclass(frozen=True)
class ProjectProfile:
    """A project's stored profile: where it is, and the profile it holds."""

    path: Path
    profile: Profile


def profile_folder(dest: str | os.PathLike[str], group: str, project: str) -> Path:
    """The folder holding a project's profile; labels are made path-safe as ingest makes them."""
    if not group or not project:
        raise UsageError("a project is named by a non-empty GROUP and PROJECT")
    return Path(dest) / STORE / safe(group) / safe(project)


def find(
    dest: str | os.PathLike[str], group: str, project: str, basic: BasicOverrides | None = None
) -> ProjectProfile | None:
    """The project's profile, validated, or None when the project has none.

    `basic` carries the command line's Basic Profile settings (key file, options, burned-in): they
    apply to a stored profile built on `basic` as they do to one named on the command line."""
    folder = profile_folder(dest, group, project)
    for suffix in SUFFIXES:
        path = folder / f"profile{suffix}"
        if path.is_file():
            return ProjectProfile(path, load_profile(path, basic))
    return None


def set_profile(dest: str | os.PathLike[str], group: str, project: str, source: str | os.PathLike[str]) -> Path:
    """Validates SOURCE and stores its bytes as the project's profile (replacing any earlier one)."""
    src = Path(source).expanduser()
    if not src.is_file():
        raise UsageError(f"{source}: no such profile file")
    load_profile(src)  # an invalid profile is refused here, not at the next ingest
    suffix = ".json" if src.suffix.lower() == ".json" else ".yaml"
    folder = profile_folder(dest, group, project)
    try:
        data = src.read_bytes()
        # 0700 folders: the profile may hold a salt or a jitter seed.
        for part in (Path(dest) / ".fastdeid", Path(dest) / STORE, folder.parent, folder):
            part.mkdir(mode=0o700, parents=True, exist_ok=True)
        target = folder / f"profile{suffix}"
        _write_private(target, data)
    except OSError as exc:
        raise UsageError(f"{folder}: not-writable: cannot store the project profile ({exc.strerror})") from None
    for other in SUFFIXES:
        if other != suffix:
            (folder / f"profile{other}").unlink(missing_ok=True)
    return target


def _write_private(target: Path, data: bytes) -> None:
    """Writes a 0600 file under a temporary name and renames it into place, so that a reader never
    sees half a profile."""
    fd, tmp = tempfile.mkstemp(prefix=".profile-", dir=target.parent)  # mkstemp creates it 0600
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def choose(
    stored: ProjectProfile | None,
    requested: Profile | None,
    *,
    override: bool,
    where: str,
) -> tuple[Profile | None, str | None]:
    """The profile an ingest into a project uses, and a note saying so.

    `requested` is the profile the command line or config asked for (None: nothing was asked).
    Without a stored profile the request stands. With one, it applies when nothing else was asked;
    a request of the same profile (same digest) is accepted; another profile, `none` included,
    is refused unless `override` is set.
    """
    if stored is None:
        return requested, None
    if requested is None:
        return stored.profile, f"{where}: de-identifying with the project's profile {stored.path}"
    if requested.digest == stored.profile.digest:
        return requested, f"{where}: the requested profile is the project's profile {stored.path}"
    if override:
        return requested, f"{where}: the project's profile {stored.path} is overridden by --override-project-profile"
    raise UsageError(
        f"{where}: project-profile: this project de-identifies with its own profile ({stored.path}); "
        "drop --deid-profile to use it, or give --override-project-profile"
    )
