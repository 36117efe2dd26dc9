"""`ingest --dask`: an ingest's chunks on a Dask cluster, with the outputs, deid log, mappings and subject
map of a local ingest (docs/scale-out.md#ingest).

Ingest names each output from its de-identified values (group/project/subject/session/acquisition/file),
which only the worker that reads the file knows, and two inputs may want one name. So no worker writes
into DEST: each chunk is de-identified into its own staging folder on DEST's filesystem
(DEST/.fastdeid-tmp/dask-<token>/chunk-<n>/, under the names the chunk's own core job gave), and the
client then settles every name in plan order, as one core job would have: the first input that got a
name keeps it, a later one is refused (`duplicate-output`, naming the first), an identical file already
there counts as done and another file is never overwritten. Only then is the staged file linked into
place. Subject codes are numbered the same way: each chunk numbers the subjects new to it from where the
map stood at the start, and the client renumbers them in plan order, so that codes and the subject map
are those of a local run.

A chunk run twice (its worker died) writes the same files into the same staging folder; what a dead
attempt left half-written there goes with the staging folder at the end.
"""

from __future__ import annotations

import contextlib
import copy
import filecmp
import os
import shutil
import uuid
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, cast

from . import _core
from .cluster import Chunk, Result, check_reproducible, in_order, preflight
from .job import Engine, Hierarchy, Job, Planned
from .profile import Profile

STAGING_PREFIX = "dask-"  # staging folders in DEST/.fastdeid-tmp; a dead client's are swept by the next ingest
NOT_WRITTEN = "another input's output has this name; not written"
EXISTS = "already exists with other content; not overwritten"


@dataclass(frozen=True)
class Staged:
    """What a worker sends back for a chunk: its results (names as its own core job gave them) and
    the subject codes that job made, in order (none without a subject map)."""

    results: list[Result]
    new_codes: list[tuple[tuple[str, ...], str]]


@dataclass(frozen=True)
class StagingJob:
    """The job as the workers get it (once): the ingest's job with the staging folder as its
    destination, the extra keywords the client's engine reads, and how many subject codes were known."""

    job: Job
    extra: tuple[str, ...]
    known_codes: int


def stage_chunk(staging: StagingJob, chunk: Chunk) -> Staged:
    """On a worker: the chunk through a fresh engine into its own staging folder. Its subject map is a
    copy, so that codes made by one chunk are not known to the next chunk this worker runs."""
    job = staging.job
    if isinstance(job.naming, Hierarchy) and job.naming.subjects is not None:
        job = replace(job, naming=replace(job.naming, subjects=copy.deepcopy(job.naming.subjects)))
    folder = os.path.join(os.fspath(job.destination), f"chunk-{chunk.number}")
    engine = Engine(replace(job, destination=folder, jobs=1, replace=True), extra=staging.extra)
    results = [Result.of(r) for r in engine.process_planned(chunk.inputs, chunk.first)]
    made = list(engine.subjects.codes.items())[staging.known_codes :] if engine.subjects is not None else []
    return Staged(results, made)


class Placer:
    """The client's side: settles names and subject codes in plan order and links staged outputs into DEST."""

    def __init__(self, job: Job, fixed_subject: Callable[[int], bool]) -> None:
        self.dest = os.fspath(job.destination)
        from .ingest import TEMP_FOLDER

        self.staging = os.path.join(self.dest, TEMP_FOLDER, f"{STAGING_PREFIX}{uuid.uuid4().hex[:12]}")
        self.fsync = job.fsync
        self.subjects = job.naming.subjects if isinstance(job.naming, Hierarchy) else None
        self.fixed_subject = fixed_subject  # whether an input's subject was given (not from the map)
        self.owners: dict[str, int] = {}  # output name -> the input that has it

    def place(self, chunk: Chunk, staged: Staged) -> list[_core.FileResult]:
        """The chunk's results as a local ingest reports them, its outputs linked into place."""
        renamed = self._renumber(staged.new_codes)
        folders: set[str] = set()
        results = []
        for r in staged.results:
            name = r.name if r.name is None else self._global_name(r, renamed)
            local = r.name
            r = replace(r, name=name, dst=None if name is None else os.path.join(self.dest, *name.split("/")))
            if r.status == "ok" and name is not None and local is not None:
                r = self._link(r, os.path.join(self.staging, f"chunk-{chunk.number}", *local.split("/")), folders)
            elif r.code == "duplicate-output" and r.other is not None and name is not None:
                r = replace(r, other=self.owners.get(name, r.other))  # the first of the whole job, not the chunk's
            results.append(cast(_core.FileResult, r))
        if self.fsync:
            for folder in folders:
                _fsync_folder(folder)
        return results

    def _renumber(self, made: list[tuple[tuple[str, ...], str]]) -> dict[str, str]:
        """The chunk's new subject codes -> the job's codes, numbered in plan order as a local ingest does."""
        renamed: dict[str, str] = {}
        if self.subjects is None:
            return renamed
        for key, local in made:
            if key not in self.subjects.codes:
                self.subjects.codes[key] = self.subjects.code_format.format(SubjectCode=len(self.subjects.codes) + 1)
            renamed[local] = self.subjects.codes[key]
        return renamed

    def _global_name(self, r: Result, renamed: dict[str, str]) -> str:
        """The name with the job's subject code in place of the chunk's (group/project/subject/...)."""
        assert r.name is not None
        parts = r.name.split("/")
        if renamed and not self.fixed_subject(r.index) and len(parts) > 2 and parts[2] in renamed:
            parts[2] = renamed[parts[2]]
        return "/".join(parts)

    def _link(self, r: Result, staged: str, folders: set[str]) -> Result:
        """Links a staged output to its name, unless an earlier input has the name or another file is there."""
        name, dst = r.name, r.dst
        assert name is not None and dst is not None
        if name in self.owners:
            return _refused(r, NOT_WRITTEN, self.owners[name])
        folder = os.path.dirname(dst)
        os.makedirs(folder, exist_ok=True)
        try:
            os.link(staged, dst)
            folders.add(folder)
        except FileExistsError:
            if not filecmp.cmp(staged, dst, shallow=False):
                return _refused(r, EXISTS, None)
            r = replace(r, already_done=True)  # an earlier ingest's identical output: done
        self.owners[name] = r.index
        return r

    @contextlib.contextmanager
    def staging_folder(self) -> Iterator[str]:
        """The staging folder for the run, removed afterwards however the run ends. It is locked while
        the run lasts, so that the next ingest into DEST removes it only when this client is gone."""
        from .ingest import held, sweep

        parent = os.path.dirname(self.staging)
        os.makedirs(parent, exist_ok=True)
        sweep(Path(parent), STAGING_PREFIX)
        os.makedirs(self.staging)
        try:
            with held(Path(self.staging), blocking=True):
                yield self.staging
        finally:
            shutil.rmtree(self.staging, ignore_errors=True)


def _refused(r: Result, why: str, other: int | None) -> Result:
    return replace(
        r,
        status="failed",
        code="duplicate-output",
        message=f"duplicate-output: {why}",
        other=other,
        bytes_in=0,
        bytes_out=0,
        changed=False,
    )


def _fsync_folder(folder: str) -> None:
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def batches(
    client: Any,
    job: Job,
    extra: tuple[str, ...],
    inputs: Sequence[Planned],
    fixed_subject: Callable[[int], bool],
    stop: Callable[[], bool],
) -> Iterator[tuple[int, list[_core.FileResult]]]:
    """The ingest's chunks on the cluster: (first input, results as a local ingest's) in plan order,
    each chunk's outputs in place before it is yielded. Refuses a profile a cluster cannot run the same."""
    if isinstance(job.profile, Profile):
        check_reproducible(job.profile)
    dest = os.path.abspath(os.fspath(job.destination))
    preflight(client, os.fspath(inputs[0][0]) if inputs and not isinstance(inputs[0][0], bytes) else dest, dest)
    job = replace(job, destination=dest)
    placer = Placer(job, fixed_subject)
    known = len(placer.subjects.codes) if placer.subjects is not None else 0
    with placer.staging_folder() as staging:
        remote = StagingJob(replace(job, destination=staging, temp_folder=staging), extra, known)
        for chunk, staged in in_order(client, remote, inputs, stop, stage_chunk):
            yield chunk.first, placer.place(chunk, staged)
