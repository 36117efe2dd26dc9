"""`fastdeid verify`: checks de-identified outputs, independently of the run that wrote them.

The work is done in the Rust core (`fastdeid.verify_tree`, in parallel, headers only); this
module picks the Basic Profile options to check against, writes the CSV or JSON report and the
summary. Findings name a file, an element path and a rule, never a value (docs/verify.md).
"""

from __future__ import annotations

import csv
import json
import os
from collections import Counter
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import yaml

from ._core import verify_tree
from .errors import UsageError

KINDS = (
    "must-be-removed",
    "must-be-empty",
    "holds-input-value",
    "identifying-string",
    "identifying-name",
    "invalid-value",
    "unreadable",
)
REPORT_COLUMNS = ("file", "path", "tag", "kind", "rule")
SHOWN = 20  # findings printed on the terminal; the report has all of them


@dataclass(frozen=True)
class Finding:
    """One problem: the output file (relative), the element path and tag (empty for names and
    whole files), its kind (one of KINDS) and the rule it breaks."""

    file: str
    path: str
    tag: str
    kind: str
    rule: str

    def line(self) -> str:
        where = f"{self.file} {self.path}" if self.path else self.file
        return f"{where}: {self.kind}: {self.rule}"


@dataclass
class VerifyReport:
    """What `verify` found."""

    files: int
    not_dicom: int
    passed_over: int
    seconds: float
    options: tuple[str, ...]
    against: str | None
    findings: list[Finding] = field(default_factory=list)

    def counts(self) -> dict[str, int]:
        by_kind = Counter(f.kind for f in self.findings)
        return {kind: by_kind[kind] for kind in KINDS if by_kind[kind]}

    def summary(self) -> str:
        rate = self.files / self.seconds if self.seconds > 0 else 0.0
        parts = [f"{self.files} file(s)"]
        if self.not_dicom:
            parts.append(f"{self.not_dicom} not DICOM")
        if self.passed_over:
            parts.append(f"{self.passed_over} passed over (links, special files, fastdeid's own)")
        head = f"verify: {', '.join(parts)} in {self.seconds:.2f} s ({rate:,.0f} files/s)"
        if not self.findings:
            return f"{head}: clean"
        kinds = ", ".join(f"{kind} {n}" for kind, n in self.counts().items())
        return f"{head}: {len(self.findings)} finding(s): {kinds}"


def verify(
    out: str | os.PathLike[str],
    against: str | os.PathLike[str] | None = None,
    profile: str | os.PathLike[str] | None = None,
    options: tuple[str, ...] = (),
    jobs: int = 0,
) -> VerifyReport:
    """Verifies every file under OUT (see docs/verify.md); with AGAINST, compares with the inputs.

    The rules are Table E.1-1's basic column with the options of PROFILE (when it is `basic` or a
    profile file with `options:`) and OPTIONS; a Flywheel profile is checked against the table too.
    """
    if not Path(out).exists():
        raise UsageError(f"{os.fspath(out)}: io: no such file or folder")
    if against is not None and not Path(against).exists():
        raise UsageError(f"{os.fspath(against)}: io: no such file or folder")
    chosen = tuple(dict.fromkeys((*profile_options(profile), *options)))
    files, not_dicom, passed_over, seconds, found = verify_tree(out, against, list(chosen), jobs)
    return VerifyReport(
        files,
        not_dicom,
        passed_over,
        seconds,
        chosen,
        None if against is None else os.fspath(against),
        [Finding(*f) for f in found],
    )


def profile_options(profile: str | os.PathLike[str] | None) -> tuple[str, ...]:
    """The Basic Profile options a profile names, read-only from its file: the `options:` list of a
    YAML or JSON profile (in its `dicom:` section or at the top); none for `basic`, for other built-in names and for no profile.

    A small adapter rather than the profile loader, which compiles the whole profile: verify needs
    only the option names.
    """
    if profile is None:
        return ()
    path = Path(profile)
    if not path.is_file():
        if os.sep in os.fspath(profile) or path.suffix.lower() in (".yaml", ".yml", ".json"):
            raise UsageError(f"{os.fspath(profile)}: io: no such profile file")
        from .profile import builtin

        if os.fspath(profile) not in builtin.names():
            known = ", ".join(builtin.names())
            raise UsageError(f"{os.fspath(profile)}: no such profile file, and not a built-in profile ({known})")
        return ()  # a built-in name: `basic` without options, or a Flywheel profile checked against the table
    try:
        document: Any = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise UsageError(f"{path}: profile: cannot be read ({type(exc).__name__})") from None
    # `options:` sits in the `dicom:` section (docs/basic-profile.md) or, for short files, at the top.
    section = document.get("dicom") if isinstance(document, dict) else None
    raw = section.get("options") if isinstance(section, dict) else None
    if raw is None and isinstance(document, dict):
        raw = document.get("options")
    if raw is None:
        return ()
    if not isinstance(raw, list) or not all(isinstance(o, str) for o in raw):
        raise UsageError(f"{path}: profile: options: must be a list of option names")
    return tuple(raw)


def write_report(report: VerifyReport, path: str | os.PathLike[str]) -> None:
    """Writes the findings as CSV (one row each) or JSON (summary and findings), by the suffix."""
    target = Path(path)
    if target.suffix.lower() == ".csv":
        with target.open("w", newline="", encoding="utf-8") as fh:
            writer = csv.writer(fh)
            writer.writerow(REPORT_COLUMNS)
            writer.writerows((f.file, f.path, f.tag, f.kind, f.rule) for f in report.findings)
    elif target.suffix.lower() == ".json":
        document = {
            "files": report.files,
            "not_dicom": report.not_dicom,
            "passed_over": report.passed_over,
            "seconds": round(report.seconds, 3),
            "options": list(report.options),
            "against": report.against,
            "counts": report.counts(),
            "findings": [asdict(f) for f in report.findings],
        }
        target.write_text(json.dumps(document, indent=1) + "\n", encoding="utf-8")
    else:
        raise UsageError(f"{target}: the report must end in .csv or .json")


def check_report_path(path: str | os.PathLike[str] | None) -> None:
    """Refuses a report name verify cannot write, before any file is read."""
    if path is None:
        return
    target = Path(path)
    if target.suffix.lower() not in (".csv", ".json"):
        raise UsageError(f"{target}: the report must end in .csv or .json")
    if not target.parent.is_dir():
        raise UsageError(f"{target}: io: the report's folder does not exist")
