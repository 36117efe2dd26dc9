"""A run's chunks on a Dask cluster (`fastdeid run --dask ADDRESS`, `fastdeid.run(..., client=client)`).

The client walks SRC, plans and resumes exactly as a local run; only the de-identification moves:
the plan is cut into chunks (balanced by bytes and file count), each chunk is one Dask task that
feeds it to a job :class:`~fastdeid.jobs.job.Engine` on a worker, and the results come back to the client,
which accounts them and writes the one deid log in plan order. Workers read SRC and write DST
through a shared filesystem, at the same absolute paths as the client.

Names across workers: with the default naming (the input's relative path) every output name is
fixed by the plan, which already refuses two inputs with one output name, so no two tasks can
claim one name. Naming from de-identified values (`--name-by-uid`, `filenames:` templates) decides
names inside one core job, which sees only its own chunk; those runs stage their chunks and the
client settles the names over the whole job (fastdeid.jobs.cluster_names, docs/scale-out.md#names).

Retries: when a worker dies, Dask runs its task again elsewhere. That is harmless: outputs are
written to a temporary name and renamed into place, the same input always gives the same bytes
(a profile with unseeded jitter is refused, see :func:`check_reproducible`), and a run's
destination is its own (`replace`), so a second write of a chunk replaces a file with an identical one.
"""

from __future__ import annotations

import math
import os
import pickle
import signal
import tempfile
import threading
import uuid
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, TypeVar, cast

from .._core import FileResult
from ..errors import UsageError
from ..profile.load import Profile
from ..version import VERSION
from .job import Engine, Job, Planned
from .temporaries import remove_stale_temporaries

# Chunks are balanced by cost, counted in bytes: a file costs its size plus FILE_COST, the fixed
# work of one file (open, parse, create, rename: about 80 us on one core, the time the core takes
# to copy 25-30 KB). Chunks shrink as the run goes on ("guided" scheduling): each takes 1/SHARE of
# what is left to cut per worker thread, at most CHUNK_COST (128 MB: a few tenths of a second of
# work on one core, so Dask's few milliseconds per task stay around 1%, and at most 4,096 files) and
# at least MIN_CHUNK_COST (16 MB, 512 small files: about 40 ms of work; 4 MB measured slower, its
# last tasks' Dask overhead longer than their work). Big chunks first keep the
# tasks few; small ones last let the workers finish together instead of one waiting for another's
# big last chunk. A small run is cut into at least CHUNKS_PER_THREAD chunks per thread all the same
# (docs/scale-out.md#chunks).
FILE_COST = 32 * 1024
CHUNK_COST = 128 * 1024 * 1024
MIN_CHUNK_COST = 16 * 1024 * 1024
SHARE = 2
CHUNKS_PER_THREAD = 4
# Tasks in flight per worker thread: one running and one queued, so a worker never waits for the
# client, and Ctrl-C has at most this many tasks to finish.
IN_FLIGHT_PER_THREAD = 2
CONNECT_SECONDS = 10  # how long to wait for a scheduler before saying it cannot be reached
# Dask settings of the workers of `--dask local:N` (docs/scale-out.md#worker-settings).
LOCAL_WORKER_SETTINGS = {
    "distributed.worker.profile.enabled": False,
    "distributed.admin.system-monitor.gil.enabled": False,
}
T = TypeVar("T")  # what a task returns
J = TypeVar("J")  # the job a task is given


class ClusterError(UsageError):
    """A cluster that cannot run the job (unreachable, workers that cannot see SRC or DST, a task
    Dask gave up on): one line, exit 2."""


@dataclass(frozen=True)
class Result:
    """A file's result as it comes back from a worker: the fields of :class:`fastdeid.FileResult`."""

    index: int
    src: str
    name: str | None
    dst: str | None
    status: str
    code: str | None
    message: str | None
    offset: int | None
    tag_path: str | None
    bytes_in: int
    bytes_out: int
    changed: bool
    already_done: bool
    other: int | None
    log_before: list[str | None] | None
    log_after: list[str | None] | None
    values_before: list[str | None] | None
    values_after: list[str | None] | None
    warnings: list[str]

    @classmethod
    def of(cls, r: FileResult) -> Result:
        return cls(
            r.index,
            r.src,
            r.name,
            r.dst,
            r.status,
            r.code,
            r.message,
            r.offset,
            r.tag_path,
            r.bytes_in,
            r.bytes_out,
            r.changed,
            r.already_done,
            r.other,
            r.log_before,
            r.log_after,
            r.values_before,
            r.values_after,
            list(r.warnings),
        )


@dataclass(frozen=True)
class Chunk:
    """Inputs `first`, `first + 1`, ... of the plan, as the workers see them (absolute paths)."""

    number: int
    first: int
    inputs: list[Planned]


def check_reproducible(profile: Profile) -> None:
    """A profile with `jitter` or `jitter-date` and no `jitter-seed` draws from the worker's
    randomness: a retried task would write different values than its first attempt logged."""
    jittered = [r.name for r in profile.rules if r.action == "jitter" or (r.shift or {}).get("jitter")]
    if jittered and not profile.spec.get("jitter_seed"):
        raise ClusterError(
            f"--dask: {jittered[0]} is jittered with random draws, which differ between workers and on a retry; "
            "add `jitter-seed:` (a secret of 8 characters or more) to the profile's `dicom:` section to make "
            "every draw a function of the patient (docs/profiles.md#jitter-seed)"
        )


@contextmanager
def connect(address: str) -> Iterator[Any]:
    """A `distributed.Client` for ADDRESS: `local:N` starts a LocalCluster of N worker processes
    (one thread each) for the duration; anything else is a scheduler address (`tcp://host:8786`)."""
    dd = _distributed()
    if address.startswith("local:"):
        count = address.removeprefix("local:")
        if not count.isdigit() or int(count) < 1:
            raise UsageError(f"--dask {address}: local:N takes a number of worker processes, such as local:4")
        import logging

        # Ctrl-C in a terminal reaches the whole process group: the workers ignore it (they inherit
        # that), and the client finishes the chunks in flight and stops the run. The workers'
        # statistical profiler and GIL monitor (for Dask's dashboard) cost each worker about 1.2% of a
        # core, idle or not, on the cores that do the work; they are off (docs/scale-out.md#worker-settings).
        with _ctrl_c_ignored(), _dask_config().set(LOCAL_WORKER_SETTINGS):
            cluster = dd.LocalCluster(
                n_workers=int(count),
                threads_per_worker=1,
                processes=True,
                dashboard_address=":0",  # any free port: 8787 may be another cluster's
                silence_logs=logging.ERROR,
            )
        with cluster, dd.Client(cluster) as client:
            yield client
        return
    try:
        client = dd.Client(address, timeout=f"{CONNECT_SECONDS}s")
    except (OSError, TimeoutError, ValueError) as exc:
        reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise ClusterError(
            f"--dask {address}: cannot reach the Dask scheduler within {CONNECT_SECONDS} s ({reason})"
        ) from None
    try:
        yield client
    finally:
        client.close()


@contextmanager
def _ctrl_c_ignored() -> Iterator[None]:
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


def _dask_config() -> Any:
    import importlib

    return importlib.import_module("dask.config")


def _distributed() -> Any:
    """Dask's distributed package (optional, and without type annotations mypy could use)."""
    import importlib

    try:
        return importlib.import_module("distributed")
    except ImportError:
        raise UsageError("--dask needs Dask's distributed package: pip install 'fastdeid[dask]'") from None


def threads(client: Any) -> int:
    """Worker threads in the cluster now."""
    return sum(client.nthreads().values())


def preflight(client: Any, src: str, dst: str) -> None:
    """Runs a check on every worker: same fastdeid, sees SRC, can write DST. Raises a
    :class:`ClusterError` naming the first worker that cannot."""
    if not client.nthreads():
        raise ClusterError("--dask: the cluster has no workers")
    try:
        answers = client.run(_check_worker, os.path.abspath(src), os.path.abspath(dst), VERSION)
    except Exception as exc:  # whatever a worker raised: one line
        raise ClusterError(f"--dask: a worker cannot run fastdeid ({type(exc).__name__}: {exc})") from None
    for worker, problem in sorted(answers.items()):
        if problem:
            raise ClusterError(f"--dask: worker {worker}: {problem}")


def _check_worker(src: str, dst: str, version: str) -> str | None:
    """On a worker: why it cannot take part, or None. VERSION is the worker's own: it imports this
    module from its own installation."""
    if version != VERSION:
        return f"fastdeid {VERSION} is installed, the client has {version}; install the same version everywhere"
    if not os.path.exists(src):
        return f"{src}: not found; workers need SRC at the same path as the client (a shared filesystem)"
    folder = dst
    while not os.path.isdir(folder):  # the client creates DST; a single output's folder may come later
        parent = os.path.dirname(folder)
        if parent == folder:
            return f"{dst}: no such folder on this worker"
        folder = parent
    try:
        with tempfile.NamedTemporaryFile(dir=folder, prefix=".fastdeid-preflight-"):
            pass
    except OSError as exc:
        return f"{folder}: cannot write here ({exc.strerror or exc}); workers need DST on a shared, writable filesystem"
    return None


def cut(inputs: Sequence[Planned], workers: int) -> list[Chunk]:
    """The plan in chunks of consecutive inputs (see CHUNK_COST): each costs about what is left
    divided by SHARE x the worker threads, between MIN_CHUNK_COST (lower for a run too small to give
    every thread CHUNKS_PER_THREAD chunks of it) and CHUNK_COST. A file costs its size plus FILE_COST."""
    costs = [_size(source) + FILE_COST for source, _, _ in inputs]
    threads = max(1, workers)
    left = sum(costs)
    floor = max(1, min(MIN_CHUNK_COST, math.ceil(left / (CHUNKS_PER_THREAD * threads))))
    chunks: list[Chunk] = []
    start = 0
    while start < len(inputs):
        target = min(CHUNK_COST, max(floor, math.ceil(left / (SHARE * threads))))
        end, held = start + 1, costs[start]
        while end < len(inputs) and held + costs[end] <= target:
            held += costs[end]
            end += 1
        chunks.append(Chunk(len(chunks), start, _absolute(inputs[start:end])))
        start, left = end, left - held
    return chunks


def _size(source: str | bytes) -> int:
    if isinstance(source, bytes):
        return len(source)
    try:
        return os.lstat(source).st_size
    except OSError:
        return 0  # the worker reports what is wrong with it


def _absolute(inputs: Sequence[Planned]) -> list[Planned]:
    """Paths as workers need them: their working folder is not the client's."""
    return [(s if isinstance(s, bytes) else os.path.abspath(s), name, labels) for s, name, labels in inputs]


def run_chunk(job: Job, chunk: Chunk) -> list[Result]:
    """On a worker: one chunk through a fresh engine (a fresh set of name claims, so that a task run
    twice on one worker is not refused its own names). Dask runs tasks on its own threads, so the
    engine uses one."""
    engine = Engine(replace(job, jobs=1))
    results = [Result.of(r) for r in engine.process_planned(chunk.inputs, chunk.first)]
    engine.sync()  # the names are durable before the client counts them (an OSError fails the chunk)
    return results


def batches(
    client: Any, job: Job, inputs: Sequence[Planned], stop: Callable[[], bool], own_destination: bool = True
) -> Iterator[tuple[int, list[FileResult]]]:
    """`run`'s chunks on the cluster (see :func:`in_order`) when the plan fixes every output name:
    (first input, results) in plan order. Names from de-identified values (`--name-by-uid`,
    `filenames:`, the Basic Profile's UID names) are staged and settled instead (fastdeid.jobs.cluster_names).

    A worker that dies mid-chunk leaves the temporary file it was writing; Dask's retry writes
    the output again under its own temporary name. So when a worker left during the run and
    the destination is the run's own (`own_destination`: a tree, not a single file's folder),
    the temporaries are removed at the end, as a rerun on one machine does at its start."""
    given_root = os.fspath(job.destination)
    remote = replace(job, destination=os.path.abspath(given_root), inputs=())
    # A worker that died is gone from the scheduler's list (its replacement has another address).
    # The list is asked for at the start and the end only: each ask is a round trip (12 ms here).
    seen = set(client.nthreads())
    for chunk, results in in_order(client, remote, inputs, stop, run_chunk):
        planned = inputs[chunk.first : chunk.first + len(results)]
        yield chunk.first, [_as_given(r, p, given_root) for r, p in zip(results, planned)]
    if own_destination and seen - set(client.nthreads()) and os.path.isdir(remote.destination):
        remove_stale_temporaries(Path(remote.destination))


def in_order(
    client: Any, job: J, inputs: Sequence[Planned], stop: Callable[[], bool], task: Callable[[J, Chunk], T]
) -> Iterator[tuple[Chunk, T]]:
    """Runs `task(job, chunk)` for the plan's chunks on the cluster and yields (chunk, what it
    returned) in plan order, as soon as every earlier chunk is in. Once `stop()` is true no chunk is started; the ones running are
    finished and yielded, so what is yielded is always the plan's first chunks (a rerun's resume
    and deid log rely on it). The job is sent once, not with each chunk."""
    workers = threads(client)
    chunks = cut(inputs, workers)
    token = uuid.uuid4().hex[:12]
    # Each task carries the job pickled (5 KB for the bench profile), and each worker process
    # unpickles it once per run and keeps it (`_job`), so its profile is compiled once. Not a
    # Dask dependency: Dask gives a task to a worker that holds its inputs, so with the job held by
    # one worker every first chunk queued there while the others idled (0.25 s of a 1.2 s run in
    # Dask's task stream), and copying it to every worker first cost a round trip per run. Not
    # scattered either: scattered data is lost for good when every worker holding it dies, and
    # every chunk with it.
    blob = pickle.dumps(job)
    waiting = iter(chunks)
    running: dict[Any, Chunk] = {}
    finished = _distributed().as_completed()

    def submit() -> None:
        chunk = next(waiting, None)
        if chunk is not None:
            key = f"fastdeid-chunk-{chunk.number}-{token}"
            future = client.submit(_run_task, task, token, blob, chunk, key=key, pure=False)
            running[future] = chunk
            finished.add(future)

    for _ in range(IN_FLIGHT_PER_THREAD * max(1, workers)):
        submit()
    arrived: dict[int, T] = {}
    following = 0
    try:
        for future in finished:
            chunk = running.pop(future)
            try:
                arrived[chunk.number] = future.result()
            except Exception as exc:  # a task Dask gave up on (KilledWorker, ...)
                raise ClusterError(f"--dask: chunk {chunk.number} (input {chunk.first} on) failed: {exc}") from None
            future.release()
            if not stop():
                submit()
            while following in arrived:
                yield chunks[following], arrived.pop(following)
                following += 1
    finally:
        for future in running:
            future.cancel()


# On a worker: the jobs of the runs it took part in lately, by run token (a long-lived cluster
# serves many runs; a few are kept, and a job that is gone is unpickled again).
_WORKER_JOBS: dict[str, Any] = {}
WORKER_JOBS_KEPT = 4


def _run_task(task: Callable[[J, Chunk], T], token: str, blob: bytes, chunk: Chunk) -> T:
    """On a worker: `task(job, chunk)` with the run's job, unpickled once per run in this process."""
    job = _WORKER_JOBS.get(token)
    if job is None:
        job = pickle.loads(blob)
        while len(_WORKER_JOBS) >= WORKER_JOBS_KEPT:
            _WORKER_JOBS.pop(next(iter(_WORKER_JOBS)))
        _WORKER_JOBS[token] = job
    return task(job, chunk)


def _as_given(r: Result, planned: Planned, root: str) -> FileResult:
    """A worker's result with the paths the client's plan has (relative paths stay relative), so
    messages, the report and the log read as in a local run. A Result has every field a
    FileResult has."""
    source = planned[0]
    src = r.src if isinstance(source, bytes) else source
    dst = os.path.join(root, *r.name.split("/")) if r.dst is not None and r.name is not None else r.dst
    return cast(FileResult, replace(r, src=src, dst=dst))
