"""Outputs named from de-identified values on a Dask cluster: `ingest --dask` (group/project/subject/
session/acquisition/file), and `run --dask` with `--name-by-uid`, `filenames:` templates or the Basic
Profile's UID names (docs/scale-out.md#names, #ingest). The outputs, deid log, mappings and subject map
are those of a local run.

Only the worker that reads a file knows its name, and two inputs may want one name. So no worker
writes into the destination: each chunk is de-identified into its own staging folder on the
destination's filesystem (`<dest>/.fastdeid-tmp/dask-<token>/chunk-<n>/` for ingest,
`<dest>/.fastdeid-staging/...` for run), under the names the chunk's own core job gave, and the client
then settles every name in plan order, as one core job would have: the first input that got a name
keeps it, a later one is refused (`duplicate-output`, naming the first). Then the staged file goes into
place: ingest links it (an identical file already there counts as done, another file is never
overwritten), run renames it over whatever is there (a run's destination is its own). Subject codes
are numbered the same way: each chunk numbers the subjects new to it from where the map stood at the
start, and the client renumbers them in plan order, so that codes and the subject map are those of a
local run.

A chunk run twice (its worker died) writes the same files into the same staging folder; what a dead
attempt left half-written there goes with the staging folder at the end.
"""

from __future__ import annotations

import contextlib
import copy
import errno
import filecmp
import os
import shutil
import uuid
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, cast

from .._core import FileResult
from ..profile.load import Profile
from .cluster import Chunk, Result, check_reproducible, in_order
from .fsync import folders_up_to, sync_folder
from .job import Engine, Job, Planned
from .naming import AS_GIVEN, Hierarchy
from .temporaries import STAGING, TEMP_FOLDER, held, sweep

STAGING_PREFIX = "dask-"  # staging folders of runs; a dead client's are swept by the next run into the destination
RUN_STAGING = STAGING  # their parent in a `run` destination (ingest: its TEMP_FOLDER)
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
    engine = Engine(replace(job, destination=folder, jobs=1, replace=True), keywords=staging.extra)
    results = [Result.of(r) for r in engine.process_planned(chunk.inputs, chunk.first)]
    made = list(engine.subjects.codes.items())[staging.known_codes :] if engine.subjects is not None else []
    return Staged(results, made)


class Placer:
    """The client's side: settles names and subject codes in plan order and links staged outputs into DEST."""

    def __init__(self, job: Job, fixed_subject: Callable[[int], bool], given_root: str) -> None:
        self.dest = os.fspath(job.destination)
        self.given_root = given_root  # the destination as the caller wrote it (results' `dst`)
        parent = TEMP_FOLDER if isinstance(job.naming, Hierarchy) else RUN_STAGING
        self.staging = os.path.join(self.dest, parent, f"{STAGING_PREFIX}{uuid.uuid4().hex[:12]}")
        self.replace = job.replace
        self.fsync = job.fsync
        self.subjects = job.naming.subjects if isinstance(job.naming, Hierarchy) else None
        self.fixed_subject = fixed_subject  # whether an input's subject was given (not from the map)
        self.owners: dict[str, int] = {}  # output name -> the input that has it

    def place(self, chunk: Chunk, staged: Staged, planned: Sequence[Planned]) -> list[FileResult]:
        """The chunk's results as a local run reports them (paths as the plan has them), its outputs in place."""
        renamed = self._renumber(staged.new_codes)
        folders: set[str] = set()
        results = []
        for r, (source, _, _) in zip(staged.results, planned[chunk.first : chunk.first + len(staged.results)]):
            name = r.name if r.name is None else self._global_name(r, renamed)
            local = r.name
            src = r.src if isinstance(source, bytes) else source
            r = replace(r, src=src, name=name, dst=None if name is None else os.path.join(self.dest, *name.split("/")))
            if r.status == "ok" and name is not None and local is not None:
                r = self._place(r, os.path.join(self.staging, f"chunk-{chunk.number}", *local.split("/")), folders)
            elif r.code == "duplicate-output" and r.other is not None and name is not None:
                r = replace(r, other=self.owners.get(name, r.other))  # the first of the whole job, not the chunk's
            if r.dst is not None and name is not None:
                r = replace(r, dst=os.path.join(self.given_root, *name.split("/")))
            results.append(cast(FileResult, r))
        if self.fsync:
            for folder in sorted(folders, key=len, reverse=True):  # a folder's names before its own
                sync_folder(folder)
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

    def _place(self, r: Result, staged: str, folders: set[str]) -> Result:
        """Puts a staged output at its name, unless an earlier input has the name, or (not replacing)
        another file is there."""
        name, dst = r.name, r.dst
        assert name is not None and dst is not None
        if name in self.owners:
            return _refused(r, NOT_WRITTEN, self.owners[name])
        folder = os.path.dirname(dst)
        try:
            os.makedirs(folder, exist_ok=True)
            if folder not in folders:  # the folders above it may have been made for it too
                folders.update(folders_up_to(dst, self.dest))
            if self.replace:
                os.replace(staged, dst)
            else:
                os.link(staged, dst)
        except FileExistsError:
            if not filecmp.cmp(staged, dst, shallow=False):
                return _refused(r, EXISTS, None)
            r = replace(r, already_done=True)  # an earlier ingest's identical output: done
        except OSError as exc:
            # As the core reports a file it could not write: a full disk stops the run, the rerun does it.
            code = "disk-full" if exc.errno == errno.ENOSPC else "io"
            message = f"{code}: cannot put the output in place ({exc.strerror or exc})"
            return replace(r, status="failed", code=code, message=message, bytes_in=0, bytes_out=0, changed=False)
        self.owners[name] = r.index
        return r

    @contextlib.contextmanager
    def staging_folder(self) -> Iterator[str]:
        """The staging folder for the run, removed afterwards however the run ends. It is locked while
        the run lasts, so that the next run into the destination removes it only when this client is gone."""
        parent = os.path.dirname(self.staging)
        os.makedirs(parent, exist_ok=True)
        sweep(Path(parent), STAGING_PREFIX)
        os.makedirs(self.staging)
        try:
            with held(Path(self.staging), blocking=True):
                yield self.staging
        finally:
            shutil.rmtree(self.staging, ignore_errors=True)
            with contextlib.suppress(OSError):
                os.rmdir(parent)  # empty unless another run is staging there


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


def settles_names(job: Job) -> bool:
    """Whether the job names outputs from de-identified values (so a cluster must stage and settle them)."""
    prof = job.profile
    return job.naming not in (None, AS_GIVEN) or (isinstance(prof, Profile) and bool(prof.filenames))


def batches(
    client: Any,
    job: Job,
    extra: tuple[str, ...],
    inputs: Sequence[Planned],
    fixed_subject: Callable[[int], bool],
    stop: Callable[[], bool],
) -> Iterator[tuple[int, list[FileResult]]]:
    """The job's chunks on the cluster: (first input, results as a local run's) in plan order, each
    chunk's outputs in place before it is yielded. Refuses a profile a cluster cannot run the same.
    The caller has run the pre-flight check (:func:`fastdeid.jobs.cluster.preflight`)."""
    if isinstance(job.profile, Profile):
        check_reproducible(job.profile)
    given_root = os.fspath(job.destination)
    job = replace(job, destination=os.path.abspath(given_root))
    placer = Placer(job, fixed_subject, given_root)
    known = len(placer.subjects.codes) if placer.subjects is not None else 0
    with placer.staging_folder() as staging:
        remote = StagingJob(replace(job, destination=staging, temp_folder=staging, inputs=()), extra, known)
        for chunk, staged in in_order(client, remote, inputs, stop, stage_chunk):
            yield chunk.first, placer.place(chunk, staged, inputs)
