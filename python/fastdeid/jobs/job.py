"""The job API: de-identify a list of inputs (files, or bytes with a name) with one profile into one
destination, each output named by one naming policy decided in the core before the output is
opened (naming.py). `fastdeid run`, `deid test` and `ingest` are front ends over the same
:class:`Engine`.

    import fastdeid
    from fastdeid import Input, Job

    results = fastdeid.process(Job(
        inputs=["in/a.dcm", Input(data=open("b.dcm", "rb").read(), name="sub/b.dcm")],
        profile="minimal",
        destination="out/",
    ))
    for r in results:
        print(r.src, r.status, r.name, r.code)   # "in/a.dcm ok a.dcm None", "sub/b.dcm ok sub/b.dcm None"
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from .._core import FileResult
from .._core import Job as CoreJob
from ..profile.load import Profile, load_profile
from .naming import Hierarchy, core_naming
from .walk import output_name

# An input as the core takes it: path or bytes, planned relative name, (subject, session, acquisition).
Planned = tuple[str | bytes, str, tuple[str | None, str | None, str | None] | None]
CHUNK = 256  # inputs per core call: progress and Ctrl-C are handled between chunks


@dataclass(frozen=True)
class Input:
    """One input: a file (`path`) or a Part 10 file in memory (`data`), and the relative name its
    output is planned under (default: the file's name, `.gz` dropped). `subject`, `session` and
    `acquisition` fix those labels of a :class:`Hierarchy`."""

    path: str | os.PathLike[str] | None = None
    data: bytes | None = None
    name: str | None = None
    subject: str | None = None
    session: str | None = None
    acquisition: str | None = None

    def planned(self) -> str:
        if self.name is not None:
            return self.name
        if self.path is None:
            raise ValueError("an Input with data needs a name")
        return output_name(os.path.basename(os.fspath(self.path)))

    def labels(self) -> tuple[str | None, str | None, str | None] | None:
        if self.subject is None and self.session is None and self.acquisition is None:
            return None
        return (self.subject, self.session, self.acquisition)


@dataclass(frozen=True)
class Job:
    """What to de-identify, with what, to where.

    `naming`: None (the profile's `filenames:` templates if it has any, else the input's relative
    name), `"by-uid"`, `"uid-tree"` (`<StudyInstanceUID>/<SeriesInstanceUID>/<SOPInstanceUID>.dcm`,
    no part of the input's name), or a :class:`Hierarchy`. `log`: report each file's deid log rows.
    `replace`: an output may replace a file already at its name (a `run` destination is the run's
    own); otherwise an existing file is kept, and counts as this output when it has the same bytes.
    `temp_folder`: where outputs are written before they get their names (on the destination's
    file system); by default beside each output.
    """

    inputs: Sequence[Input | str | os.PathLike[str]]
    profile: Profile | str | os.PathLike[str]
    destination: str | os.PathLike[str]
    naming: str | Hierarchy | None = None
    log: bool = False
    jobs: int = 0
    fsync: bool = True
    accept_no_meta: bool = False
    replace: bool = True
    temp_folder: str | os.PathLike[str] | None = None


def process(job: Job) -> list[FileResult]:
    """De-identifies every input of JOB and returns one result per input, in order.

    Each result has `status` ("ok", "failed", "skipped"), `code` and `message` for failures (never
    a patient value), `name` (the output's relative name) and `dst` (its path), `bytes_in`,
    `bytes_out`, `warnings` (repairs), `already_done`, and with `log=True` the deid log's
    `log_before`/`log_after` cells (see :meth:`Engine.log_rows` for full rows). A bad file is a
    failed result, never an exception.

    >>> import fastdeid
    >>> results = fastdeid.process(fastdeid.Job(["in/a.dcm"], "minimal", "out/"))  # doctest: +SKIP
    >>> [(r.status, r.name) for r in results]  # doctest: +SKIP
    [('ok', 'a.dcm')]
    """
    engine = Engine(job)
    inputs = [i if isinstance(i, Input) else Input(path=i) for i in job.inputs]
    results: list[FileResult] = []
    for chunk in engine.chunks(inputs):
        results += chunk
    return results


class Engine:
    """A job's compiled profile, naming policy and worker pool in the core, fed chunk after chunk.

    The profile is the one compiled when it was loaded: the core reads the deid log's columns only
    when the job keeps a log (`job.log`), and the values of `keywords` (before and after the rules,
    see :meth:`values`) beside those its naming policy reads."""

    def __init__(self, job: Job, keywords: tuple[str, ...] = ()) -> None:
        self.profile = job.profile if isinstance(job.profile, Profile) else load_profile(job.profile)
        prof = self.profile
        naming, kwargs = core_naming(prof, job.naming)
        self.core = CoreJob(
            prof.compiled,
            os.fspath(job.destination),
            naming=naming,
            log=job.log,
            keywords=list(keywords),
            replace=job.replace,
            temp_folder=None if job.temp_folder is None else os.fspath(job.temp_folder),
            # New subject codes are numbered in input order, as without a worker pool.
            jobs=1 if isinstance(job.naming, Hierarchy) and job.naming.subjects is not None else job.jobs,
            fsync=job.fsync,
            accept_no_meta=job.accept_no_meta,
            **kwargs,
        )
        self.subjects = job.naming.subjects if isinstance(job.naming, Hierarchy) else None

    @property
    def threads(self) -> int:
        return self.core.threads

    def process(self, inputs: Sequence[Input], first: int) -> list[FileResult]:
        """De-identifies inputs `first`, `first + 1`, ... of the job (call in order)."""
        return self.process_planned([(_source(i), i.planned(), i.labels()) for i in inputs], first)

    def process_planned(self, inputs: Sequence[Planned], first: int) -> list[FileResult]:
        """:meth:`process` for inputs already in the core's form (path or bytes, planned name,
        labels): a front end with many small files builds these once, without an Input each."""
        results = self.core.process(inputs, first)
        if self.subjects is not None:
            self.subjects.codes = {tuple(k): code for k, code in self.core.subject_codes()}
        return results

    def sync(self) -> None:
        """Makes the names of the outputs stored since the last call durable (fsync of the folders
        they went into; nothing when the job's `fsync` is off). Raises OSError."""
        self.core.sync()

    def chunks(self, inputs: Sequence[Input], size: int = CHUNK) -> Iterator[list[FileResult]]:
        for i in range(0, len(inputs), size):
            yield self.process(inputs[i : i + size], i)

    def values(self, r: FileResult) -> tuple[dict[str, str | None], dict[str, str | None]] | None:
        """A result's header values by keyword (`keywords`, and those the naming policy reads), before
        and after the rules; None for a file the rules did not finish."""
        if r.values_before is None or r.values_after is None:
            return None
        names = self.core.value_names
        return dict(zip(names, r.values_before, strict=True)), dict(zip(names, r.values_after, strict=True))

    def log_rows(
        self, r: FileResult, file_name: str | None = None
    ) -> tuple[list[str | None], list[str | None] | None] | None:
        """The deid log's before and after rows of a result (the after row is None for a file a
        rule failed), or None when it has none. `file_name` is what `filenames:` groups match."""
        return log_rows(self.profile, r, file_name)


def log_rows(
    profile: Profile, r: FileResult, file_name: str | None = None
) -> tuple[list[str | None], list[str | None] | None] | None:
    """:meth:`Engine.log_rows` from the profile alone (a cluster's client has no engine)."""
    if r.log_before is None:
        return None
    name = file_name if file_name is not None else os.path.basename(r.src)
    before = profile.log_row(name, r.log_before)
    after = profile.log_row(name, r.log_after) if r.log_after is not None else None
    return before, after


def _source(i: Input) -> str | bytes:
    if i.data is not None:
        return i.data
    if i.path is None:
        raise ValueError("an Input needs a path or data")
    return os.fspath(i.path)
