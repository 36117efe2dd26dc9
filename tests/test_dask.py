"""The same job on a Dask cluster (`run --dask`, `fastdeid.run(..., client=)`, docs/scale-out.md): outputs and
deid log byte-identical to a local run, also when a worker dies mid-run or the client is killed and the command is
rerun; profiles a cluster cannot run the same are refused; a cluster that cannot run the job is one line, exit 2."""

from __future__ import annotations

import itertools
import os
import re
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import fastdeid
from fastdeid import cli
from fastdeid.jobs import cluster, cluster_names
from fastdeid.synth import write_example_tree

distributed = pytest.importorskip(
    "distributed", reason="Dask's distributed is not installed (pip install 'fastdeid[dask]'): cluster tests skipped"
)

PROFILE = """\
name: cluster-test
deid-log: {log}
dicom:
  date-increment: -17
  jitter-seed: 'a long project secret'
  fields:
    - name: PatientName
      replace-with: ANON
    - name: PatientID
      hash: true
    - name: StudyInstanceUID
      hashuid: true
    - name: StudyDate
      increment-date: true
      jitter-date: true
      jitter-range: 30
    - name: InstitutionName
      remove: true
"""


@pytest.fixture(scope="module")
def client() -> Iterator[Any]:
    with (
        distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0") as lc,
        distributed.Client(lc) as c,
    ):
        yield c


@pytest.fixture(scope="module")
def tree(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """80 DICOM files in 16 folders, one truncated `.dcm` (a failure) and a README (skipped)."""
    root = tmp_path_factory.mktemp("src")
    write_example_tree(root, patients=4, studies=2, series=2, instances=5)
    bad = root / "patient0" / "study0" / "series0" / "0002.dcm"
    (root / "patient0" / "broken.dcm").write_bytes(bad.read_bytes()[:700])
    (root / "README").write_text("not DICOM\n")
    return root


def _profile(tmp_path: Path, log: Path) -> fastdeid.Profile:
    path = tmp_path / "p.yaml"
    path.write_text(PROFILE.format(log=log))
    return fastdeid.load_profile(path)


def _files(root: Path) -> dict[str, bytes]:
    """Every output by relative path (the resume manifest, which names its run, aside)."""
    return {
        str(p.relative_to(root)): p.read_bytes()
        for p in sorted(root.rglob("*"))
        if p.is_file() and not p.name.startswith(".fastdeid")
    }


@pytest.fixture(scope="module")
def local(tree: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[dict[str, bytes], bytes, fastdeid.Report]:
    """The local run every cluster run must equal."""
    work = tmp_path_factory.mktemp("local")
    report = fastdeid.run(tree, work / "out", _profile(work, work / "log.csv"), jobs=2)
    return _files(work / "out"), (work / "log.csv").read_bytes(), report


def _same_report(a: fastdeid.Report, b: fastdeid.Report) -> None:
    assert (a.ok, a.failed, a.skipped, a.not_started, a.bytes_in, a.bytes_out) == (
        b.ok,
        b.failed,
        b.skipped,
        b.not_started,
        b.bytes_in,
        b.bytes_out,
    )
    assert a.failures == b.failures
    assert a.skips == b.skips


def test_a_cluster_run_equals_a_local_run(tree: Path, tmp_path: Path, client: Any, local: Any) -> None:
    outputs, log, report = local
    assert report.ok == 80 and report.failed == 1 and report.skipped == 1  # the tree has all three kinds
    got = fastdeid.run(tree, tmp_path / "out", _profile(tmp_path, tmp_path / "log.csv"), client=client)
    assert _files(tmp_path / "out") == outputs
    assert (tmp_path / "log.csv").read_bytes() == log
    _same_report(got, report)
    assert got.threads == 2


def test_chunks_cover_the_plan_in_order_and_shrink_towards_its_end(tmp_path: Path) -> None:
    big = cluster.FILE_COST * 9  # a big file costs as much as 10 small ones
    for i in range(40):
        (tmp_path / f"{i:02d}").write_bytes(b"x" * (big if i < 4 else 10))
    planned = [(str(tmp_path / f"{i:02d}"), f"{i:02d}", None) for i in range(40)]
    chunks = cluster.cut(planned, workers=2)
    assert [c.first for c in chunks] == sorted(c.first for c in chunks)
    assert [name for c in chunks for _, name, _ in c.inputs] == [name for _, name, _ in planned]
    assert all(os.path.isabs(s) for c in chunks for s, _, _ in c.inputs)  # workers have another working folder
    # A run too small for MIN_CHUNK_COST still gets several chunks per thread; never two big files in one.
    assert len(chunks) >= 2 * 2
    assert all(sum(int(name) < 4 for _, name, _ in c.inputs) == 1 for c in chunks if c.first < 4)
    # Many small files: chunks of CHUNK_COST (4,096 files that cost nothing but the fixed part) while a
    # thread's share of what is left is larger, then halving (1 thread, SHARE 2) down to MIN_CHUNK_COST.
    many = [("/nonexistent", f"{i}", None) for i in range(40_000)]
    sizes = [len(c.inputs) for c in cluster.cut(many, workers=1)]
    assert sum(sizes) == 40_000
    assert sizes[:8] == [4096] * 8
    assert sizes == sorted(sizes, reverse=True)
    floor = cluster.MIN_CHUNK_COST // cluster.FILE_COST
    assert all(size >= floor for size in sizes[:-1]) and floor in sizes
    assert all(a <= 2 * b for a, b in itertools.pairwise(sizes))  # each at most twice the next


class KillOnce(distributed.WorkerPlugin):  # type: ignore[misc]
    """A worker plugin: the first worker to start a chunk while MARKER does not exist creates it and
    dies (SIGKILL, as the OOM killer would) a moment later, in the middle of the chunk."""

    name = "fastdeid-test-kill-once"

    def __init__(self, marker: str) -> None:
        self.marker = marker

    def transition(self, key: Any, start: str, finish: str, **kwargs: Any) -> None:
        if finish != "executing" or "fastdeid-chunk-2-" not in str(key):
            return
        try:
            os.close(os.open(self.marker, os.O_CREAT | os.O_EXCL | os.O_WRONLY))
        except FileExistsError:
            return
        threading.Timer(0.01, os.kill, (os.getpid(), signal.SIGKILL)).start()


@pytest.mark.parametrize("name_by_uid", [False, True], ids=["names-planned", "names-settled"])
def test_a_worker_killed_mid_run_changes_nothing(
    name_by_uid: bool, tree: Path, tmp_path: Path, client: Any, local: Any
) -> None:
    """Also when chunks are staged and their names settled by the client (docs/scale-out.md#names): the
    retried chunk writes into the same staging folder."""
    import cloudpickle

    cloudpickle.register_pickle_by_value(sys.modules[__name__])  # workers cannot import this test module
    marker = tmp_path / "killed"
    client.register_plugin(KillOnce(str(marker)))
    try:
        profile = _profile(tmp_path, tmp_path / "log.csv")
        got = fastdeid.run(tree, tmp_path / "out", profile, client=client, name_by_uid=name_by_uid)
    finally:
        client.unregister_worker_plugin(KillOnce.name)
    assert marker.exists()  # a worker really died holding a chunk
    outputs, log, report = local
    if name_by_uid:  # the local run to compare with names by UID too
        (tmp_path / "local").mkdir()
        report = fastdeid.run(
            tree,
            tmp_path / "local" / "out",
            _profile(tmp_path / "local", tmp_path / "local" / "log.csv"),
            jobs=2,
            name_by_uid=True,
        )
        outputs, log = _files(tmp_path / "local" / "out"), (tmp_path / "local" / "log.csv").read_bytes()
        assert not (tmp_path / "out" / cluster_names.RUN_STAGING).exists()
    assert _files(tmp_path / "out") == outputs
    assert (tmp_path / "log.csv").read_bytes() == log
    _same_report(got, report)


# The client in a subprocess, slowed down between chunks so that the kill lands mid-run.
SLOW_CLIENT = """\
import sys, time
from fastdeid import cli
from fastdeid.jobs import cluster
batches = cluster.batches
# Small chunks (82 inputs would make 7, the first of 20), so that most have not been started when the
# signal comes, however fast the first ones finish.
cluster.CHUNKS_PER_THREAD = 10
def slow(*args, **kwargs):
    for item in batches(*args, **kwargs):
        yield item
        time.sleep(0.3)
cluster.batches = slow
if __name__ == "__main__":  # worker processes start by importing this module
    sys.exit(cli.main(sys.argv[1:]))
"""


def test_the_client_killed_and_the_command_rerun_completes_identically(tree: Path, tmp_path: Path, local: Any) -> None:
    script = tmp_path / "client.py"
    script.write_text(SLOW_CLIENT)
    profile = tmp_path / "p.yaml"
    profile.write_text(PROFILE.format(log=tmp_path / "log.csv"))
    out = tmp_path / "out"
    command = [sys.executable, str(script), "run", str(tree), str(out), "--profile", str(profile)]
    command += ["--dask", "local:2", "-q"]
    # Its own session, so that the kill takes the client's local cluster (its process group) with it.
    proc = subprocess.Popen(command, start_new_session=True, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 120
        log = tmp_path / "log.csv"
        while time.monotonic() < deadline and (not log.exists() or log.read_bytes().count(b"\n") < 6):
            assert proc.poll() is None, proc.communicate()
            time.sleep(0.05)
        assert proc.poll() is None, "the run ended before it could be killed"
        logged = log.read_bytes().count(b"\n")
    finally:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.communicate()
    outputs, log_bytes, _ = local
    assert logged < log_bytes.count(b"\n")  # killed mid-run
    rerun = subprocess.run(command, capture_output=True, text=True, timeout=300)
    assert rerun.returncode == 1, rerun.stderr  # one input is broken, as in the local run
    assert "80 ok" in rerun.stdout and "1 failed, 1 skipped" in rerun.stdout
    assert _files(out) == outputs
    assert log.read_bytes() == log_bytes


def test_ctrl_c_finishes_the_chunks_in_flight_and_a_rerun_completes_identically(
    tree: Path, tmp_path: Path, local: Any
) -> None:
    script = tmp_path / "client.py"
    script.write_text(SLOW_CLIENT)
    profile = tmp_path / "p.yaml"
    profile.write_text(PROFILE.format(log=tmp_path / "log.csv"))
    log = tmp_path / "log.csv"
    command = [sys.executable, str(script), "run", str(tree), str(tmp_path / "out"), "--profile", str(profile)]
    command += ["--dask", "local:2", "-q"]
    proc = subprocess.Popen(command, start_new_session=True, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and (not log.exists() or log.read_bytes().count(b"\n") < 6):
            assert proc.poll() is None, proc.communicate()
            time.sleep(0.05)
        os.killpg(proc.pid, signal.SIGINT)  # as Ctrl-C in a terminal: the client and its local cluster
        out, err = proc.communicate(timeout=120)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
    outputs, log_bytes, _ = local
    assert proc.returncode == 130, err
    assert "not started" in out and "Traceback" not in err
    assert log.read_bytes().count(b"\n") < log_bytes.count(b"\n")
    rerun = subprocess.run(command, capture_output=True, text=True, timeout=300)
    assert rerun.returncode == 1, rerun.stderr
    assert _files(tmp_path / "out") == outputs
    assert log.read_bytes() == log_bytes


def test_unseeded_jitter_is_refused_on_a_cluster(tree: Path, tmp_path: Path, client: Any) -> None:
    path = tmp_path / "p.yaml"
    path.write_text(PROFILE.format(log=tmp_path / "log.csv").replace("  jitter-seed: 'a long project secret'\n", ""))
    with pytest.raises(cluster.ClusterError, match=r"StudyDate.*add `jitter-seed:`.*docs/profiles.md#jitter-seed"):
        fastdeid.run(tree, tmp_path / "out", fastdeid.load_profile(path), client=client)
    assert not (tmp_path / "out").exists()  # refused before anything was written


@pytest.mark.parametrize(
    ("how", "settings"),
    [
        ("--name-by-uid", {"name_by_uid": True}),
        ("filenames:", {}),
        ("basic's UID names", {}),
    ],
)
def test_names_from_deidentified_values_are_settled_over_the_whole_job(
    how: str, settings: dict[str, Any], tree: Path, tmp_path: Path, client: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """docs/scale-out.md#names: each chunk is staged, the client settles names in plan order, so a copy of the
    first input at the end of the plan (another chunk) is refused as on one machine, naming the first."""
    src = tmp_path / "src"
    shutil.copytree(tree, src)
    (src / "zz").mkdir()
    if how == "--name-by-uid":  # which names by UID in each input's folder: all in one, the copy last
        for n, path in enumerate(sorted(src.rglob("*.dcm"))):
            path.rename(src / "zz" / f"{n:03d}.dcm")
    shutil.copy(tree / "patient0" / "study0" / "series0" / "0000.dcm", src / "zz" / "again.dcm")
    text = PROFILE  # its `{log}` is filled in per side below
    if how == "filenames:":
        text += (
            "  filenames:\n    - output: '{PatientID}_{stem}.dcm'\n      input-regex: '^(?P<stem>[a-z0-9]+)\\.dcm$'\n"
        )
    if how == "basic's UID names":
        monkeypatch.setenv("FASTDEID_KEY_FILE", str(_key(tmp_path)))
        text = text.replace("dicom:\n", "dicom:\n  base: basic\n")
    runs = {}
    for side, extra in (("local", {"jobs": 2}), ("dask", {"client": client})):
        (tmp_path / side).mkdir()
        (tmp_path / side / "p.yaml").write_text(text.replace("{log}", str(tmp_path / side / "log.csv")))
        profile = fastdeid.load_profile(tmp_path / side / "p.yaml")
        report = fastdeid.run(src, tmp_path / side / "out", profile, **settings, **extra)
        runs[side] = (report, _files(tmp_path / side / "out"), (tmp_path / side / "log.csv").read_bytes())
    (local, local_files, local_log), (dask, dask_files, dask_log) = runs["local"], runs["dask"]
    assert dask_files == local_files
    assert dask_log == local_log
    _same_report(dask, local)
    assert not (tmp_path / "dask" / "out" / cluster_names.RUN_STAGING).exists()  # the staging folder is gone
    if how != "filenames:":  # (the template keeps each input's folder, so the copy gets a name of its own)
        assert [f.code for f in local.failures if f.path.endswith("again.dcm")] == ["duplicate-output"]
        assert len(cluster.cut([(str(p), "", None) for p in sorted(src.rglob("*"))], 2)) > 2
    assert len(local_files) >= 80


def _key(tmp_path: Path) -> Path:
    from fastdeid.profile.keys import new_key

    return Path(new_key(tmp_path / "project.key"))


def test_a_worker_that_cannot_see_src_stops_the_run(tmp_path: Path, client: Any) -> None:
    with pytest.raises(cluster.ClusterError, match=r"worker tcp://.*: .*not found; workers need SRC at the same path"):
        cluster.preflight(client, str(tmp_path / "elsewhere"), str(tmp_path))
    (tmp_path / "ro").mkdir(mode=0o555)
    if os.access(tmp_path / "ro", os.W_OK):
        pytest.skip("running as root: a read-only folder is writable")
    with pytest.raises(cluster.ClusterError, match="cannot write here"):
        cluster.preflight(client, str(tmp_path), str(tmp_path / "ro" / "out"))


def test_an_unreachable_scheduler_is_one_line_and_exit_2(
    tree: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(cluster, "CONNECT_SECONDS", 1)
    code = cli.main(["run", str(tree), str(tmp_path / "out"), "--profile", "minimal", "--dask", "tcp://127.0.0.1:9"])
    err = capsys.readouterr().err
    assert code == 2
    assert err.startswith("fastdeid: error: --dask tcp://127.0.0.1:9: cannot reach the Dask scheduler")
    assert err.count("\n") == 1 and "Traceback" not in err
    assert not (tmp_path / "out").exists()


def test_a_bad_local_count_is_a_usage_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = cli.main(["run", str(tmp_path), str(tmp_path / "out"), "--profile", "minimal", "--dask", "local:x"])
    assert code == 2
    assert "local:N takes a number of worker processes" in capsys.readouterr().err


def test_the_slurm_example_of_the_docs_runs_up_to_submitting(tree: Path, tmp_path: Path, local: Any) -> None:
    """docs/scale-out.md#slurm: the SLURMCluster is made and its batch script checked; `cluster.scale` would submit
    jobs, so from there the example runs on a LocalCluster, and its run equals a local one."""
    jobqueue = pytest.importorskip("dask_jobqueue", reason="dask-jobqueue is not installed: SLURM example not run")
    docs = (Path(__file__).parents[1] / "docs" / "scale-out.md").read_text()
    example = docs.split("## SLURM", 1)[1].split("```python\n", 1)[1].split("```", 1)[0]
    before, after = example.split("cluster.scale(jobs=8)", 1)
    after = after.split("\n", 1)[1]
    place: dict[str, Any] = {}
    exec(before, place)
    assert isinstance(place["cluster"], jobqueue.SLURMCluster)
    script = place["cluster"].job_script()
    assert "#SBATCH -p cpu" in script and "#SBATCH -A deid" in script and "--nworkers 16" in script
    place["cluster"].close()
    profile = tmp_path / "p.yaml"
    profile.write_text(PROFILE.format(log=tmp_path / "unused.csv"))
    for ours, theirs in [
        ("/nfs/incoming", tree),
        ("/nfs/deidentified", tmp_path / "out"),
        ("/nfs/profiles/study.yaml", profile),
        ("/home/me/study-deid-log.csv", tmp_path / "log.csv"),
    ]:
        assert ours in after
        after = after.replace(ours, str(theirs))
    place["cluster"] = distributed.LocalCluster(n_workers=2, threads_per_worker=1, dashboard_address=":0")
    exec(after, place)
    outputs, log, _ = local
    assert _files(tmp_path / "out") == outputs
    assert (tmp_path / "log.csv").read_bytes() == log


def test_bench_runs_the_dask_side_next_to_jobs(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """`fastdeid bench --dask local:2`: both sides in the same rounds, their outputs compared, the ratio printed."""
    code = cli.main(["bench", "--size", "3", "--rounds", "2", "--dask", "local:2", "--workdir", str(tmp_path)])
    out = capsys.readouterr().out
    assert code == 0, out
    assert re.search(r"^fastdeid --dask +\d+\.\d\d ", out, re.M)
    assert re.search(
        r"^--dask local:2 / --jobs 2 throughput: \d+\.\d\dx best .* by round [\d.]+, [\d.]+ \(median", out, re.M
    )
    assert "outputs of --dask and --jobs: identical" in out
    assert "jobs: 2;" in out


def test_bench_finds_outputs_that_differ(tmp_path: Path) -> None:
    from fastdeid.bench import difference

    for side in ("a", "b"):
        (tmp_path / side / "x").mkdir(parents=True)
        (tmp_path / side / "x" / "1.dcm").write_bytes(b"same")
        (tmp_path / side / ".fastdeid-run.json").write_text(side)  # names its run: not compared
    assert difference(tmp_path / "a", tmp_path / "b") is None
    (tmp_path / "b" / "x" / "1.dcm").write_bytes(b"sane")
    assert difference(tmp_path / "a", tmp_path / "b") == "DIFFERENT (x/1.dcm)"
    (tmp_path / "b" / "x" / "2.dcm").write_bytes(b"more")
    assert difference(tmp_path / "a", tmp_path / "b") == "DIFFERENT (files only in one: x/2.dcm)"


def test_bench_takes_only_a_local_cluster(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = cli.main(["bench", "--dask", "tcp://127.0.0.1:9", "--workdir", str(tmp_path)])
    assert code == 2
    assert "takes local:N" in capsys.readouterr().err
