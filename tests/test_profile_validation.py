"""Profile validation (issue 11): the core checks the whole document and reports every problem,
each at its own `file:line:col`, with a stable code and a did-you-mean where one helps."""

from __future__ import annotations

from pathlib import Path

import pytest

from conftest import profile_error
from fastdeid import ProfileError, load_profile
from fastdeid.cli import main


def _rule(body: str) -> str:
    return f"dicom:\n  fields:\n    - name: PatientName\n{body}"


@pytest.mark.parametrize(
    "body",
    ["      keep: true\n      remove: true\n", "      hash: true\n      remove: true\n"],
)
def test_a_rule_with_two_actions_is_refused(tmp_path: Path, body: str) -> None:
    message = profile_error(tmp_path, _rule(body))
    assert "has 2 actions" in message
    assert "[several-actions]" in message


def test_a_rule_without_an_action_is_refused_without_a_traceback(tmp_path: Path) -> None:
    message = profile_error(tmp_path, "dicom:\n  fields:\n    - name: PatientName\n")
    assert "has no action" in message
    assert f"{tmp_path / 'p.yaml'}:3:7:" in message
    assert "KeyError" not in message


def test_hashuid_needs_a_uid(tmp_path: Path) -> None:
    message = profile_error(tmp_path, _rule("      hashuid: true\n"))
    assert "hashuid needs a UID (VR UI); PatientName has VR PN" in message
    assert "[vr-mismatch]" in message


@pytest.mark.parametrize(
    "body",
    [
        "      increment-date: true\n",
        "      increment-date: true\n      jitter-date: true\n",
        "      increment-datetime: true\n",
    ],
)
def test_date_actions_need_a_date(tmp_path: Path, body: str) -> None:
    message = profile_error(tmp_path, "dicom:\n  date-increment: 3\n" + _rule(body).removeprefix("dicom:\n"))
    assert "needs a date (VR DA or DT); PatientName has VR PN" in message


def test_jitter_date_without_a_date_action_is_refused(tmp_path: Path) -> None:
    message = profile_error(tmp_path, _rule("      remove: true\n      jitter-date: true\n"))
    assert "jitter-date on PatientName only applies to increment-date or increment-datetime" in message


@pytest.mark.parametrize("body", ["name: x\n", "name: x\ndicom:\n", "dicom: 3\n"])
def test_a_profile_needs_a_dicom_mapping(tmp_path: Path, body: str) -> None:
    message = profile_error(tmp_path, body)
    assert "`dicom:`" in message


def test_a_bad_value_is_placed_at_its_own_line_and_column(tmp_path: Path) -> None:
    body = "name: x\ndicom:\n  salt: 5\n  fields:\n    - name: PatientID\n      hash: yes please\n"
    lines = profile_error(tmp_path, body).splitlines()
    path = tmp_path / "p.yaml"
    assert any(line.startswith(f"{path}:3:9: salt must be text") for line in lines), lines
    assert any(line.startswith(f"{path}:6:13: hash on PatientID must be `true`") for line in lines), lines


def test_yaml_syntax_errors_name_the_file_on_one_line(tmp_path: Path) -> None:
    message = profile_error(tmp_path, "dicom:\n  fields: [\n    - name: x\n")
    assert message.startswith(f"{tmp_path / 'p.yaml'}:")
    assert "<unicode string>" not in message
    assert "\n" not in message


def test_misspelt_keys_and_keywords_get_a_suggestion(tmp_path: Path) -> None:
    message = profile_error(tmp_path, "dicom:\n  salts: s\n  fields:\n    - name: PatientNmae\n      remove: true\n")
    assert "unknown dicom key 'salts'; did you mean 'salt'?" in message
    assert "Not in DICOM keyword list: PatientNmae; did you mean 'PatientName'?" in message
    assert message.count("\n") == 1  # both, one line each


def test_hash_digits_on_a_field_is_sent_to_the_dicom_level(tmp_path: Path) -> None:
    message = profile_error(tmp_path, _rule("      hash: true\n      hash-digits: 8\n"))
    assert "'hash-digits' is not a field key: it belongs at the `dicom:` level" in message


def test_profile_validate_takes_a_built_in_name(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["profile", "validate", "minimal"]) == 0
    out, err = capsys.readouterr()
    assert "valid profile 'minimal'" in out
    assert err == ""


def test_profile_validate_enhanced_with_a_missing_folder_is_a_usage_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    missing = tmp_path / "missing"
    assert main(["profile", "validate", "minimal", "--enhanced", str(missing)]) == 2
    err = capsys.readouterr().err
    assert str(missing) in err
    assert err.count("\n") == 1


def test_five_mistakes_are_all_reported_at_their_places(tmp_path: Path) -> None:
    body = (
        "name: five\n"  # 1
        "dicom:\n"  # 2
        "  hash-digit: 8\n"  # 3: unknown key
        "  fields:\n"  # 4
        "    - name: PatientName\n"  # 5
        "      hashuid: true\n"  # 6: hashuid on PN
        "    - name: PatientID\n"  # 7
        "      keep: true\n"  # 8
        "      remove: true\n"  # 9: two actions
        "    - name: StudyDate\n"  # 10
        "      increment-date: true\n"  # 11: no date-increment
        "    - name: AccessionNumbr\n"  # 12: misspelt keyword
        "      hash: true\n"  # 13
    )
    path = tmp_path / "p.yaml"
    path.write_text(body)
    with pytest.raises(ProfileError) as exc:
        load_profile(path)
    lines = str(exc.value).splitlines()
    assert len(lines) == 5, lines
    expected = [
        (f"{path}:3:3:", "unknown-key"),
        (f"{path}:6:16:", "vr-mismatch"),
        (f"{path}:9:7:", "several-actions"),
        (f"{path}:10:7:", "missing-key"),
        (f"{path}:12:13:", "bad-name"),
    ]
    for (place, code), line in zip(sorted(expected), sorted(lines), strict=True):
        assert line.startswith(place) and line.endswith(f"[{code}]"), (place, code, line)
    assert {p["code"] for p in exc.value.problems} == {code for _, code in expected}


def test_a_profile_inside_an_ingest_config_is_placed_at_file_line_col(tmp_path: Path) -> None:
    """Profiles embedded in an ingest config file are checked like profile files: each problem at its
    line and column of the config file."""
    from fastdeid.ingest.config import load_config, select_profile

    config = tmp_path / "config.yaml"
    config.write_text(
        "template:\n"
        "  - pattern: '{subject}'\n"
        "deid-profiles:\n"
        "  - name: Site\n"
        "    dicom:\n"
        "      fields:\n"
        "        - name: PatientName\n"
        "          hashuid: true\n"
    )
    with pytest.raises(ProfileError) as caught:
        select_profile(load_config(config), True, "Site")
    assert f"{config}:8:20:" in str(caught.value)
