"""Profile text -> the document, keeping where each node starts, so that a problem the core finds
(with its path in the document) is reported at the `file:line:col` of that node.

JSON is YAML, so both are read here for the places; a JSON file is parsed as JSON first, so its
values are JSON's.
"""

from __future__ import annotations

import json
from datetime import date, datetime
from typing import Any

import yaml

# Where each node of a document starts: path -> (line, column) of its key and of its value, 1-based.
Marks = dict[tuple[str | int, ...], tuple[tuple[int, int], tuple[int, int]]]


def load_yaml(text: str) -> tuple[Any, Marks]:
    """The document (with keys as JSON would write them) and the place of each of its nodes."""
    loader = yaml.SafeLoader(text)
    marks: Marks = {}
    try:
        node = loader.get_single_node()
        if node is None:
            return None, marks
        start = (node.start_mark.line + 1, node.start_mark.column + 1)
        marks[()] = (start, start)
        return _node_value(loader, node, (), marks), marks
    finally:
        loader.dispose()


def yaml_error(exc: yaml.YAMLError, source: str) -> str:
    """One line: the file, the line and column of the fault, and what is wrong there."""
    mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
    place = f"{source}:{mark.line + 1}:{mark.column + 1}" if mark is not None else source
    what = " ".join(str(getattr(exc, "problem", None) or exc).split())
    context = getattr(exc, "context", None)
    return f"{place}: not valid YAML: {what}" + (f" ({' '.join(str(context).split())})" if context else "")


def problem_line(problem: dict[str, Any], source: str, marks: Marks) -> str:
    """One of the core's problems as a line: placed at the nearest node of its path that has a
    place, then the path as written (`dicom.fields[2].name`) and the problem's code."""
    path = tuple(problem["path"])
    while path and path not in marks:
        path = path[:-1]
    where = source
    if path in marks:
        line, col = marks[path][0 if problem["anchor"] == "key" else 1]
        where = f"{source}:{line}:{col}"
    shown = "".join(f"[{p}]" if isinstance(p, int) else (f".{p}" if i else p) for i, p in enumerate(problem["path"]))
    at = f" (at {shown})" if shown else ""
    return f"{where}: {problem['message']}{at} [{problem['code']}]"


def _place(node: yaml.Node) -> tuple[int, int]:
    return node.start_mark.line + 1, node.start_mark.column + 1


def _node_value(loader: yaml.SafeLoader, node: yaml.Node, path: tuple[str | int, ...], marks: Marks) -> Any:
    if isinstance(node, yaml.MappingNode):
        loader.flatten_mapping(node)  # `<<:` merge keys
        out: dict[str, Any] = {}
        for key_node, value_node in node.value:
            key = _json_key(loader.construct_object(key_node, deep=True))
            marks[(*path, key)] = (_place(key_node), _place(value_node))
            out[key] = _node_value(loader, value_node, (*path, key), marks)
        return out
    if isinstance(node, yaml.SequenceNode):
        items = []
        for i, item in enumerate(node.value):
            marks[(*path, i)] = (_place(item), _place(item))
            items.append(_node_value(loader, item, (*path, i), marks))
        return items
    value = loader.construct_object(node, deep=True)
    if isinstance(value, (date, datetime)):
        return value.isoformat()  # an unquoted date: the core sees the text
    if isinstance(value, bytes):
        return value.decode("latin-1")
    return value


def _json_key(key: Any) -> str:
    """A mapping key as `json.dumps` writes it (YAML allows numbers and booleans as keys)."""
    return key if isinstance(key, str) else json.dumps(key, default=str).strip('"')
