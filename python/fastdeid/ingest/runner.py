"""`fastdeid ingest dicom|template`: de-identify a tree and lay it out as
DEST/group/project/subject/session/acquisition/<SOPInstanceUID>.<Modality>.dcm (docs/profiles.md#ingest-profiles, #ingest-labels, #ingest-template, #subject-map).

One job of the core: each file's labels are made from its de-identified header values and its
output name is decided before the output is written (see fastdeid.jobs.naming). Two inputs that would
land on one name are reported and the later one is not written; nothing is overwritten. An input
whose output already exists with the same bytes counts as done, so a rerun of the same command
completes the tree.

Outputs are written under temporary names in DEST/.fastdeid-tmp (the same file system) and linked
into place when complete, so the tree only ever holds complete files. A run killed outright
leaves its temporary files there; the next ingest into DEST removes those of dead processes, never
a live concurrent run's.
"""

from __future__ import annotations

import contextlib
import csv
import os
import shutil
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .._core import FileResult
from ..errors import UsageError
from ..jobs.chunks import effective_jobs, interrupts, sync_names, write_log
from ..jobs.deid_log import CLI, DeidLog, Row
from ..jobs.job import CHUNK, Engine, Input, Job
from ..jobs.naming import Hierarchy
from ..jobs.progress import Progress
from ..jobs.report import Failure, Report, account
from ..jobs.subjects import SubjectMap
from ..jobs.temporaries import TEMP_FOLDER, remove_dead_temporaries, sweep
from ..profile.load import Profile
from .items import Item
from .project import choose, find


@dataclass
class IngestReport(Report):
    """A run report plus the planned or written layout."""

    placed: list[tuple[str, str]] = field(default_factory=list)  # (input, output relative to DEST)
    layout_warnings: list[str] = field(default_factory=list)  # about the layout as a whole


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
    load_subjects: str | os.PathLike[str] | None = None,
    save_subjects: str | os.PathLike[str] | None = None,
    save_mappings: str | os.PathLike[str] | None = None,
    override_project_profile: bool = False,
    progress: Progress | None = None,
    unreadable: list[tuple[str, str]] | None = None,
    client: Any = None,
) -> IngestReport:
    """De-identifies ITEMS with PROFILE into DEST/GROUP/PROJECT/subject/session/acquisition.

    A project with its own profile (`fastdeid project set-profile`) refuses another profile
    unless `override_project_profile` is set. Folders the walk could not read (`unreadable`) are
    failures of the report; `progress` shows the run on a terminal; with a `distributed.Client` the
    chunks run on its cluster (fastdeid.jobs.cluster_names; not with `dry_run`). Subjects are
    named by codes from the subject map `load_subjects` when given, or from a new one when it is to
    be saved (`save_subjects`). Every output location (DEST, the deid log, the mappings folder, the
    subject map's) is checked before the first file is written; a bad one is a UsageError. A dry
    run de-identifies into a temporary folder, reports the layout, and removes it.
    """
    dest_path = Path(dest)
    subjects = SubjectMap.load(load_subjects) if load_subjects else (SubjectMap() if save_subjects else None)
    if save_subjects and not dry_run:
        check_writable_folder(Path(save_subjects).expanduser().parent, "--save-subjects")
    if client is not None and dry_run:
        raise UsageError("--dry-run runs on this machine; leave out --dask")
    choose(
        find(dest_path, group, project, profile.overrides),
        profile,
        override=override_project_profile,
        where=f"{group}/{project}",
    )
    mappings = Path(save_mappings).expanduser() if save_mappings and not dry_run else None
    if mappings is not None:
        check_writable_folder(mappings, "--save-mappings")
    log = None if dry_run else _open_log(save_deid_logs, profile, dest_path)
    report = IngestReport()
    for folder, why in unreadable or ():
        report.failed += 1
        report.failures.append(Failure(folder, "io", f"io: {why}", None, None))
    values: list[tuple[dict[str, str | None], dict[str, str | None]]] = []
    try:
        with _output_root(dest_path, dry_run) as root:
            if items:
                _run(items, root, group, project, profile, jobs, subjects, log, progress, report, values, client)
    finally:
        if log is not None:
            log.close()
    if log is not None:
        report.written["deid log"] = str(log.path)
    if mappings is not None:
        _save_mappings(mappings, values)
        report.written["mappings"] = str(mappings)
    if subjects is not None and save_subjects and not dry_run:
        subjects.save(save_subjects)
        report.written["subject map"] = str(save_subjects)
    return report


def _run(
    items: list[Item],
    root: Path,
    group: str,
    project: str,
    profile: Profile,
    jobs: int,
    subjects: SubjectMap | None,
    log: DeidLog | None,
    progress: Progress | None,
    report: IngestReport,
    values: list[tuple[dict[str, str | None], dict[str, str | None]]],
    client: Any = None,
) -> None:
    """The job: chunk after chunk, with the deid log, progress and Ctrl-C between chunks."""
    threads, note = effective_jobs(jobs, len(items))
    if note and client is None:
        report.notes.append(note)
    naming = Hierarchy(group, project, subjects)
    job = Job(
        (),
        profile,
        root,
        naming=naming,
        log=log is not None,
        jobs=threads,
        replace=False,
        temp_folder=root / TEMP_FOLDER,
    )
    extra = ("PatientID", *UID_KEYWORDS)
    engine = Engine(job, keywords=extra)
    report.threads = engine.threads
    inputs = [
        Input(
            path=it.src,
            name=Path(it.rel).name,
            subject=it.labels.get("subject"),
            session=it.labels.get("session"),
            acquisition=it.labels.get("acquisition"),
        )
        for it in items
    ]
    if progress is not None:
        progress.planned(len(inputs), True)
    kept_patient_id = False
    started = time.perf_counter()
    with interrupts() as interrupted:
        if client is None:
            batches: Iterator[tuple[int, list[FileResult]]] = (
                (first, engine.process(inputs[first : first + CHUNK], first)) for first in range(0, len(inputs), CHUNK)
            )
        else:
            from ..jobs import cluster, cluster_names

            cluster.preflight(client, os.fspath(items[0].src), os.fspath(root))
            report.threads = cluster.threads(client)
            planned = [(os.fspath(i.path or ""), i.planned(), i.labels()) for i in inputs]
            fixed = [i.subject is not None for i in inputs]
            batches = cluster_names.batches(client, job, extra, planned, fixed.__getitem__, interrupted)
        seen = 0
        for first, results in batches:
            rows: list[Row] = []
            seen = first + len(results)
            for r in results:
                item = items[r.index]
                account(report, r, _message(r, items))
                logged = engine.log_rows(r, Path(item.rel).name)
                if log is not None and logged is not None:
                    # docs/profiles.md#deid-log: src_path is the input's path below SRC (base names alone collide).
                    rows.append((item.rel, *logged))
                if (read := engine.values(r)) is not None:
                    before, after = read
                    values.append((before, after))
                    if r.status == "ok" and "subject" not in item.labels and subjects is None:
                        kept_patient_id |= bool(after.get("PatientID")) and after.get("PatientID") == before.get(
                            "PatientID"
                        )
                if r.status == "ok" and r.name is not None:
                    report.placed.append((item.rel, r.name))
            sync_names(engine, os.fspath(root), report)  # on a cluster, the client links and syncs
            if log is not None:
                write_log(log, rows, report)
            report.seconds = time.perf_counter() - started
            if progress is not None:
                progress.update(report)
            if report.disk_full or (interrupted() and client is None):
                break  # a cluster finishes the chunks in flight itself
        if report.disk_full or interrupted():
            report.stopped = report.stopped or "interrupted"
            report.not_started += len(inputs) - seen
    report.seconds = time.perf_counter() - started
    if kept_patient_id:
        report.layout_warnings.append(
            "the profile keeps PatientID, and it is used as the subject folder name: the original identifier is in the output paths"
        )


def _message(r: FileResult, items: list[Item]) -> str | None:
    """Ingest's words for a name two inputs would share, or one another file already has."""
    if r.code != "duplicate-output":
        return None
    if r.other is not None:
        return (
            f"duplicate-output: would overwrite the output of {items[r.other].rel} "
            "(same SOPInstanceUID and Modality); not written"
        )
    return f"duplicate-output: {r.name} already exists with other content; not overwritten"


STAGING_PREFIX = ".fastdeid-staging-"
DRY_RUN_PREFIX = "fastdeid-dry-run-"


@contextlib.contextmanager
def _output_root(dest: Path, dry_run: bool) -> Iterator[Path]:
    """DEST, made and cleared of what dead runs left; a dry run gets a temporary folder instead,
    removed afterwards, since it writes nothing into DEST."""
    if dry_run:
        folder = Path(tempfile.mkdtemp(prefix=DRY_RUN_PREFIX))
        try:
            yield folder
        finally:
            shutil.rmtree(folder, ignore_errors=True)
        return
    try:
        dest.mkdir(parents=True, exist_ok=True)
        sweep(dest, STAGING_PREFIX)  # staging folders of ingests before fastdeid 0.2, when killed
        remove_dead_temporaries(dest / TEMP_FOLDER)
        probe = tempfile.mkstemp(prefix=".fastdeid-probe-", dir=dest)
        os.close(probe[0])
        os.unlink(probe[1])
    except OSError as exc:
        raise UsageError(f"{dest}: not-writable: cannot create the destination ({exc.strerror})") from None
    try:
        yield dest
    finally:
        with contextlib.suppress(OSError):
            (dest / TEMP_FOLDER).rmdir()  # empty unless a concurrent run is writing


def _open_log(save_deid_logs: str | os.PathLike[str] | None, profile: Profile, dest: Path) -> DeidLog | None:
    """The deid log, opened now so that a path that cannot be written stops the ingest before any
    output. `--save-deid-logs` starts a new file; the profile's `deid-log:` is appended to, as in
    `run`. It re-identifies the data, so it may not be inside DEST."""
    target: str | os.PathLike[str] | None = save_deid_logs or profile.deid_log
    if not target:
        return None
    try:
        path = _log_path(target) if save_deid_logs else Path(target).expanduser()
        log = DeidLog(path, profile.log_columns(), CLI, outside=dest)
        log.open()
    except OSError as exc:
        raise UsageError(f"{target}: not-writable: cannot write the deid log ({exc.strerror})") from None
    return log


def check_writable_folder(folder: Path, option: str) -> None:
    """Creates FOLDER (its parent must exist: a deeper missing path is more likely a typo) and proves
    a file can be made in it, before the ingest writes anything."""
    if not folder.parent.is_dir():
        raise UsageError(f"{folder}: not-writable: {option}: the folder {folder.parent} does not exist")
    try:
        folder.mkdir(exist_ok=True)
        fd, probe = tempfile.mkstemp(prefix=".fastdeid-probe-", dir=folder)
        os.close(fd)
        os.unlink(probe)
    except OSError as exc:
        raise UsageError(f"{folder}: not-writable: {option} cannot write here ({exc.strerror})") from None


def _log_path(path: str | os.PathLike[str]) -> Path:
    """docs/profiles.md#deid-log: a folder gets deid_logs-<time>-fastdeid.csv; an existing file is never appended to."""
    from datetime import datetime

    p = Path(path).expanduser()
    if p.is_dir() or str(path).endswith("/"):
        if not p.parent.is_dir():
            raise UsageError(f"{p}: not-writable: --save-deid-logs: the folder {p.parent} does not exist")
        p.mkdir(exist_ok=True)
        return p / f"deid_logs-{datetime.now():%Y%m%d-%H%M%S}-fastdeid.csv"
    n = 1
    candidate = p
    while candidate.exists():
        candidate = p.with_name(f"{p.stem}({n}){p.suffix}")
        n += 1
    return candidate


def _save_mappings(folder: Path, rows: list[tuple[dict[str, str | None], dict[str, str | None]]]) -> None:
    """uid_mapping.csv and patid_mapping.csv (id_old,id_new), the files the MIDI-B validation reads."""
    uids: dict[str, str] = {}
    patients: dict[str, str] = {}
    for before, after in rows:
        for key in UID_KEYWORDS:
            if old := before.get(key):
                uids.setdefault(old, after.get(key) or "")
        if old_id := before.get("PatientID"):
            patients.setdefault(old_id, after.get("PatientID") or "")
    for name, mapping in (("uid_mapping.csv", uids), ("patid_mapping.csv", patients)):
        # Written whole under a temporary name (0600: the maps re-identify the data), then renamed,
        # so an interrupt leaves the previous file or the new one, never half of one.
        fd, tmp = tempfile.mkstemp(prefix=f".{name}-", dir=folder)
        try:
            with open(fd, "w", newline="", encoding="utf-8") as f:
                writer = csv.writer(f)
                writer.writerow(["id_old", "id_new"])
                writer.writerows(mapping.items())
            os.replace(tmp, folder / name)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
