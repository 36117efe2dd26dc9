"""`fastdeid ingest dicom|template`: de-identify a tree and lay it out as
DEST/group/project/subject/session/acquisition/<SOPInstanceUID>.<Modality>.dcm (spec 9.3-9.6).

Files are first de-identified into a staging folder inside DEST (same file system), their
de-identified header values give the labels, and each is then linked into place. Two inputs that
would land on one name are reported and the later one is not written; nothing is overwritten.

Interrupts leave nothing a rerun does not clean: Ctrl-C removes the staging folder, and a run
killed outright leaves one that the next ingest into DEST removes. Each run holds an advisory lock
on its staging folder, so that only the folders of dead runs are removed, never a concurrent
run's. An input whose output already exists with the same bytes counts as done, so a rerun of the
same command completes the tree.
"""

from __future__ import annotations

import contextlib
import csv
import dataclasses
import filecmp
import os
import shutil
import signal
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

try:
    import fcntl
except ImportError:  # not POSIX: no locks, so stale staging folders are not swept
    fcntl = None  # type: ignore[assignment]

from . import _core
from .errors import UsageError
from .filenames import matches, render
from .labels import LABEL_KEYWORDS, acquisition_label, file_name, safe, session_label
from .log import CLI, DeidLog
from .profile import Profile
from .progress import Progress
from .project import choose, find
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
    subjects: SubjectMap | None = None,
    save_mappings: str | os.PathLike[str] | None = None,
    override_project_profile: bool = False,
    progress: Progress | None = None,
    unreadable: list[tuple[str, str]] | None = None,
) -> IngestReport:
    """De-identifies ITEMS with PROFILE into DEST/GROUP/PROJECT/subject/session/acquisition.

    A project with its own profile (`fastdeid project set-profile`) refuses another profile
    unless `override_project_profile` is set. Folders the walk could not read (`unreadable`) are
    failures of the report; `progress` shows the run on a terminal. Every output location (DEST, the deid log, the
    mappings folder) is checked before the first file is written; a bad one is a UsageError.
    """
    dest_path = Path(dest)
    choose(find(dest_path, group, project), profile, override=override_project_profile, where=f"{group}/{project}")
    # Spec 7.2: a file no `filenames:` input-regex matches is skipped before de-identification
    # (so it has no log rows either).
    unnamed = [it for it in items if profile.filenames and not matches(profile.filenames, Path(it.rel).name)]
    if unnamed:
        items = [it for it in items if matches(profile.filenames, Path(it.rel).name)]
    map_keys = subjects.keys if subjects else ()
    template_keys = tuple(k for t in profile.filenames for k in t.keywords)
    extra = tuple(dict.fromkeys(LABEL_KEYWORDS + map_keys + ("PatientID",) + template_keys))
    width = profile.core_log_width
    mappings = Path(save_mappings).expanduser() if save_mappings and not dry_run else None
    if mappings is not None:
        check_writable_folder(mappings, "--save-mappings")
    log = None if dry_run else _open_log(save_deid_logs, profile, dest_path)
    try:
        with _staging(dest_path, dry_run) as staging:
            pairs = [(it.src, staging / f"{n}.dcm") for n, it in enumerate(items)]
            by_src = {str(it.src): (n, it) for n, it in enumerate(items)}
            values: dict[int, tuple[dict[str, str | None], dict[str, str | None]]] = {}

            def collect(r: _core.FileResult) -> None:
                n, item = by_src[str(r.src)]
                if log is not None and r.log_before is not None:
                    # Spec 8.2: src_path is the input's path below SRC (base names alone collide).
                    name = Path(item.rel).name
                    after = profile.log_row(name, r.log_after[:width]) if r.log_after is not None else None
                    log.write([(item.rel, profile.log_row(name, r.log_before[:width]), after)])
                if r.status == "ok" and r.log_before is not None and r.log_after is not None:
                    values[n] = (dict(zip(extra, r.log_before[width:])), dict(zip(extra, r.log_after[width:])))

            base = (
                run(
                    Path(items[0].src).parent,
                    staging,
                    dataclasses.replace(profile, deid_log=None),  # the log is written here, by Item.rel
                    jobs,
                    pairs=pairs,
                    extra_columns=extra,
                    on_result=collect,
                    resume=False,
                    rename=False,
                    progress=progress.update if progress else None,
                    on_plan=progress.planned if progress else None,
                )
                if items
                else Report()
            )
            report = IngestReport(**{f: getattr(base, f) for f in Report.__dataclass_fields__})
            report.skipped += len(unnamed)
            for folder, why in unreadable or ():
                report.failed += 1
                report.failures.append(Failure(folder, "io", f"io: {why}", None, None))
            report.skips += [(str(it.src), "no filenames input-regex matches the file name") for it in unnamed]
            _place(items, values, dest_path, group, project, staging, dry_run, subjects, report, profile)
    finally:
        if log is not None:
            log.close()
    if log is not None:
        report.written["deid log"] = str(log.path)
    if mappings is not None:
        _save_mappings(mappings, [values[n] for n in sorted(values)])
        report.written["mappings"] = str(mappings)
    return report


STAGING_PREFIX = ".fastdeid-staging-"
DRY_RUN_PREFIX = "fastdeid-dry-run-"


@contextlib.contextmanager
def _staging(dest: Path, dry_run: bool) -> Iterator[Path]:
    """A fresh staging folder, locked for as long as this run lives, removed when it ends (Ctrl-C
    included). First the folders of dead runs are removed: a SIGKILL leaves one behind, and its
    lock went with the process. A dry run stages in the temporary folder, since it writes nothing
    into DEST."""
    parent = Path(tempfile.gettempdir()) if dry_run else dest
    prefix = DRY_RUN_PREFIX if dry_run else STAGING_PREFIX
    with contextlib.ExitStack() as cleanup:
        try:
            parent.mkdir(parents=True, exist_ok=True)
            # Holding the parent's lock while sweeping and creating closes the window between a
            # new folder's creation and its lock, in which a concurrent sweep would take it for dead.
            with _held(parent, blocking=True):
                _sweep(parent, prefix)
                with _ctrl_c_deferred():  # so that the folder cannot exist without its cleanup
                    folder = Path(tempfile.mkdtemp(prefix=prefix, dir=parent))
                    cleanup.callback(shutil.rmtree, folder, ignore_errors=True)
                cleanup.enter_context(_held(folder, blocking=False))
        except OSError as exc:
            raise UsageError(
                f"{parent}: not-writable: cannot create the destination or its staging folder ({exc.strerror})"
            ) from None
        yield folder


@contextlib.contextmanager
def _ctrl_c_deferred() -> Iterator[None]:
    """Holds SIGINT back from this thread for a few statements: a KeyboardInterrupt raised between
    creating a folder and registering its removal would leave the folder behind."""
    if not hasattr(signal, "pthread_sigmask"):
        yield
        return
    previous = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, previous)


def _sweep(parent: Path, prefix: str) -> None:
    """Removes the staging folders under PARENT whose run is gone (nobody holds their lock)."""
    with os.scandir(parent) as entries:
        stale = [e.path for e in entries if e.name.startswith(prefix) and e.is_dir(follow_symlinks=False)]
    for path in stale:
        try:
            with _held(Path(path), blocking=False):
                shutil.rmtree(path, ignore_errors=True)
        except OSError:
            continue  # locked by a live run, or not ours to open: leave it


@contextlib.contextmanager
def _held(folder: Path, *, blocking: bool) -> Iterator[None]:
    """An exclusive advisory lock (flock) on a folder, released by the kernel when the process
    dies however it dies. Raises BlockingIOError when not blocking and another process holds it.
    Where flock is missing (not POSIX) the lock is a no-op and stale folders stay."""
    if fcntl is None:
        yield
        return
    fd = os.open(folder, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | (0 if blocking else fcntl.LOCK_NB))
        yield
    finally:
        os.close(fd)


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
    """Creates FOLDER and proves a file can be made in it, before the ingest writes anything."""
    try:
        folder.mkdir(parents=True, exist_ok=True)
        fd, probe = tempfile.mkstemp(prefix=".fastdeid-probe-", dir=folder)
        os.close(fd)
        os.unlink(probe)
    except OSError as exc:
        raise UsageError(f"{folder}: not-writable: {option} cannot write here ({exc.strerror})") from None


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
        # With templates a name always comes back: unmatched names were skipped before the run.
        target = folder / (safe(named) if named is not None else file_name(after, Path(item.rel).name))
        if target in taken:
            _fail(
                report,
                item,
                "duplicate-output",
                f"would overwrite the output of {taken[target]} (same SOPInstanceUID and Modality); not written",
            )
            continue
        if not dry_run and not _link(staging / f"{n}.dcm", target, report):
            _fail(
                report,
                item,
                "duplicate-output",
                f"{target.relative_to(dest)} already exists with other content; not overwritten",
            )
            continue
        taken[target] = item.rel
        report.placed.append((item.rel, str(target.relative_to(dest))))
    if kept_patient_id:
        report.layout_warnings.append(
            "the profile keeps PatientID, and it is used as the subject folder name: the original identifier is in the output paths"
        )


def _link(staged: Path, target: Path, report: IngestReport) -> bool:
    """Gives a staged output its final name. A hard link never replaces a file, so an existing
    output, an earlier or a concurrent run's, is compared instead: the same bytes mean this input
    is already done (a rerun after an interrupt); other bytes are a collision (False)."""
    target.parent.mkdir(parents=True, exist_ok=True)
    try:
        os.link(staged, target)
    except FileExistsError:
        if not filecmp.cmp(target, staged, shallow=False):
            return False
        report.resumed += 1
    staged.unlink()
    return True


def _fail(report: IngestReport, item: Item, code: str, message: str) -> None:
    report.ok -= 1
    report.failed += 1
    report.failures.append(Failure(str(item.src), code, f"{code}: {message}", None, None))


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
