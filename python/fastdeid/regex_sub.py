"""`regex-sub` (spec 6.9): cases of input-regex, output template and group rules, validated and
put into the core's form."""

from __future__ import annotations

import re
import string
from datetime import datetime
from typing import Any

from .dates import shift_spec
from .dictionary import tag_for_keyword
from .errors import ProfileError

GROUP_ACTIONS = ("keep", "replace-with", "hash", "hashuid", "increment-date", "increment-datetime")


def _variables(output: str, where: str) -> list[str]:
    try:
        return [name for _, name, _, _ in string.Formatter().parse(output) if name is not None]
    except ValueError as exc:
        raise ProfileError(f"{where}: regex-sub output {output!r} is not a valid template: {exc}") from None


def _group_rule(rule: Any, captures: set[str], dicom: dict[str, Any], where: str, now: datetime) -> dict[str, Any]:
    if not isinstance(rule, dict) or not isinstance(rule.get("name"), str):
        raise ProfileError(f"{where}: each regex-sub group rule needs a `name:`")
    name = rule["name"]
    action = next((a for a in GROUP_ACTIONS if a in rule), None)
    if action is None:
        raise ProfileError(f"{where}: regex-sub group {name!r} needs one of {', '.join(GROUP_ACTIONS)}")
    if action != "replace-with" and rule[action] is not True:
        raise ProfileError(f"{where}: {action} on regex-sub group {name!r} must be `true`")
    spec: dict[str, Any] = {"name": name, "field": None, "action": {"replace-with": "replace"}.get(action, action)}
    if name not in captures:
        # Not a capture group: the rule reads the record's field of that name (a dry run).
        spec["field"] = tag_for_keyword(name)
        if spec["field"] is None:
            raise ProfileError(
                f"{where}: regex-sub group {name!r} is neither a named group of input-regex nor a DICOM keyword"
            )
    if action == "replace-with":
        spec["value"] = str(rule["replace-with"])
    if action in ("increment-date", "increment-datetime"):
        spec["shift"] = shift_spec(action, rule, dicom, where, now)
    return spec


def regex_sub_cases(raw: Any, dicom: dict[str, Any], where: str, now: datetime) -> list[dict[str, Any]]:
    """Validates the list under `regex-sub:`."""
    if not isinstance(raw, list) or not raw:
        raise ProfileError(f"{where}: regex-sub must be a list of {{input-regex, output, groups}} items")
    cases = []
    for item in raw:
        if (
            not isinstance(item, dict)
            or not isinstance(item.get("input-regex"), str)
            or not isinstance(item.get("output"), str)
        ):
            raise ProfileError(f"{where}: each regex-sub item needs `input-regex:` and `output:` strings")
        try:
            captures = set(re.compile(item["input-regex"]).groupindex)
        except re.error as exc:
            raise ProfileError(f"{where}: regex-sub input-regex does not compile: {exc}") from None
        groups = [_group_rule(g, captures, dicom, where, now) for g in item.get("groups") or []]
        rule_names = {g["name"] for g in groups}
        for var in _variables(item["output"], where):
            if var not in captures and var not in rule_names:
                raise ProfileError(
                    f"{where}: regex-sub output variable {{{var}}} is neither a named group nor a group rule"
                )
        cases.append({"regex": item["input-regex"], "output": item["output"], "groups": groups})
    return cases
