"""`fastdeid run`: plan (source, destination) pairs for a tree, feed them to the core in chunks, and
collect a report. Progress and Ctrl-C are handled here, between chunks, never in worker threads."""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from . import _core
from .errors import UsageError
from .filenames import matches, render
from .labels import file_name, safe
from .log import TOOLKIT, DeidLog
from .profile import Profile, load_profile

CHUNK = 256


@dataclass(frozen=True)
class Failure:
    """A file that produced no output, and why (no patient value is ever included)."""

    path: str
    code: str
    message: str
    offset: int | None
    tag_path: str | None


@dataclass
class Report:
    """What a run did."""

    ok: int = 0
    failed: int = 0
    skipped: int = 0
    bytes_in: int = 0
    bytes_out: int = 0
    seconds: float = 0.0
    threads: int = 0
    failures: list[Failure] = field(default_factory=list)
    skips: list[tuple[str, str]] = field(default_factory=list)
    resumed: int = 0  # outputs already complete from an interrupted earlier run (counted in ok)

    @property
    def files(self) -> int:
        return self.ok + self.failed + self.skipped

    @property
    def disk_full(self) -> bool:
        """The output disk filled up and the run stopped."""
        return any(f.code == "disk-full" for f in self.failures)

    @property
    def files_per_second(self) -> float:
        return self.files / self.seconds if self.seconds > 0 else 0.0

    @property
    def mb_per_second(self) -> float:
        return self.bytes_in / 1e6 / self.seconds if self.seconds > 0 else 0.0

    def summary(self) -> str:
        return (
            f"{self.ok} ok{f' ({self.resumed} already done)' if self.resumed else ''}, {self.failed} failed, {self.skipped} skipped; {self.bytes_in / 1e6:.1f} MB in "
            f"{self.seconds:.2f} s ({self.files_per_second:.0f} files/s, {self.mb_per_second:.1f} MB/s, {self.threads} threads)"
        )


def plan(src: str | os.PathLike[str], dst: str | os.PathLike[str]) -> list[tuple[Path, Path]]:
    """The (input, output) pairs of a run: DST mirrors the relative paths under SRC.

    A single file SRC goes to DST, or into DST when DST is an existing directory. Symbolic links
    and special files are listed too, so that the core reports them as skipped.
    """
    return [(Path(s), Path(d)) for s, d in _plan(src, dst)]


def _plan(src: str | os.PathLike[str], dst: str | os.PathLike[str]) -> list[Any]:
    """`plan` as strings: for a tree of many small files, pathlib objects cost more than the walk."""
    src_path, dst_path = Path(src), Path(dst)
    if not src_path.exists() and not src_path.is_symlink():
        raise UsageError(f"{src}: no such file or directory")
    if src_path.is_file():
        target = dst_path / src_path.name if dst_path.is_dir() else dst_path
        if target.resolve() == src_path.resolve():
            raise UsageError(f"{dst}: the output would overwrite the input")
        return [(str(src_path), str(target))]
    src_real, dst_real = src_path.resolve(), dst_path.resolve()
    if dst_real == src_real or src_real in dst_real.parents:
        raise UsageError(f"{dst}: the destination is inside the source tree; choose a folder outside {src}")
    root, out = str(src_path), str(dst_path)
    return [(p, out + p[len(root) :]) for p in _walk(root)]


def _walk(root: str) -> Iterator[str]:
    """Every non-directory entry under root, in sorted order, without following symlinked folders."""
    with os.scandir(root) as it:
        entries = sorted(it, key=lambda e: e.name)
    for entry in entries:
        if entry.is_dir(follow_symlinks=False):
            yield from _walk(entry.path)
        else:
            yield entry.path


def run(
    src: str | os.PathLike[str],
    dst: str | os.PathLike[str],
    profile: str | os.PathLike[str] | Profile = "none",
    jobs: int = 0,
    *,
    fsync: bool = True,
    progress: Callable[[Report], None] | None = None,
    deid_log: str | os.PathLike[str] | None = None,
    log_flavour: tuple[str, str] = TOOLKIT,
    pairs: list[Any] | None = None,  # (input, output) as str or Path
    log_in_output: bool = False,
    extra_columns: tuple[str, ...] = (),
    on_result: Callable[[_core.FileResult], None] | None = None,
    resume: bool = True,
    accept_no_meta: bool = False,
    rename: bool = True,
    name_by_uid: bool = False,
) -> Report:
    """De-identifies every file under SRC into DST with PROFILE on JOBS threads (0 = all cores).

    The deid log goes to `deid_log`, else to the profile's `deid-log:` path, if either is set.
    With `filenames:` templates in the profile (and `rename`), each output is named by the first
    template whose input-regex matches its input name, and inputs no template matches are skipped.
    Otherwise `name_by_uid` names each output `<SOPInstanceUID>.<Modality>.dcm` from the
    de-identified values (input names often carry identifiers); by default outputs keep the
    input's relative path. Returns a :class:`Report`; a bad file is a failure in the report, never an exception.
    """
    prof = profile if isinstance(profile, Profile) else load_profile(profile)
    pairs = _plan(src, dst) if pairs is None else pairs
    templates = prof.filenames if rename else ()
    unnamed: list[Any] = []
    if templates:
        named: list[Any] = []
        for p in pairs:
            (named if matches(templates, os.path.basename(p[0])) else unnamed).append(p)
        pairs = named
        extra_columns = tuple(dict.fromkeys(extra_columns + tuple(k for t in templates for k in t.keywords)))
    elif name_by_uid:
        extra_columns = tuple(dict.fromkeys((*extra_columns, "SOPInstanceUID", "Modality")))
    renaming = bool(templates) or name_by_uid
    done: list[tuple[Path, Path]] = []
    if resume and Path(src).is_dir():
        pairs, done = _resume(Path(src), Path(dst), prof, pairs)
    log_path = deid_log if deid_log is not None else prof.deid_log
    # The log re-identifies the output, so it stays out of the output tree unless the caller asks.
    log = (
        DeidLog(log_path, prof.log_columns(), log_flavour, outside=None if log_in_output else Path(dst))
        if log_path
        else None
    )
    if log is not None:
        log.check()
    reporting = log is not None or bool(extra_columns)
    batch = _core.Batch(
        prof.compiled_with_log(extra_columns) if reporting else prof.compiled,
        jobs=jobs,
        fsync=fsync,
        accept_no_meta=accept_no_meta,
    )
    width = prof.core_log_width
    report = Report(threads=batch.threads, ok=len(done), resumed=len(done), skipped=len(unnamed))
    report.skips += [(str(p[0]), "no filenames input-regex matches the file name") for p in unnamed]
    src_root = Path(src)
    started = time.perf_counter()
    try:
        for i in range(0, len(pairs), CHUNK):
            for r in batch.process(pairs[i : i + CHUNK]):
                _account(report, r)
                if renaming and r.status == "ok" and r.log_after is not None:
                    values = dict(zip(extra_columns, r.log_after[width:]))
                    planned = Path(r.dst).name
                    name = (
                        render(list(templates), Path(r.src).name, values, prof.compiled)
                        if templates
                        else file_name(values, planned)
                    )
                    _rename(r, safe(name or planned), report)
                if log is not None and r.log_before is not None:
                    name = Path(r.src).name
                    after = prof.log_row(name, r.log_after[:width]) if r.log_after is not None else None
                    log.write(_relative(Path(r.src), src_root), prof.log_row(name, r.log_before[:width]), after)
                if on_result is not None:
                    on_result(r)
            report.seconds = time.perf_counter() - started
            if progress is not None:
                progress(report)
            if report.disk_full:
                break  # the rest would fail the same way; a rerun after freeing space resumes
    finally:
        if log is not None:
            log.close()
    report.seconds = time.perf_counter() - started
    return report


MANIFEST = ".fastdeid-run.json"


def _resume(src: Path, dst: Path, prof: Profile, pairs: list[Any]) -> tuple[list[Any], list[Any]]:
    """Resumable runs: DST holds a manifest naming the source and the profile. A rerun of the same
    command finds it, removes temporary files a killed run left, and skips outputs that exist: an
    output only gets its final name once it is complete and on disk, so existing means finished.
    A folder written by another run, or holding files not written by fastdeid, is refused."""
    manifest = {"source": str(src.resolve()), "profile_sha256": prof.digest}
    path = dst / MANIFEST
    if path.exists():
        try:
            previous = json.loads(path.read_text())
        except ValueError:
            previous = None
        if previous != manifest:
            raise UsageError(f"{dst}: holds the output of a run with another source or profile; use an empty folder")
    elif dst.exists() and any(dst.iterdir()):
        raise UsageError(f"{dst}: not empty and not written by a fastdeid run; use an empty folder")
    else:
        dst.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(manifest, sort_keys=True) + "\n")
        return pairs, []  # a fresh folder: nothing to resume
    for stale in dst.rglob("*.fastdeid-tmp"):
        stale.unlink(missing_ok=True)
    todo: list[Any] = []
    done: list[Any] = []
    for pair in pairs:
        (done if os.path.exists(pair[1]) else todo).append(pair)
    return todo, done


def _rename(r: _core.FileResult, name: str, report: Report) -> None:
    """Gives a finished output its new name, in the same folder. The name is taken with a hard
    link, which never replaces an existing file: a different file already there is a collision
    (reported; neither is overwritten), an identical one is a resumed run's output."""
    planned = Path(r.dst)
    final = planned.parent / name
    if final == planned:
        return
    try:
        os.link(planned, final)
    except FileExistsError:
        if final.read_bytes() != planned.read_bytes():
            report.ok -= 1
            report.failed += 1
            report.failures.append(
                Failure(
                    str(r.src),
                    "duplicate-output",
                    f"duplicate-output: would overwrite {final.name}; not written",
                    None,
                    None,
                )
            )
    planned.unlink()


def _relative(path: Path, root: Path) -> str:
    try:
        return path.relative_to(root).as_posix() if root.is_dir() else path.name
    except ValueError:
        return path.name


def _account(report: Report, r: _core.FileResult) -> None:
    if r.status == "ok":
        report.ok += 1
        report.bytes_in += r.bytes_in
        report.bytes_out += r.bytes_out
    elif r.status == "skipped":
        report.skipped += 1
        report.skips.append((str(r.src), r.message or ""))
    else:
        report.failed += 1
        report.failures.append(Failure(str(r.src), r.code or "io", r.message or "", r.offset, r.tag_path))
