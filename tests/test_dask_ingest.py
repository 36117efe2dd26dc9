"""`ingest dicom|template --dask` (docs/scale-out.md#ingest): the tree, deid log, mappings and subject map of a
cluster ingest are byte-identical to a local ingest's, with names settled over the whole job (an input that
shares its output name with an input of an earlier chunk is refused, as on one machine) and subject codes
numbered in input order across chunks; its rerun finds every output done."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from fastdeid import cli
from fastdeid.synth import write_example_tree

pytest.importorskip(
    "distributed", reason="Dask's distributed is not installed (pip install 'fastdeid[dask]'): cluster tests skipped"
)

PROFILE = """\
name: cluster-ingest
dicom:
  date-increment: -17
  fields:
    - name: PatientName
      replace-with: ANON
    - name: PatientID
      hash: true
    - name: StudyInstanceUID
      hashuid: true
    - name: SOPInstanceUID
      hashuid: true
    - name: InstitutionName
      remove: true
"""

TEMPLATE = """\
template:
  - pattern: "{subject}"
  - pattern: "{session}"
  - pattern: "{acquisition}"
    packfile_type: dicom
"""


@pytest.fixture(scope="module")
def tree(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """80 DICOM files of 4 patients, a copy of the first file at the end of the plan (the same output name,
    in a later chunk), a truncated `.dcm` (a failure) and a README (not walked: ingest takes DICOM names)."""
    root = tmp_path_factory.mktemp("src")
    write_example_tree(root, patients=4, studies=2, series=2, instances=5)
    first = root / "patient0" / "study0" / "series0" / "0000.dcm"
    (root / "zz").mkdir()
    shutil.copy(first, root / "zz" / "again.dcm")
    (root / "patient1" / "broken.dcm").write_bytes(first.read_bytes()[:700])
    (root / "README").write_text("not DICOM\n")
    return root


def _ingest(tree: Path, work: Path, kind: str, *extra: str) -> tuple[int, dict[str, bytes]]:
    """One ingest into WORK: its exit code and every file it wrote, by path below WORK."""
    (work / "p.yaml").write_text(PROFILE)
    (work / "config.yaml").write_text(TEMPLATE)
    where = (
        [str(tree), "g", "p"] if kind == "dicom" else ["-C", str(work / "config.yaml"), str(tree), "-g", "g", "-p", "p"]
    )
    args = ["ingest", kind, *where, "--to", str(work / "dest"), "--deid-profile", str(work / "p.yaml"), "-q"]
    args += ["--save-deid-logs", str(work / "log.csv"), "--save-mappings", str(work / "maps")]
    args += ["--save-subjects", str(work / "subjects.csv"), *extra]
    code = cli.main(args)
    written = {
        str(p.relative_to(work)): p.read_bytes() for p in sorted(work.rglob("*")) if p.is_file() and p.suffix != ".yaml"
    }
    return code, written


def _as_read(text: str, work: Path) -> str:
    """Output text without the timing, and WORK as `WORK`."""
    return re.sub(r"MB in .*", "MB in ...", text).replace(str(work), "WORK")


@pytest.mark.parametrize("kind", ["dicom", "template"])
def test_a_cluster_ingest_equals_a_local_ingest_and_its_rerun_finds_everything_done(
    kind: str, tree: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "local").mkdir()
    (tmp_path / "dask").mkdir()
    local = _ingest(tree, tmp_path / "local", kind, "-j", "2")
    local_out = capsys.readouterr()
    on_cluster = _ingest(tree, tmp_path / "dask", kind, "--dask", "local:2")
    cluster_out = capsys.readouterr()
    assert local[0] == on_cluster[0] == 1, cluster_out.err  # one input is broken
    assert on_cluster[1] == local[1]
    assert not (tmp_path / "dask" / "dest" / ".fastdeid-tmp").exists()  # the staging folder is gone
    assert cluster_out.err == local_out.err
    assert _as_read(cluster_out.out, tmp_path / "dask") == _as_read(local_out.out, tmp_path / "local")
    # What makes this a test of the cluster's merge (for `dicom`; the template takes subjects from folder
    # names): a duplicate across chunks, and subject codes made by several chunks.
    if kind == "dicom":
        assert (
            "zz/again.dcm: duplicate-output: would overwrite the output of patient0/study0/series0/0000.dcm"
            in local_out.err
        )
        codes = (tmp_path / "local" / "subjects.csv").read_text().splitlines()
        assert [row.split(",")[0] for row in codes[1:]] == ["ex0001", "ex0002", "ex0003", "ex0004"]
        subjects = {p.split("/")[3] for p in local[1] if p.startswith("dest/g/p/")}
        assert subjects == {"ex0001", "ex0002", "ex0003", "ex0004"}
        assert "80 ok, 2 failed" in local_out.out

    # The same command again, with the subject map it wrote: every output is already there, identical.
    again = ["--load-subjects", str(tmp_path / "dask" / "subjects.csv"), "--dask", "local:2"]
    rerun = _ingest(tree, tmp_path / "dask", kind, *again)
    out = capsys.readouterr().out
    assert re.search(r"^(\d+) ok \(\1 already done\)", out, re.M), out
    assert {k: v for k, v in rerun[1].items() if k.startswith("dest/")} == {
        k: v for k, v in local[1].items() if k.startswith("dest/")
    }


def test_dry_run_and_archives_are_refused_with_dask(
    tree: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    base = ["ingest", "dicom", str(tree), "g", "p", "--de-identify", "--subject", "s", "--dask", "local:2"]
    assert cli.main([*base, "--to", str(tmp_path / "dest"), "--dry-run"]) == 2
    assert "--dry-run runs on this machine; leave out --dask" in capsys.readouterr().err
    assert cli.main([*base, "--to", "dicom://ARCHIVE@127.0.0.1:9"]) == 2
    assert "--dask writes to a folder on a shared filesystem" in capsys.readouterr().err
    assert not (tmp_path / "dest").exists()
