"""Files real archives hold (issue 10): a file meta that misnames or lacks the data set's encoding,
tags out of order, gzip-compressed DICOM; each read when exactly one reading exists, written as a
valid file with a warning, and refused when ambiguous. And `dump` on each of them."""

from __future__ import annotations

import gzip
import shutil
import struct
import subprocess
import sys
from pathlib import Path

import pydicom
import pytest

import fastdeid
from conftest import PYDICOM_FILES, element_values, to_bytes
from fastdeid import _core
from hostile import AMBIGUOUS, EXPLICIT_LE, NAME, PID, cases, el, item, part10

MINIMAL_TAGS = {0x00100010, 0x00100020, 0x00100030}
IMPLICIT_LE_UID = "1.2.840.10008.1.2"
JPEG_BASELINE_UID = "1.2.840.10008.1.2.4.50"


def cli(*args: str | Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "fastdeid.cli", *map(str, args)], capture_output=True, text=True, check=False
    )


def run_one(src: Path, dst: Path, profile: str = "minimal", **options: object) -> _core.FileResult:
    """`fastdeid.run` on one file; the core's result for it, warnings included."""
    results: list[_core.FileResult] = []
    fastdeid.run(src, dst, profile, on_result=results.append, **options)  # type: ignore[arg-type]
    assert len(results) == 1
    return results[0]


def meta_length_is_right(data: bytes) -> bool:
    """(0002,0000) counts exactly the explicit VR little endian meta elements after it (PS3.10 7.1)."""
    assert data[128:132] == b"DICM" and data[132:138] == b"\x02\x00\x00\x00UL"
    declared = struct.unpack("<I", data[140:144])[0]
    pos = 144
    while pos < len(data) and struct.unpack("<H", data[pos : pos + 2])[0] == 0x0002:
        vr = data[pos + 4 : pos + 6]
        if vr in (b"OB", b"OW", b"UN", b"UT", b"SQ"):
            pos += 12 + struct.unpack("<I", data[pos + 8 : pos + 12])[0]
        else:
            pos += 8 + struct.unpack("<H", data[pos + 6 : pos + 8])[0]
    return pos == 144 + declared


# --- the two pydicom files that pydicom reads and fastdeid used to refuse -----------------------


@pytest.mark.parametrize(
    ("name", "code", "syntax", "implicit"),
    [
        # The meta names JPEG Baseline, whose data set is explicit VR; this one is implicit VR.
        ("SC_rgb_jpeg.dcm", "data-set-reencoded", JPEG_BASELINE_UID, False),
        # No Transfer Syntax UID at all; only implicit VR little endian parses the data set.
        ("meta_missing_tsyntax.dcm", "transfer-syntax-added", IMPLICIT_LE_UID, True),
    ],
)
def test_misnamed_encodings_are_read_written_valid_and_warned(
    tmp_path: Path, name: str, code: str, syntax: str, implicit: bool
) -> None:
    src = PYDICOM_FILES / name
    result = run_one(src, tmp_path / name)
    assert result.status == "ok", result.message
    assert [w.split(":")[0] for w in result.warnings] == [code]
    out = (tmp_path / name).read_bytes()
    assert meta_length_is_right(out)
    written = pydicom.dcmread(tmp_path / name)
    assert written.file_meta.TransferSyntaxUID == syntax
    assert written.original_encoding == (implicit, True)
    before = element_values(pydicom.dcmread(src))
    assert element_values(written) == {k: v for k, v in before.items() if "." in k or int(k, 16) not in MINIMAL_TAGS}
    # The rest of the meta is kept as it was.
    old_meta, new_meta = pydicom.dcmread(src).file_meta, written.file_meta
    assert {e.tag: e.value for e in old_meta if e.tag.element not in (0x0000, 0x0010)} == {
        e.tag: e.value for e in new_meta if e.tag.element not in (0x0000, 0x0010)
    }


def test_the_command_line_writes_them(tmp_path: Path) -> None:
    src = tmp_path / "src"
    src.mkdir()
    for name in ("SC_rgb_jpeg.dcm", "meta_missing_tsyntax.dcm"):
        shutil.copy(PYDICOM_FILES / name, src / name)
    result = cli("run", src, tmp_path / "out", "--de-identify", "--quiet")
    assert result.returncode == 0, result.stderr
    assert "2 ok, 0 failed" in result.stdout
    for name in ("SC_rgb_jpeg.dcm", "meta_missing_tsyntax.dcm"):
        pydicom.dcmread(tmp_path / "out" / name)


def test_a_data_set_that_parses_in_two_encodings_is_refused(tmp_path: Path) -> None:
    # As a bare data set (opted in) and after a meta without a transfer syntax.
    bare = tmp_path / "bare.dcm"
    bare.write_bytes(AMBIGUOUS)
    result = run_one(bare, tmp_path / "out.dcm", accept_no_meta=True)
    assert (result.status, result.code) == ("failed", "not-dicom")
    assert "more than one encoding" in (result.message or "")
    meta = tmp_path / "meta.dcm"
    meta.write_bytes(part10(b"", AMBIGUOUS))
    result = run_one(meta, tmp_path / "out2.dcm")
    assert (result.status, result.code) == ("failed", "missing-transfer-syntax")
    assert "more than one encoding" in (result.message or "")
    assert not (tmp_path / "out.dcm").exists() and not (tmp_path / "out2.dcm").exists()


# --- tags out of order -------------------------------------------------------------------------


def _out_of_order() -> bytes:
    """Group 0010 before group 0008, PatientName after PatientID, and an item whose elements are
    reversed; group 0008 has a group length, which moving the group makes stale."""
    nested = el(0x0008, 0x1155, b"UI", b"1.2.3.4\0") + el(0x0008, 0x1150, b"UI", b"1.2.840.10008.5.1.4.1.1.7\0")
    seq = el(0x0008, 0x1115, b"SQ", item(nested))
    modality = el(0x0008, 0x0060, b"CS", b"CT")
    group8 = el(0x0008, 0x0000, b"UL", struct.pack("<I", 999)) + modality + seq
    return part10(EXPLICIT_LE, PID + NAME + group8)


def test_out_of_order_tags_are_sorted_with_a_warning(tmp_path: Path) -> None:
    src = tmp_path / "unordered.dcm"
    src.write_bytes(_out_of_order())
    result = run_one(src, tmp_path / "out.dcm", profile="none")
    assert result.status == "ok", result.message
    assert [w.split(":")[0] for w in result.warnings] == ["tags-sorted"]
    written = pydicom.dcmread(tmp_path / "out.dcm")
    tags = [int(e.tag) for e in written]
    assert tags == sorted(tags) and len(tags) == 5
    nested = [int(e.tag) for e in written[0x00081115].value[0]]
    assert nested == sorted(nested) == [0x00081150, 0x00081155]
    assert element_values(written) == element_values(pydicom.dcmread(src))
    # (0008,0000) counts the group's bytes that follow it: CS 8+2, SQ 12 + item 8 + 2 elements.
    assert written[0x00080000].value == 10 + 12 + 8 + (8 + 8) + (8 + 26)
    # The rules run on the sorted file.
    assert run_one(src, tmp_path / "min.dcm").status == "ok"
    assert "PatientName" not in pydicom.dcmread(tmp_path / "min.dcm")


def test_a_tag_twice_stays_refused_even_out_of_order(tmp_path: Path) -> None:
    for name, data in {
        "adjacent.dcm": part10(EXPLICIT_LE, NAME + NAME),
        "apart.dcm": part10(EXPLICIT_LE, PID + NAME + PID),
        "nested.dcm": part10(EXPLICIT_LE, el(0x0008, 0x1115, b"SQ", item(PID + NAME + PID))),
    }.items():
        (tmp_path / name).write_bytes(data)
        result = run_one(tmp_path / name, tmp_path / f"out_{name}")
        assert (result.status, result.code) == ("failed", "duplicate-tag"), name
        assert not (tmp_path / f"out_{name}").exists()


# --- gzip-compressed DICOM ---------------------------------------------------------------------

GZIP_SAMPLES = ["CT_small.dcm", "MR_small_bigendian.dcm", "image_dfl.dcm", "SC_rgb_jpeg.dcm", "rtplan.dcm"]


def test_a_gzipped_file_gives_the_same_output_as_the_plain_file(tmp_path: Path) -> None:
    src = tmp_path / "src"
    (src / "gz").mkdir(parents=True)
    for name in GZIP_SAMPLES:
        shutil.copy(PYDICOM_FILES / name, src / name)
        (src / "gz" / f"{name}.gz").write_bytes(gzip.compress((PYDICOM_FILES / name).read_bytes()))
    (src / "CT_small.dcm.gz").write_bytes(gzip.compress((PYDICOM_FILES / "CT_small.dcm").read_bytes()))
    report = fastdeid.run(src, tmp_path / "out", "minimal")
    assert (report.ok, report.failed) == (2 * len(GZIP_SAMPLES), 1)
    # a.dcm.gz is written as a.dcm: beside a.dcm it would overwrite it, so it is refused instead
    assert [f.code for f in report.failures] == ["duplicate-output"]
    for name in GZIP_SAMPLES:
        plain = (tmp_path / "out" / name).read_bytes()
        assert (tmp_path / "out" / "gz" / name).read_bytes() == plain, name  # named without .gz
        assert plain[128:132] == b"DICM"  # written plain
    data = (PYDICOM_FILES / "CT_small.dcm").read_bytes()
    assert fastdeid.deidentify_bytes(gzip.compress(data), "minimal") == fastdeid.deidentify_bytes(data, "minimal")


def test_hostile_gzip_files_get_their_codes(tmp_path: Path) -> None:
    gz_cases = {name: case for name, case in cases().items() if name.startswith("gzip")}
    assert {code for _, code in gz_cases.values()} == {"ok", "deflate", "not-dicom"}
    for name, (data, code) in gz_cases.items():
        (tmp_path / name).write_bytes(data)
        result = run_one(tmp_path / name, tmp_path / "out" / name)
        assert (result.code or "ok") == code, name
    bomb = run_one(tmp_path / "gzip_bomb.dcm", tmp_path / "bomb.dcm")
    assert "past the cap" in (bomb.message or "")


# --- dump ---------------------------------------------------------------------------------------


def test_dump_reads_a_bare_data_set_with_the_opt_in() -> None:
    path = PYDICOM_FILES / "ExplVR_LitEndNoMeta.dcm"
    refused = cli("dump", path)
    assert refused.returncode == 1 and "not-dicom" in refused.stderr
    opted = cli("dump", "--accept-no-meta", path)
    assert opted.returncode == 0, opted.stderr
    assert "# No file meta" in opted.stdout and "(0008,0005) CS SpecificCharacterSet" in opted.stdout


def test_dump_lists_a_truncated_file_as_far_as_it_parses_then_the_error() -> None:
    path = PYDICOM_FILES / "MR_truncated.dcm"
    result = cli("dump", path)
    assert result.returncode == 1
    assert "(0010,0010) PN PatientName" in result.stdout and "(0028,0010) US Rows" in result.stdout
    assert "(7FE0,0010)" not in result.stdout.split("# the file does not parse")[0]
    assert result.stderr.startswith(f"fastdeid: error: {path}: length-past-end: ")
    assert "(7FE0,0010)" in result.stderr


def test_dump_names_private_creators(tmp_path: Path) -> None:
    ds = pydicom.dcmread(PYDICOM_FILES / "CT_small.dcm")
    for tag in [e.tag for e in ds if e.tag.group == 0x0009]:
        del ds[tag]  # CT_small has a GE block there already
    block = ds.private_block(0x0009, "ACME 1.0", create=True)
    block.add_new(0x01, "LO", "vendor value")
    path = tmp_path / "private.dcm"
    path.write_bytes(to_bytes(ds))
    result = cli("dump", path)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert any(line.startswith("(0009,0010) LO (private creator)") and "[ACME 1.0]" in line for line in lines)
    assert any(line.startswith("(0009,1001) LO [ACME 1.0]") and "[vendor value]" in line for line in lines)


def test_dump_of_repaired_and_gzipped_files_says_so(tmp_path: Path) -> None:
    repaired = cli("dump", PYDICOM_FILES / "meta_missing_tsyntax.dcm")
    assert repaired.returncode == 0, repaired.stderr
    assert "# warning: transfer-syntax-added:" in repaired.stdout
    assert "(0002,0010) UI TransferSyntaxUID                [1.2.840.10008.1.2]" in repaired.stdout
    packed = tmp_path / "ct.dcm.gz"
    packed.write_bytes(gzip.compress((PYDICOM_FILES / "CT_small.dcm").read_bytes()))
    listed = cli("dump", packed)
    assert listed.returncode == 0, listed.stderr
    assert listed.stdout.startswith("# gzip-compressed file")
    assert listed.stdout.splitlines()[1:] == cli("dump", PYDICOM_FILES / "CT_small.dcm").stdout.splitlines()


def test_dump_of_a_folder_or_a_missing_file_is_a_usage_error(tmp_path: Path) -> None:
    folder = cli("dump", tmp_path)
    assert (
        folder.returncode == 2
        and folder.stderr.strip() == f"fastdeid: error: {tmp_path}: io: is a folder; dump lists one file"
    )
    missing = cli("dump", tmp_path / "nope.dcm")
    assert missing.returncode == 2 and "no such file" in missing.stderr and "Traceback" not in missing.stderr
    with pytest.raises(fastdeid.DicomError, match="is a folder"):
        _core.dump(tmp_path)
