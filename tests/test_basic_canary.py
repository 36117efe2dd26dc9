"""The built-in `basic` profile on the canary corpus: no marker survives in any output byte, each
option brings back exactly the channels its Table E.1-1 column keeps, and the keyed actions are
reproducible with the same key and unrelated with another (docs/basic-profile.md)."""

from __future__ import annotations

import csv
import re
import shutil
from pathlib import Path

import pytest
from canary import CanaryCorpus, Channel, find_markers, survival_report, write_canary_corpus

from fastdeid.api import deidentify_bytes
from fastdeid.errors import ProfileError
from fastdeid.jobs import runner
from fastdeid.profile.basic import BASIC_OPTIONS, BasicOverrides
from fastdeid.profile.keys import new_key
from fastdeid.profile.load import Profile, load_profile, require_key

TABLE_CSV = Path(__file__).resolve().parent.parent / "data" / "ps3.15" / "ps3.15-table-e1-1.csv"
PRIVATE_ROW = "(gggg,eeee) where gggg is odd"
# Option name -> its column in the table's CSV.
COLUMNS = {
    "retain-safe-private": "rtn_safe_priv",
    "retain-uids": "rtn_uids",
    "retain-device-identity": "rtn_dev_id",
    "retain-institution-identity": "rtn_inst_id",
    "retain-patient-characteristics": "rtn_pat_chars",
    "retain-longitudinal-full-dates": "rtn_long_full_dates",
    "retain-longitudinal-modified-dates": "rtn_long_modif_dates",
    "clean-descriptors": "clean_desc",
    "clean-structured-content": "clean_struct_cont",
    "clean-graphics": "clean_graph",
}
# PatientAge is recomputed from the birth and study dates when the option keeps it, so the planted
# (inconsistent) age does not come back verbatim.
RECOMPUTED = {"PatientAge"}


def _table() -> dict[str, dict[str, str]]:
    with TABLE_CSV.open(newline="", encoding="utf-8") as f:
        return {row["tag"]: row for row in csv.DictReader(f)}


TABLE = _table()


def _row(place: str) -> dict[str, str] | None:
    if "odd group" in place:
        return TABLE[PRIVATE_ROW]
    return TABLE.get(place)


def retained_by(channel: Channel, option: str) -> bool:
    """Whether `option` keeps the channel's marker, read from the table's CSV: the element's own
    row says K (or C on a TM: the shift is whole days, so a time of day stays), and every
    enclosing sequence is kept (not in the table, or K or C in the column). File-level channels,
    group 0000 and the additions to the table never come back."""
    if channel.id in RECOMPUTED:
        return False
    column = COLUMNS[option]
    for chain in channel.e11.split("; "):
        places = chain.split(" > ")
        # Group 0000 (command elements) is dropped whatever the table says: it never belongs in a file.
        if any(p in ("file-level", "not listed") or p.startswith("(0000,") for p in places):
            continue
        leaf, enclosing = _row(places[-1]), [_row(p) for p in places[:-1]]
        if leaf is None:
            continue
        leaf_kept = leaf[column] == "K" or (leaf[column] == "C" and channel.vr == "TM")
        if leaf_kept and all(r is None or r[column] in ("K", "C") for r in enclosing):
            return True
    return False


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> CanaryCorpus:
    return write_canary_corpus(tmp_path_factory.mktemp("canary") / "src")


@pytest.fixture(scope="module")
def key_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return new_key(tmp_path_factory.mktemp("key") / "project.key")


def basic(key: Path, *options: str) -> Profile:
    return load_profile("basic", BasicOverrides(key_file=str(key), options=options, allow_burned_in=True))


def run_basic(corpus: CanaryCorpus, out: Path, profile: Profile, jobs: int = 1) -> runner.Report:
    shutil.rmtree(out, ignore_errors=True)
    return runner.run(corpus.root, out, profile, jobs=jobs)  # basic names outputs by UID, folders included


def test_basic_leaves_no_marker_in_any_output_byte(corpus: CanaryCorpus, key_file: Path, tmp_path: Path) -> None:
    report = run_basic(corpus, tmp_path / "out", basic(key_file))
    assert report.failures == []
    assert [(p.rsplit("/", 1)[-1], why) for p, why in report.skips] == [
        ("DICOMDIR", "DICOMDIR (its records name patients; not copied)")
    ]
    found = find_markers(tmp_path / "out", corpus)
    print(survival_report(corpus, found))
    assert found == {}  # no channel at all, file and folder names included


@pytest.mark.parametrize("option", BASIC_OPTIONS)
def test_each_option_brings_back_exactly_the_channels_its_column_keeps(
    corpus: CanaryCorpus, key_file: Path, tmp_path: Path, option: str
) -> None:
    run_basic(corpus, tmp_path / "out", basic(key_file, option))
    found = set(find_markers(tmp_path / "out", corpus))
    expected = {c.id for c in corpus.channels if retained_by(c, option)}
    assert found == expected


def test_the_table_reading_of_the_expectations_is_not_empty(corpus: CanaryCorpus) -> None:
    """The expectation above must name channels for the options the corpus exercises."""
    assert {c.id for c in corpus.channels if retained_by(c, "retain-uids")} >= {"StudyInstanceUID", "SOPInstanceUID"}
    assert {c.id for c in corpus.channels if retained_by(c, "retain-institution-identity")} >= {"InstitutionName"}
    assert "StudyDate" not in {c.id for c in corpus.channels if retained_by(c, "retain-longitudinal-modified-dates")}


def test_burned_in_classes_are_quarantined_and_dicomdirs_skipped(
    corpus: CanaryCorpus, key_file: Path, tmp_path: Path
) -> None:
    strict = load_profile("basic", BasicOverrides(key_file=str(key_file)))
    report = runner.run(corpus.root, tmp_path / "out", strict, jobs=1)
    assert report.failures == []
    held = {p.split("src/", 1)[-1]: why.split(":", 1)[0] for p, why in report.quarantined}
    # The JPEG, command-group and DICOMDIR-instance files are secondary captures without BurnedInAnnotation NO.
    assert held == {
        "jpeg_baseline.dcm": "burned-in",
        "command_group.dcm": "burned-in",
        "dicomdir/PT000000/ST000000/SE000000/IM000000": "burned-in",
    }
    assert [p.split("src/", 1)[-1] for p, _ in report.skips] == ["dicomdir/DICOMDIR"]
    assert all(str(corpus.root) not in why for _, why in report.quarantined)


def test_the_same_key_gives_identical_outputs_across_runs_and_thread_counts(
    corpus: CanaryCorpus, key_file: Path, tmp_path: Path
) -> None:
    profile = basic(key_file)
    outputs = []
    for name, jobs in (("a", 1), ("b", 1), ("c", 2)):
        run_basic(corpus, tmp_path / name, profile, jobs)
        files = sorted(p for p in (tmp_path / name).rglob("*.dcm"))
        outputs.append({p.relative_to(tmp_path / name): p.read_bytes() for p in files})
    assert len(outputs[0]) == 8
    assert outputs[0] == outputs[1] == outputs[2]


UID_OR_ID = re.compile(rb"2\.25\.\d{10,}|[A-Z2-7]{16}")


def test_a_different_key_shares_no_uid_or_pseudonym(corpus: CanaryCorpus, key_file: Path, tmp_path: Path) -> None:
    other = new_key(tmp_path / "other.key")
    seen = []
    for name, key in (("a", key_file), ("b", other)):
        run_basic(corpus, tmp_path / name, basic(key))
        values: set[bytes] = set()
        for p in (tmp_path / name).rglob("*.dcm"):
            values |= set(UID_OR_ID.findall(p.read_bytes()))
            values |= set(UID_OR_ID.findall(p.name.encode()))
        seen.append(values)
    assert len(seen[0]) >= 20 and len(seen[1]) >= 20
    assert seen[0].isdisjoint(seen[1])


def test_basic_without_a_key_loads_but_is_refused_before_a_run_and_by_the_core(
    monkeypatch: pytest.MonkeyPatch, corpus: CanaryCorpus
) -> None:
    monkeypatch.delenv("FASTDEID_KEY_FILE", raising=False)
    keyless = load_profile("basic")  # listing and validating need no key
    with pytest.raises(ProfileError, match=r"--key-file.*FASTDEID_KEY_FILE.*key-file:"):
        require_key(keyless)
    with pytest.raises(ProfileError, match=r"needs a secret key"):
        deidentify_bytes((corpus.root / "deflated.dcm").read_bytes(), keyless)
    with pytest.raises(ProfileError, match="unknown basic option 'retain-everything'"):
        load_profile("basic", BasicOverrides(options=("retain-everything",)))
