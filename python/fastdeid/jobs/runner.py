"""`fastdeid run` and `fastdeid.run()`: plan (source, destination) pairs for a file or a tree
(plan.py), resume what an earlier run finished (resume.py), feed the rest to the core in chunks, on
this machine or a Dask cluster, and collect a report (report.py). Progress and Ctrl-C are handled
here, between chunks (chunks.py), never in worker threads."""

from __future__ import annotations

import csv
import io
import os
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from .._core import FileResult
from ..errors import UsageError
from ..profile.load import Profile, load_profile
from .chunks import effective_jobs, interrupts, sync_names, write_log
from .deid_log import TOOLKIT, DeidLog, Row
from .destination import is_network
from .job import CHUNK, Engine, Job, Planned, log_rows
from .naming import BY_UID, UID_TREE
from .plan import Plan, plan
from .report import Failure, Report, account
from .resume import DoneJournal, Manifest, check_destination, file_id, is_finished, write_manifest
from .temporaries import remove_stale_temporaries
from .walk import NO_FILTERS, Filters

QUARANTINE_COLUMNS = ("path", "code", "reason")


@dataclass(frozen=True)
class RunOptions:
    """How a run goes: the command line's options, and what `deid test` changes."""

    jobs: int = 0  # worker threads, 0 = one per core
    fsync: bool = True
    deid_log: str | os.PathLike[str] | None = None  # else the profile's `deid-log:`
    log_flavour: str = TOOLKIT
    log_in_output: bool = False  # allow the deid log inside DST (deid test)
    resume: bool = True
    force: bool = False  # redo files a previous run finished
    accept_no_meta: bool = False
    name_by_uid: bool = False
    keep_names: bool = False  # under the Basic Profile, keep the input's names (unsafe: names carry identifiers)
    quarantine_report: str | os.PathLike[str] | None = None  # CSV of the quarantined files (mode 0600)
    filters: Filters = NO_FILTERS
    pairs: Sequence[tuple[Any, Any]] | None = None  # (input, output) as str or Path, instead of walking SRC
    client: Any = None  # a distributed.Client: the chunks run on its cluster (fastdeid.jobs.cluster)


def run(
    src: str | os.PathLike[str],
    dst: str | os.PathLike[str],
    profile: str | os.PathLike[str] | Profile,
    jobs: int = 0,
    *,
    options: RunOptions | None = None,
    progress: Callable[[Report], None] | None = None,
    on_plan: Callable[[int, bool], None] | None = None,
    on_result: Callable[[FileResult], None] | None = None,
    **settings: Any,
) -> Report:
    """De-identifies every file under SRC into DST with PROFILE on JOBS threads (0 = all cores).

    `options` (or its fields as keyword arguments, e.g. `deid_log=`, `force=True`) say how; see
    :class:`RunOptions`. The deid log goes to `deid_log`, else to the profile's `deid-log:` path,
    if either is set. With `filenames:` templates in the profile, each output is named by the
    first template whose input-regex matches its input name, and inputs no template matches are
    skipped. Otherwise, under the Basic Profile (`base: basic`), each output is named
    `<StudyInstanceUID>/<SeriesInstanceUID>/<SOPInstanceUID>.dcm` from the de-identified values,
    with nothing of the input's name or folders, unless `keep_names` (or a single input file given
    an output file name); for other profiles `name_by_uid` names each output
    `<SOPInstanceUID>.<Modality>.dcm` from the de-identified values (input names often carry
    identifiers) and by default outputs keep the input's relative path. Files the core quarantines
    (code `burned-in`) are listed in `report.quarantined` and, with `quarantine_report`, in a CSV
    file (mode 0600); a DICOMDIR refused under the Basic Profile is skipped. Names are decided in the core before each output is written. A rerun
    resumes (see resume.py); `force` redoes every file. Files whose name does not say DICOM and
    that do not parse as DICOM are skipped as not DICOM. `on_plan(n, done)` is told the number
    of files found, every 1,000 during the walk and once at its end; `progress(report)` is called
    after each chunk and `on_result(result)` for each file. Returns a :class:`Report`; a bad file
    is a failure in the report, never an exception.
    """
    if jobs:
        settings["jobs"] = jobs
    opts = replace(options or RunOptions(), **settings)
    if isinstance(dst, str) and is_network(dst):  # `ftp://...` and the like are refused there
        raise UsageError(f"{dst}: a network destination: send with `fastdeid run SRC {dst}` (docs/network.md)")
    prof = profile if isinstance(profile, Profile) else load_profile(profile)
    if opts.client is not None:
        from . import cluster

        cluster.check_reproducible(prof)
    if opts.pairs is None:
        the_plan = plan(src, dst, opts.filters, on_plan)
    else:
        the_plan = Plan([(os.fspath(s), os.fspath(d)) for s, d in opts.pairs], os.fspath(src))
    todo = the_plan.pairs
    if on_plan is not None:
        on_plan(len(todo), True)
    report = Report()
    for folder, why in the_plan.unreadable:
        report.failed += 1
        report.failures.append(Failure(folder, "io", f"io: {why}", None, None))
    for path, target in the_plan.collisions:
        report.failed += 1
        message = f"duplicate-output: {os.path.basename(target)} is also the output of another input; not written"
        report.failures.append(Failure(path, "duplicate-output", message, None, None))

    log_path = opts.deid_log if opts.deid_log is not None else prof.deid_log
    # The log re-identifies the output, so it stays out of the output tree unless the caller asks.
    log = (
        DeidLog(log_path, prof.log_columns(), opts.log_flavour, outside=None if opts.log_in_output else Path(dst))
        if log_path
        else None
    )
    quarantine = _QuarantineReport(opts.quarantine_report, Path(dst)) if opts.quarantine_report else None
    root = the_plan.root
    relative = (lambda s: os.path.basename(s)) if the_plan.single_file else (lambda s: _relative(s, root))
    out_root = (os.path.dirname(todo[0][1]) or os.curdir) if the_plan.single_file and todo else os.fspath(dst)
    try:
        if log is not None:
            log.open()  # a bad log path stops the run before anything is written
            report.written["deid log"] = str(log.path)
        if quarantine is not None:
            quarantine.write([])  # a bad report path stops the run before anything is written
            report.written["quarantine report"] = str(quarantine.path)
        naming = naming_for(prof, opts, the_plan)
        # Outputs the core names are found again through the journal (resume.DoneJournal).
        journal = DoneJournal(Path(dst)) if naming is not None or prof.filenames else None
        if opts.resume and not the_plan.single_file and Path(src).is_dir():
            todo, done = _resume(Path(src), Path(dst), prof, todo, log, relative, opts.force, journal)
            report.ok = report.resumed = len(done)
        else:
            journal = None
        threads, note = effective_jobs(opts.jobs, len(todo))
        if note and opts.client is None:
            report.notes.append(note)
        job = Job(
            (),
            prof,
            out_root,
            naming=naming,
            log=log is not None,
            jobs=threads,
            fsync=opts.fsync,
            accept_no_meta=opts.accept_no_meta,
        )
        inputs: list[Planned] = [
            (s, name, None) for (s, _), name in zip(todo, _names_below([d for _, d in todo], out_root))
        ]
        started = time.perf_counter()
        engine: Engine | None = None
        with interrupts() as interrupted:
            if opts.client is None:
                engine = Engine(job)
                report.threads = engine.threads
                batches = _local_batches(engine, inputs)
            else:
                # The hook for a cluster: the same chunks, run by its workers, in plan order; it
                # finishes the chunks in flight itself when interrupted.
                from . import cluster, cluster_names

                cluster.preflight(opts.client, os.fspath(src), out_root)
                report.threads = cluster.threads(opts.client)
                if cluster_names.settles_names(job):
                    batches = cluster_names.batches(opts.client, job, (), inputs, lambda _: True, interrupted)
                else:
                    batches = cluster.batches(opts.client, job, inputs, interrupted, not the_plan.single_file)
            seen = 0
            for i, results in batches:
                rows: list[Row] = []
                seen = i + len(results)
                for r in results:
                    account(report, r, _collision(r))
                    if log is not None and (logged := log_rows(prof, r)) is not None:
                        rows.append((relative(r.src), *logged))
                    if on_result is not None:
                        on_result(r)
                if engine is not None:  # a cluster's workers make their own outputs durable
                    sync_names(engine, out_root, report)
                if log is not None:
                    write_log(log, rows, report)
                if journal is not None:
                    journal.append([(r.src, r.dst) for r in results if r.status == "ok" and r.dst])
                report.seconds = time.perf_counter() - started
                if progress is not None:
                    progress(report)
                if report.disk_full or (interrupted() and opts.client is None):
                    break  # a rerun of the same command finishes the job
            if report.disk_full or interrupted():
                report.stopped = report.stopped or "interrupted"
                report.not_started += len(todo) - seen
        report.seconds = time.perf_counter() - started
    finally:
        if log is not None:
            log.close()
        if quarantine is not None and quarantine.started:
            quarantine.write(report.quarantined)
    return report


def is_basic(profile: Profile) -> bool:
    """Whether the profile applies the PS3.15 Basic Profile (`--profile basic` or `base: basic`)."""
    return profile.spec.get("base") is not None


def naming_for(profile: Profile, opts: RunOptions, the_plan: Plan) -> str | None:
    """How `run` names its outputs. Under the Basic Profile output names never come from input
    names (PS3.15 treats file names as a channel): by UID, folders included, unless the user keeps
    them (`keep_names`) or named the one output file themselves."""
    if is_basic(profile) and not opts.keep_names and not the_plan.named_output:
        return UID_TREE
    return BY_UID if opts.name_by_uid else None


class _QuarantineReport:
    """The CSV of quarantined files: `path,code,reason`, one row per file, rewritten whole (mode
    0600, since input paths may identify patients), never inside the output tree."""

    def __init__(self, path: str | os.PathLike[str], dst: Path) -> None:
        self.path = Path(path).expanduser()
        where = self.path.resolve()
        if dst.resolve() in where.parents:
            raise UsageError(f"{self.path}: the quarantine report names input files; keep it outside the output {dst}")
        if self.path.is_dir():
            raise UsageError(f"{self.path}: is a folder; --quarantine-report takes a file name")
        self.started = False  # written once: the final rows replace the empty report of the start

    def write(self, rows: list[tuple[str, str]]) -> None:
        text = io.StringIO()
        writer = csv.writer(text, lineterminator="\n")
        writer.writerow(QUARANTINE_COLUMNS)
        for path, reason in rows:
            code, _, why = reason.partition(": ")
            writer.writerow((path, code, why))
        fd = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        try:
            os.fchmod(fd, 0o600)  # an existing file keeps its mode otherwise
            os.write(fd, text.getvalue().encode("utf-8"))
        finally:
            os.close(fd)
        self.started = True


def _local_batches(engine: Engine, inputs: list[Planned]) -> Iterator[tuple[int, list[FileResult]]]:
    """The plan's chunks through this machine's engine: (first input, results)."""
    for i in range(0, len(inputs), CHUNK):
        yield i, engine.process_planned(inputs[i : i + CHUNK], i)


def _collision(r: FileResult) -> str | None:
    """`run`'s words for an output name another input of the run has."""
    if r.code != "duplicate-output" or r.name is None:
        return None
    return f"duplicate-output: would overwrite {os.path.basename(r.name)}; not written"


def _names_below(paths: list[str], root: str) -> list[str]:
    """PATHS as `/`-separated names relative to ROOT (where the plan put them). Per file this is
    a slice: it runs on the main thread before the core starts, once per input."""
    prefix = root.rstrip(os.sep) + os.sep
    cut = len(prefix)
    names = [p[cut:].lstrip(os.sep) if p.startswith(prefix) else os.path.relpath(p, root) for p in paths]
    return names if os.sep == "/" else [n.replace(os.sep, "/") for n in names]


def _resume(
    src: Path,
    dst: Path,
    prof: Profile,
    pairs: list[tuple[str, str]],
    log: DeidLog | None,
    relative: Callable[[str], str],
    force: bool,
    journal: DoneJournal | None,
) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    """Checks DST, writes its manifest, and splits the pairs into (to do, already done): by the
    planned output's presence, or by the journal when the core names the outputs."""
    manifest = Manifest(file_id(src), prof.digest, log.file_id() if log else None, log.size if log else 0)
    previous = check_destination(dst, manifest)
    if dst.is_dir():
        remove_stale_temporaries(dst)  # DST is this job's: what a killed run left half-written goes
    if journal is not None and (previous is None or force):
        journal.clear()
    if previous is None:
        write_manifest(dst, manifest)
        return pairs, []
    if force:
        finished = []
    elif journal is not None:
        finished = journal.finished(pairs)
    else:
        finished = [p for p in pairs if is_finished(p[0], p[1])]
    if log is not None:
        # This run's rows start where the first attempt's did, when it used the same log file.
        start = previous.log_start if previous.log == manifest.log else log.size
        logged = log.keep_only(start, {relative(s) for s, _ in finished})
        finished = [p for p in finished if relative(p[0]) in logged]
        manifest = Manifest(manifest.source, manifest.profile_sha256, manifest.log, start)
    write_manifest(dst, manifest)
    done = set(finished)
    return [p for p in pairs if p not in done], finished


def _relative(path: str, root: str) -> str:
    rel = path[len(root) :].lstrip(os.sep) if path.startswith(root) else os.path.basename(path)
    return rel.replace(os.sep, "/")
