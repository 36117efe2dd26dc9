"""`fastdeid ingest dicom|template`: de-identify a tree and lay it out as
DEST/group/project/subject/session/acquisition/<SOPInstanceUID>.<Modality>.dcm (spec 9.3-9.6).

Files are first de-identified into a staging folder inside DEST (same file system), their
de-identified header values give the labels, and each is then renamed into place. Two inputs that
would land on one name are reported and the later one is not written; nothing is overwritten.
"""

from __future__ import annotations

import csv
import os
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from . import _core
from .filenames import matches, render
from .labels import LABEL_KEYWORDS, acquisition_label, file_name, safe, session_label
from .log import CLI
from .profile import Profile
from .runner import Failure, Report, run
from .subjects import SubjectMap


@dataclass(frozen=True)
class Item:
    """One input file and the labels fixed for it (by --subject/--session or a template)."""

    src: Path
    rel: str
    labels: dict[str, str] = field(default_factory=dict)


@dataclass
class IngestReport(Report):
    """A run report plus the planned or written layout."""

    placed: list[tuple[str, str]] = field(default_factory=list)  # (input, output relative to DEST)
    warnings: list[str] = field(default_factory=list)


UID_KEYWORDS = ("StudyInstanceUID", "SeriesInstanceUID", "SOPInstanceUID")


def ingest(
    items: list[Item],
    dest: str | os.PathLike[str],
    group: str,
    project: str,
    profile: Profile,
    *,
    jobs: int = 0,
    dry_run: bool = False,
    save_deid_logs: str | os.PathLike[str] | None = None,
    subjects: SubjectMap | None = None,
    save_mappings: str | os.PathLike[str] | None = None,
) -> IngestReport:
    dest_path = Path(dest)
    # Spec 7.2: a file no `filenames:` input-regex matches is skipped before de-identification
    # (so it has no log rows either).
    unnamed = [it for it in items if profile.filenames and not matches(profile.filenames, Path(it.rel).name)]
    if unnamed:
        items = [it for it in items if matches(profile.filenames, Path(it.rel).name)]
    map_keys = subjects.keys if subjects else ()
    template_keys = tuple(k for t in profile.filenames for k in t.keywords)
    extra = tuple(dict.fromkeys(LABEL_KEYWORDS + map_keys + ("PatientID",) + template_keys))
    width = profile.core_log_width
    staging = Path(tempfile.mkdtemp(prefix="fastdeid-dry-run-")) if dry_run else _staging(dest_path)
    pairs = [(it.src, staging / f"{n}.dcm") for n, it in enumerate(items)]
    by_src = {str(it.src): (n, it) for n, it in enumerate(items)}
    values: dict[int, tuple[dict[str, str | None], dict[str, str | None]]] = {}

    def collect(r: _core.FileResult) -> None:
        if r.status == "ok" and r.log_before is not None and r.log_after is not None:
            n, _ = by_src[str(r.src)]
            before = dict(zip(extra, r.log_before[width:]))
            after = dict(zip(extra, r.log_after[width:]))
            values[n] = (before, after)

    log_path = _log_path(save_deid_logs) if save_deid_logs and not dry_run else None
    base = (
        run(
            Path(items[0].src).parent if items else dest_path,
            staging,
            profile,
            jobs,
            pairs=pairs,
            deid_log=log_path,
            log_flavour=CLI,
            log_in_output=True,
            extra_columns=extra,
            on_result=collect,
            resume=False,
            rename=False,
        )
        if items
        else Report()
    )
    report = IngestReport(**{f: getattr(base, f) for f in Report.__dataclass_fields__})
    report.skipped += len(unnamed)
    report.skips += [(str(it.src), "no filenames input-regex matches the file name") for it in unnamed]
    try:
        _place(items, values, dest_path, group, project, staging, dry_run, subjects, report, profile)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    if save_mappings and not dry_run:
        _save_mappings(Path(save_mappings), [values[n] for n in sorted(values)])
    return report


def _staging(dest: Path) -> Path:
    dest.mkdir(parents=True, exist_ok=True)
    return Path(tempfile.mkdtemp(prefix=".fastdeid-staging-", dir=dest))


def _log_path(path: str | os.PathLike[str]) -> Path:
    """Spec 8.2: a folder gets deid_logs-<time>-fastdeid.csv; an existing file is never appended to."""
    from datetime import datetime

    p = Path(path).expanduser()
    if p.is_dir() or str(path).endswith("/"):
        p.mkdir(parents=True, exist_ok=True)
        return p / f"deid_logs-{datetime.now():%Y%m%d-%H%M%S}-fastdeid.csv"
    n = 1
    candidate = p
    while candidate.exists():
        candidate = p.with_name(f"{p.stem}({n}){p.suffix}")
        n += 1
    return candidate


def _place(
    items: list[Item],
    values: dict[int, tuple[dict[str, str | None], dict[str, str | None]]],
    dest: Path,
    group: str,
    project: str,
    staging: Path,
    dry_run: bool,
    subjects: SubjectMap | None,
    report: IngestReport,
    profile: Profile,
) -> None:
    taken: dict[Path, str] = {}
    kept_patient_id = False
    for n, item in enumerate(items):
        if n not in values:
            continue  # failed or skipped: already in the report
        before, after = values[n]
        labels = dict(item.labels)
        if "subject" not in labels:
            if subjects is not None:
                labels["subject"] = subjects.code([before.get(k) for k in subjects.keys])
            elif after.get("PatientID"):
                labels["subject"] = after["PatientID"]  # type: ignore[assignment]
                kept_patient_id |= after.get("PatientID") == before.get("PatientID")
        labels.setdefault("session", session_label(after) or "")
        labels.setdefault("acquisition", acquisition_label(after) or "")
        missing = [level for level in ("subject", "session", "acquisition") if not labels.get(level)]
        if missing:
            hint = " (the profile removes PatientID: give --subject)" if "subject" in missing else ""
            _fail(report, item, "no-label", f"cannot determine the {' and '.join(missing)} label{hint}")
            continue
        folder = (
            dest
            / safe(group)
            / safe(project)
            / safe(labels["subject"])
            / safe(labels["session"])
            / safe(labels["acquisition"])
        )
        named = (
            render(list(profile.filenames), Path(item.rel).name, after, profile.compiled) if profile.filenames else None
        )
        if named is not None:  # always, with templates: unmatched names were skipped before the run
            target = folder / safe(named)
        else:
            target = folder / file_name(after, Path(item.rel).name)
        if target in taken:
            _fail(
                report,
                item,
                "duplicate-output",
                f"would overwrite the output of {taken[target]} (same SOPInstanceUID and Modality); not written",
            )
            continue
        staged = staging / f"{n}.dcm"
        if not dry_run and target.exists() and target.read_bytes() != staged.read_bytes():
            _fail(
                report,
                item,
                "duplicate-output",
                f"{target.relative_to(dest)} already exists with other content; not overwritten",
            )
            continue
        taken[target] = item.rel
        report.placed.append((item.rel, str(target.relative_to(dest))))
        if not dry_run:
            folder.mkdir(parents=True, exist_ok=True)
            os.replace(staged, target)
    if kept_patient_id:
        report.warnings.append(
            "the profile keeps PatientID, and it is used as the subject folder name: the original identifier is in the output paths"
        )


def _fail(report: IngestReport, item: Item, code: str, message: str) -> None:
    report.ok -= 1
    report.failed += 1
    report.failures.append(Failure(str(item.src), code, f"{code}: {message}", None, None))


def _save_mappings(folder: Path, rows: list[tuple[dict[str, str | None], dict[str, str | None]]]) -> None:
    """uid_mapping.csv and patid_mapping.csv (id_old,id_new), the files the MIDI-B validation reads."""
    folder.mkdir(parents=True, exist_ok=True)
    uids: dict[str, str] = {}
    patients: dict[str, str] = {}
    for before, after in rows:
        for key in UID_KEYWORDS:
            if before.get(key):
                uids.setdefault(before[key], after.get(key) or "")  # type: ignore[index]
        if before.get("PatientID"):
            patients.setdefault(before["PatientID"], after.get("PatientID") or "")  # type: ignore[index]
    for name, mapping in (("uid_mapping.csv", uids), ("patid_mapping.csv", patients)):
        fd = os.open(folder / name, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with open(fd, "w", newline="", encoding="utf-8") as f:
            writer = csv.writer(f)
            writer.writerow(["id_old", "id_new"])
            writer.writerows(mapping.items())
