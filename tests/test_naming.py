"""Naming policies (issue 11): each output's name is decided in the core from de-identified values
before the output is opened; refusals and collisions leave no file and no temporary file."""

from __future__ import annotations

from pathlib import Path

import pydicom

import fastdeid
from fastdeid import _core
from fastdeid.ingest.labels import LABEL_KEYWORDS
from fastdeid.jobs.job import Input, Job
from fastdeid.jobs.naming import Hierarchy
from fastdeid.jobs.subjects import SubjectMap
from fastdeid.profile.load import profile_from_text
from fastdeid.synth import make_dataset


def _data(tmp_path: Path, instance: int = 0, patient: int = 0) -> bytes:
    path = tmp_path / f"p{patient}-{instance}.dcm"
    make_dataset(patient=patient, instance=instance).save_as(path, enforce_file_format=True)
    return path.read_bytes()


def _all_files(root: Path) -> list[str]:
    return sorted(p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file()) if root.exists() else []


def test_the_python_label_keywords_are_the_cores() -> None:
    compiled = fastdeid.load_profile("none").compiled
    assert _core.Job(compiled, ".", naming="hierarchy").keywords == list(LABEL_KEYWORDS)
    assert _core.Job(compiled, ".", naming="by-uid").keywords == ["SOPInstanceUID", "Modality"]
    assert _core.Job(compiled, ".").keywords == []


def test_by_uid_names_from_the_deidentified_values(tmp_path: Path) -> None:
    profile = profile_from_text(
        "dicom:\n  fields:\n    - name: SOPInstanceUID\n      hashuid: true\n", "<test>", "yaml"
    )
    data = _data(tmp_path)
    [r] = fastdeid.process(
        Job([Input(data=data, name="sub/PATIENT_NAME.dcm")], profile, tmp_path / "out", naming="by-uid")
    )
    written = pydicom.dcmread(tmp_path / "out" / str(r.name))
    assert r.name == f"sub/{written.SOPInstanceUID}.{written.Modality}.dcm"
    assert written.SOPInstanceUID != pydicom.dcmread(tmp_path / "p0-0.dcm").SOPInstanceUID  # the new UID names it


def test_templates_name_outputs_and_skip_unmatched_names_before_reading(tmp_path: Path) -> None:
    profile = profile_from_text(
        "dicom:\n  fields:\n    - name: PatientID\n      replace-with: NEWPID\n"
        "  filenames:\n    - output: '{PatientID}_{stem}.dcm'\n      input-regex: '^(?P<stem>[A-Z]+)_\\d+\\.dcm$'\n",
        "<test>",
        "yaml",
    )
    data = _data(tmp_path)
    inputs = [Input(data=data, name="d/DOE_01.dcm"), Input(data=b"never read", name="d/notes.dcm")]
    kept, skipped = fastdeid.process(Job(inputs, profile, tmp_path / "out", log=True))
    assert (kept.status, kept.name) == ("ok", "d/NEWPID_DOE.dcm")
    assert (skipped.status, skipped.message) == ("skipped", "no filenames input-regex matches the file name")
    assert skipped.log_before is None  # skipped before it was read, as the reference does
    assert _all_files(tmp_path / "out") == ["d/NEWPID_DOE.dcm"]


def test_hierarchy_labels_overrides_and_a_refused_label_leave_no_file(tmp_path: Path) -> None:
    data = _data(tmp_path, patient=3)
    ds = pydicom.dcmread(tmp_path / "p3-0.dcm")
    out = tmp_path / "out"
    inputs = [
        Input(data=data, name="a.dcm"),
        Input(data=data, name="b.dcm", subject="s1", session="v1"),
    ]
    keep_uids = "dicom:\n  fields:\n    - name: PatientName\n      replace-with: ANON\n"
    profile = profile_from_text(keep_uids, "<test>", "yaml")
    first, second = fastdeid.process(Job(inputs, profile, out, naming=Hierarchy("g", "p"), temp_folder=out / ".tmp"))
    file = f"{ds.SOPInstanceUID}.{ds.Modality}.dcm"
    assert first.name is not None and first.name.startswith(f"g/p/{ds.PatientID}/") and first.name.endswith(file)
    assert second.name is not None and second.name.startswith("g/p/s1/v1/")
    removed = profile_from_text(keep_uids + "    - name: PatientID\n      remove: true\n", "<test>", "yaml")
    [refused] = fastdeid.process(
        Job(
            [Input(data=data, name="c.dcm")],
            removed,
            tmp_path / "other",
            naming=Hierarchy("g", "p"),
            temp_folder=tmp_path / "other" / ".tmp",
        )
    )
    assert (refused.status, refused.code) == ("failed", "no-label")
    assert "give --subject" in (refused.message or "")
    assert _all_files(tmp_path / "other") == []  # not even a temporary file: the name came first


def test_a_subject_map_codes_subjects_by_their_original_values(tmp_path: Path) -> None:
    subjects = SubjectMap("ex{SubjectCode:03d}", ("PatientID",))
    known = str(pydicom.dcmread(tmp_path / _name(tmp_path, 1)).PatientID).strip().lower()
    subjects.codes[(known,)] = "ex042"
    inputs = [Input(data=_data(tmp_path, patient=p), name=f"{p}.dcm") for p in (1, 2, 1, 3)]
    results = fastdeid.process(Job(inputs, "minimal", tmp_path / "out", naming=Hierarchy("g", "p", subjects)))
    assert [str(r.name).split("/")[2] for r in results] == ["ex042", "ex002", "ex042", "ex003"]


def _name(tmp_path: Path, patient: int) -> str:
    _data(tmp_path, patient=patient)
    return f"p{patient}-0.dcm"


def test_an_ingest_collision_names_the_input_that_keeps_the_name(tmp_path: Path) -> None:
    from fastdeid.ingest.items import Item
    from fastdeid.ingest.runner import ingest

    src = tmp_path / "src"
    src.mkdir()
    for name in ("a.dcm", "b.dcm"):
        make_dataset().save_as(src / name, enforce_file_format=True)  # one SOPInstanceUID
    items = [Item(src / n, n, {"subject": "s"}) for n in ("a.dcm", "b.dcm")]
    report = ingest(items, tmp_path / "dest", "g", "p", fastdeid.load_profile("minimal"))
    assert report.ok == 1 and [f.code for f in report.failures] == ["duplicate-output"]
    assert "would overwrite the output of a.dcm" in report.failures[0].message
    assert len(_all_files(tmp_path / "dest" / "g")) == 1
    assert not (tmp_path / "dest" / ".fastdeid-tmp").exists()  # removed when empty
