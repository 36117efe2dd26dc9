"""The Python layer's layout (docs/architecture.md, "The Python packages"): packages by job, each
importing only the layers below it, no import cycle, and no private name taken from another module.

Read from the sources with `ast`, so every import counts: at module level, inside a function, or
under `if TYPE_CHECKING:`. The checks are also run on copies of the package with a violation
planted, so that each is known to fail when it should.
"""

from __future__ import annotations

import ast
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

import fastdeid

PACKAGE = Path(fastdeid.__file__).parent
ROOT = "fastdeid"
CORE = "fastdeid._core"  # the binding: every layer may use it, private name and all

# Lowest first: a unit (a subpackage, or a module at the top) imports only from lower layers, and
# from itself. `__init__` is the public API, `__main__` runs the command line.
LAYERS: tuple[tuple[str, ...], ...] = (
    ("errors", "version", "synth"),
    ("profile",),
    ("jobs",),
    ("ingest",),
    ("net",),
    ("api", "verify", "bench"),
    ("cli", "__init__"),
    ("__main__",),
)
RANK = {unit: rank for rank, units in enumerate(LAYERS) for unit in units}


def modules(root: Path) -> dict[str, Path]:
    """Every module of the package under ROOT by its dotted name (a package by its own name)."""
    found = {}
    for path in sorted(root.rglob("*.py")):
        parts = [ROOT, *path.relative_to(root).with_suffix("").parts]
        if parts[-1] == "__init__":
            parts.pop()
        found[".".join(parts)] = path
    return found


def unit(module: str) -> str:
    """The layer unit of a module: `jobs` for fastdeid.jobs.runner, `errors` for fastdeid.errors."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "__init__"


def imports(module: str, path: Path, known: dict[str, Path]) -> Iterator[tuple[str, str | None, int]]:
    """(module imported, name taken from it or None, line) for every fastdeid import in the file;
    `from package import submodule` is an import of the submodule."""
    tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.split(".")[0] == ROOT:
                    yield alias.name, None, node.lineno
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            if target.split(".")[0] != ROOT:
                continue
            for alias in node.names:
                sub = f"{target}.{alias.name}"
                if sub in known or sub == CORE:
                    yield sub, None, node.lineno
                else:
                    yield target, alias.name, node.lineno


def private_uses(module: str, path: Path, known: dict[str, Path]) -> Iterator[str]:
    """`module._name` of another fastdeid module, through an imported module's attribute."""
    tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
    bound = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            for alias in node.names:
                if isinstance(node, ast.ImportFrom) and (node.level or (node.module or "").startswith(ROOT)):
                    bound.add(alias.asname or alias.name)
                elif isinstance(node, ast.Import) and alias.name.startswith(ROOT):
                    bound.add(alias.asname or alias.name.split(".")[0])
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Attribute)
            and isinstance(node.value, ast.Name)
            and node.value.id in bound - {"_core"}
            and _private(node.attr)
        ):
            yield f"{path.name}:{node.lineno}: {node.value.id}.{node.attr}"


def _private(name: str) -> bool:
    return name.startswith("_") and not (name.startswith("__") and name.endswith("__"))


def problems(root: Path) -> list[str]:
    """Everything wrong with the layout of the package under ROOT, one line each."""
    known = modules(root)
    found: list[str] = []
    graph: dict[str, set[str]] = {m: set() for m in known}
    for module, path in known.items():
        if unit(module) not in RANK:
            found.append(f"{module}: a new unit of the package; give it its layer in tests/test_layout.py")
            continue
        for target, name, line in imports(module, path, known):
            where = f"{module}:{line}"
            if target != CORE and name is not None and _private(name):
                found.append(f"{where}: imports the private name {name} from {target}")
            if target != CORE and _private(target.rpartition(".")[2]):
                found.append(f"{where}: imports the private module {target}")
            if target in (CORE, module):
                continue
            graph[module].add(target)
            if unit(target) != unit(module) and RANK.get(unit(target), -1) >= RANK[unit(module)]:
                found.append(f"{where}: {unit(module)} imports {target}, which is not in a lower layer")
        found += [f"{module}: uses the private {use}" for use in private_uses(module, path, known)]
    found += [f"import cycle: {' -> '.join(c)}" for c in cycles(graph)]
    units: dict[str, set[str]] = {}
    for module, targets in graph.items():
        units.setdefault(unit(module), set()).update(unit(t) for t in targets if unit(t) != unit(module))
    found += [f"import cycle between units: {' -> '.join(c)}" for c in cycles(units)]
    return found


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """One cycle through each group of nodes that reach each other, as a path back to its start."""
    found: list[list[str]] = []
    done: set[str] = set()
    for start in sorted(graph):
        if start not in done:
            cycle = _cycle_from(start, graph, [], done)
            if cycle is not None:
                found.append(cycle)
                done.update(cycle)
    return found


def _cycle_from(node: str, graph: dict[str, set[str]], path: list[str], done: set[str]) -> list[str] | None:
    """A depth-first walk from NODE along PATH: the first cycle met, or None (NODE is then done)."""
    path.append(node)
    for nxt in sorted(graph.get(node, ())):
        if nxt in path:
            return [*path[path.index(nxt) :], nxt]
        if nxt not in done:
            cycle = _cycle_from(nxt, graph, path, done)
            if cycle is not None:
                return cycle
    path.pop()
    done.add(node)
    return None


def test_the_package_imports_only_downwards_without_cycles_or_private_names() -> None:
    assert problems(PACKAGE) == []


def test_the_layers_name_every_unit_of_the_package() -> None:
    units = {unit(m) for m in modules(PACKAGE)}
    assert units == set(RANK), "LAYERS lists a unit the package no longer has, or misses one"


@pytest.mark.parametrize(
    ("file", "planted", "expected"),
    [
        # a private name from another module, and from a higher layer
        (
            "profile/marks.py",
            "from ..jobs.runner import _relative\n",
            ["private name _relative", "not in a lower layer"],
        ),
        # a lower layer reaching up, inside a function: it closes a cycle through the command line
        (
            "jobs/walk.py",
            "def _late() -> None:\n    from ..cli import main\n",
            ["not in a lower layer", "import cycle"],
        ),
        # a cycle inside one package (no layer is crossed)
        ("profile/keys.py", "from .load import Profile\n", ["fastdeid.profile.keys -> fastdeid.profile.load"]),
        # a private attribute of an imported module
        ("ingest/labels.py", "from ..jobs import chunks\nchunks._private_helper = None\n", ["uses the private"]),
        # a new top-level module nobody placed
        ("stray.py", "", ["a new unit of the package"]),
    ],
)
def test_each_check_fails_on_a_planted_violation(tmp_path: Path, file: str, planted: str, expected: list[str]) -> None:
    copy = tmp_path / ROOT
    shutil.copytree(PACKAGE, copy, ignore=shutil.ignore_patterns("*.so", "*.pyd", "__pycache__"))
    target = copy / file
    target.write_text((target.read_text(encoding="utf-8") if target.exists() else "") + planted, encoding="utf-8")
    found = problems(copy)
    for words in expected:
        assert any(words in line for line in found), (words, found)
