"""The profiles that ship with fastdeid (`none`, `minimal`, `basic`, `bench`: the YAML files in this
folder) and the commented starter profile that `fastdeid deid create` writes."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

from ...errors import UsageError

SUFFIX = ".yaml"
STARTER = "starter.yaml.txt"  # not a .yaml: it is no built-in profile


def names() -> list[str]:
    """Names of the built-in profiles."""
    return sorted(p.name.removesuffix(SUFFIX) for p in resources.files(__name__).iterdir() if p.name.endswith(SUFFIX))


def text(name: str) -> str:
    """The YAML text of the built-in profile NAME."""
    return resources.files(__name__).joinpath(f"{name}{SUFFIX}").read_text(encoding="utf-8")


def path(name: str) -> Path:
    """The file of the built-in profile NAME (for a child process that takes a profile path)."""
    return Path(__file__).parent / f"{name}{SUFFIX}"


def write_starter(target: Path) -> None:
    """Writes the starter profile to TARGET: a new file in a folder that exists."""
    if target.exists():
        raise UsageError(f"{target}: already exists; choose another name")
    if not target.parent.is_dir():
        raise UsageError(f"{target.parent}: no such folder; create it first or choose another path")
    target.write_text(resources.files(__name__).joinpath(STARTER).read_text(encoding="utf-8"))
