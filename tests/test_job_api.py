"""The job API (issue 11): `fastdeid.process(Job)` over files and bytes, one result per input with
its output name, and `run` as a front end over the same engine."""

from __future__ import annotations

import gzip
from pathlib import Path

import pydicom
import pytest

import fastdeid
from fastdeid.jobs.job import Engine, Input, Job
from fastdeid.profile.load import compile_document
from fastdeid.synth import make_dataset


def _write(path: Path, instance: int = 0, patient: int = 0) -> bytes:
    path.parent.mkdir(parents=True, exist_ok=True)
    make_dataset(patient=patient, instance=instance).save_as(path, enforce_file_format=True)
    return path.read_bytes()


def _all_files(root: Path) -> list[str]:
    return sorted(p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file())


def test_process_paths_and_bytes_gives_one_result_per_input_in_order(tmp_path: Path) -> None:
    a = _write(tmp_path / "in" / "a.dcm", 0)
    b = _write(tmp_path / "in" / "b.dcm", 1)
    (tmp_path / "in" / "c.dcm.gz").write_bytes(gzip.compress(a))
    out = tmp_path / "out"
    results = fastdeid.process(
        Job(
            [
                tmp_path / "in" / "a.dcm",
                Input(data=b, name="sub/b.dcm"),
                Input(path=tmp_path / "in" / "c.dcm.gz"),
                Input(data=b"not DICOM at all", name="bad.dcm"),
            ],
            "minimal",
            out,
        )
    )
    assert [r.index for r in results] == [0, 1, 2, 3]
    assert [r.status for r in results] == ["ok", "ok", "ok", "failed"]
    assert [r.name for r in results[:3]] == ["a.dcm", "sub/b.dcm", "c.dcm"]  # `.gz` dropped, as `run` does
    assert results[1].src == "sub/b.dcm" and results[1].dst == str(out / "sub" / "b.dcm")
    assert results[3].code == "not-dicom" and results[3].name is None
    assert _all_files(out) == ["a.dcm", "c.dcm", "sub/b.dcm"]
    assert (out / "a.dcm").read_bytes() == fastdeid.deidentify_bytes(a, "minimal")
    assert (out / "sub" / "b.dcm").read_bytes() == fastdeid.deidentify_bytes(b, "minimal")
    assert (out / "c.dcm").read_bytes() == (out / "a.dcm").read_bytes()


def test_log_rows_are_reported_when_asked(tmp_path: Path) -> None:
    data = _write(tmp_path / "a.dcm")
    profile = fastdeid.load_profile("minimal")
    engine = Engine(Job([], profile, tmp_path / "out", log=True))
    [r] = engine.process([Input(data=data, name="a.dcm")], 0)
    rows = engine.log_rows(r)
    assert rows is not None
    before, after = rows
    assert after is not None and len(before) == len(after) == len(profile.log_columns())
    column = profile.log_columns().index("PatientName")
    assert before[column] == str(pydicom.dcmread(tmp_path / "a.dcm").PatientName)
    assert after[column] != before[column]
    [quiet] = fastdeid.process(Job([Input(data=data, name="b.dcm")], profile, tmp_path / "out"))
    assert quiet.log_before is None and quiet.log_after is None


def test_a_failed_rule_reports_the_before_row_beside_the_error_never_in_it(tmp_path: Path) -> None:
    # A date-format the StudyDate does not match fails the file after the log's before row was
    # read: the reference still logs that row (docs/profiles.md#deid-log); no message shows the value.
    data = _write(tmp_path / "a.dcm")
    date = str(pydicom.dcmread(tmp_path / "a.dcm").StudyDate)
    fields = [{"name": "StudyDate", "increment-date": True}]
    profile = compile_document({"dicom": {"date-increment": 1, "date-format": "%d.%m.%Y", "fields": fields}}, "<t>")
    engine = Engine(Job([], profile, tmp_path / "out", log=True))
    [r] = engine.process([Input(data=data, name="a.dcm")], 0)
    assert (r.status, r.code) == ("failed", "bad-value")
    assert date not in (r.message or "") and r.log_after is None
    rows = engine.log_rows(r)
    assert rows is not None and rows[1] is None
    assert rows[0][profile.log_columns().index("StudyDate")] == date
    [quiet] = fastdeid.process(Job([Input(data=data, name="a.dcm")], profile, tmp_path / "out"))
    assert (quiet.status, quiet.log_before) == ("failed", None)


def test_values_by_keyword_are_read_only_when_asked(tmp_path: Path) -> None:
    data = _write(tmp_path / "a.dcm")
    original = pydicom.dcmread(tmp_path / "a.dcm")
    job = Job([], "minimal", tmp_path / "out", naming="by-uid")
    engine = Engine(job, keywords=("PatientID",))
    assert engine.core.value_names == ["SOPInstanceUID", "Modality", "PatientID"]  # the policy's, then the caller's
    [r] = engine.process([Input(data=data, name="a.dcm")], 0)
    assert r.log_before is None  # no log asked for: its columns are not read
    values = engine.values(r)
    assert values is not None
    before, after = values
    assert before["PatientID"] == original.PatientID and after["PatientID"] != original.PatientID
    assert r.name == f"{after['SOPInstanceUID']}.{after['Modality']}.dcm"
    [plain] = Engine(job).process([Input(data=data, name="b.dcm")], 1)
    assert plain.values_before is None


def test_a_name_the_destination_refuses_is_a_failure_and_nothing_is_written(tmp_path: Path) -> None:
    data = _write(tmp_path / "in" / "a.dcm")
    out = tmp_path / "out"
    [r] = fastdeid.process(Job([Input(data=data, name="../escape.dcm")], "minimal", out))
    assert (r.status, r.code) == ("failed", "io")
    assert "not a plain relative path" in (r.message or "")
    assert not (tmp_path / "escape.dcm").exists()
    assert _all_files(out) == [] if out.exists() else True


def test_two_inputs_with_one_name_leave_one_output_and_no_temporary_file(tmp_path: Path) -> None:
    data = _write(tmp_path / "in" / "a.dcm", 7)
    out = tmp_path / "out"
    inputs = [Input(data=data, name=f"{n}.dcm") for n in range(5)]
    results = fastdeid.process(Job(inputs, "minimal", out, naming="by-uid", jobs=2))
    assert [r.status for r in results] == ["ok"] + ["failed"] * 4
    assert {r.code for r in results[1:]} == {"duplicate-output"}
    assert {r.other for r in results[1:]} == {0}  # the first input in the job keeps the name
    assert len({r.name for r in results}) == 1
    assert _all_files(out) == [results[0].name]  # no temporary file either
    assert (out / str(results[0].name)).read_bytes() == fastdeid.deidentify_bytes(data, "minimal")


def test_without_replace_an_existing_output_is_kept(tmp_path: Path) -> None:
    data = _write(tmp_path / "a.dcm")
    out = tmp_path / "out"
    out.mkdir()
    (out / "a.dcm").write_bytes(fastdeid.deidentify_bytes(data, "minimal"))
    (out / "b.dcm").write_bytes(b"someone else's file")
    inputs = [Input(data=data, name="a.dcm"), Input(data=data, name="b.dcm")]
    first, second = fastdeid.process(Job(inputs, "minimal", out, replace=False))
    assert (first.status, first.already_done) == ("ok", True)
    assert (second.status, second.code) == ("failed", "duplicate-output")
    assert (out / "b.dcm").read_bytes() == b"someone else's file"
    assert _all_files(out) == ["a.dcm", "b.dcm"]


def test_run_is_a_front_end_over_the_same_engine(tmp_path: Path) -> None:
    src = tmp_path / "src"
    for n in range(3):
        _write(src / f"d{n % 2}" / f"{n}.dcm", n)
    report = fastdeid.run(src, tmp_path / "run", "minimal", options=fastdeid.RunOptions(fsync=False))
    assert report.ok == 3
    inputs = [Input(path=p, name=p.relative_to(src).as_posix()) for p in sorted(src.rglob("*.dcm"))]
    results = fastdeid.process(Job(inputs, "minimal", tmp_path / "job"))
    assert all(r.status == "ok" for r in results)
    names = _all_files(tmp_path / "job")
    assert [n for n in _all_files(tmp_path / "run") if not n.startswith(".")] == names
    for name in names:
        assert (tmp_path / "run" / name).read_bytes() == (tmp_path / "job" / name).read_bytes()


def test_run_options_as_keywords_and_as_a_dataclass_agree(tmp_path: Path) -> None:
    _write(tmp_path / "src" / "a.dcm")
    by_keyword = fastdeid.run(tmp_path / "src", tmp_path / "k", "minimal", name_by_uid=True)
    by_options = fastdeid.run(
        tmp_path / "src", tmp_path / "o", "minimal", options=fastdeid.RunOptions(name_by_uid=True)
    )
    assert by_keyword.ok == by_options.ok == 1
    assert [n for n in _all_files(tmp_path / "k") if n.endswith(".dcm")] == [
        n for n in _all_files(tmp_path / "o") if n.endswith(".dcm")
    ]
    with pytest.raises(TypeError):
        fastdeid.run(tmp_path / "src", tmp_path / "x", "minimal", no_such_option=True)


def test_a_single_file_run_into_the_current_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    data = _write(tmp_path / "in" / "a.dcm")
    monkeypatch.chdir(tmp_path)
    report = fastdeid.run("in/a.dcm", "plain.dcm", "minimal")
    assert (report.ok, report.failed) == (1, 0)
    assert (tmp_path / "plain.dcm").read_bytes() == fastdeid.deidentify_bytes(data, "minimal")
