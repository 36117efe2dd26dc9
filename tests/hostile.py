"""A corpus of hostile and malformed files, generated at test time (nothing binary is committed),
each with the error code fastdeid must give, or "ok" for the valid-but-nasty ones."""

from __future__ import annotations

import gzip
import io
import struct
import zipfile
import zlib

EXPLICIT_LE = b"1.2.840.10008.1.2.1\0"
IMPLICIT_LE = b"1.2.840.10008.1.2\0"
DEFLATED = b"1.2.840.10008.1.2.1.99"
JPEG = b"1.2.840.10008.1.2.4.50\0"
BIG_ENDIAN = b"1.2.840.10008.1.2.2\0"


def el(group: int, elem: int, vr: bytes, value: bytes, big: bool = False) -> bytes:
    e = ">" if big else "<"
    if vr in (b"OB", b"OW", b"SQ", b"UN", b"UT", b"UC", b"UR", b"OF", b"OD", b"OL", b"OV", b"SV", b"UV"):
        return struct.pack(f"{e}HH", group, elem) + vr + b"\0\0" + struct.pack(f"{e}I", len(value)) + value
    return struct.pack(f"{e}HH", group, elem) + vr + struct.pack(f"{e}H", len(value)) + value


def implicit(group: int, elem: int, value: bytes) -> bytes:
    return struct.pack("<HHI", group, elem, len(value)) + value


def header(group: int, elem: int, vr: bytes, length: int) -> bytes:
    if vr in (b"OB", b"OW", b"SQ", b"UN", b"UT"):
        return struct.pack("<HH", group, elem) + vr + b"\0\0" + struct.pack("<I", length)
    return struct.pack("<HH", group, elem) + vr + struct.pack("<H", length)


def item(body: bytes, length: int | None = None) -> bytes:
    return struct.pack("<HHI", 0xFFFE, 0xE000, len(body) if length is None else length) + body


UNDEF = 0xFFFFFFFF
ITEM_END = struct.pack("<HHI", 0xFFFE, 0xE00D, 0)
SEQ_END = struct.pack("<HHI", 0xFFFE, 0xE0DD, 0)


def part10(ts: bytes, dataset: bytes, meta_extra: bytes = b"", group_length: int | None = None) -> bytes:
    meta = el(2, 1, b"OB", b"\0\1") + (el(2, 0x10, b"UI", ts) if ts else b"") + meta_extra
    gl = len(meta) if group_length is None else group_length
    return b"\0" * 128 + b"DICM" + el(2, 0, b"UL", struct.pack("<I", gl)) + meta + dataset


NAME = el(0x10, 0x10, b"PN", b"Doe^John")
PID = el(0x10, 0x20, b"LO", b"PID123")
GOOD = NAME + PID + el(0x20, 0x0D, b"UI", b"1.2.3.4\0")


def _deep(depth: int) -> bytes:
    body = b""
    for _ in range(depth):
        body = header(0x0008, 0x1115, b"SQ", UNDEF) + item(body, UNDEF) + ITEM_END + SEQ_END
    return body


def _deflate(data: bytes, zeros: int = 0) -> bytes:
    """Raw deflate of data followed by `zeros` zero bytes, streamed so no big buffer is made."""
    c = zlib.compressobj(9, zlib.DEFLATED, -15)
    out = [c.compress(data)]
    chunk = b"\0" * (1 << 20)
    for _ in range(zeros >> 20):
        out.append(c.compress(chunk))
    return b"".join(out) + c.flush()


def _gzip_zeros(n: int) -> bytes:
    """A gzip stream of n zero bytes, streamed so no big buffer is made."""
    c = zlib.compressobj(9, zlib.DEFLATED, 31)
    chunk = b"\0" * (1 << 20)
    return b"".join(c.compress(chunk) for _ in range(n >> 20)) + c.flush()


# One element that parses as explicit VR both big endian, (0010,0010), and little endian, (1000,1000).
AMBIGUOUS = b"\x00\x10\x00\x10PN\x00\x00"


def cases() -> dict[str, tuple[bytes, str]]:
    good = part10(EXPLICIT_LE, GOOD)
    with_pixels = part10(EXPLICIT_LE, GOOD + el(0x7FE0, 0x10, b"OW", b"\x01\x02" * 32))
    seq = header(0x10, 0x1002, b"SQ", UNDEF) + item(PID, UNDEF) + ITEM_END + SEQ_END
    frag = b"\xfe\xff\xdd\xe0\0\0\0\0" + b"x" * 8  # a sequence delimiter pattern inside a fragment
    encapsulated = header(0x7FE0, 0x10, b"OB", UNDEF) + item(b"") + item(frag)
    zbuf = io.BytesIO()
    with zipfile.ZipFile(zbuf, "w") as z:
        z.writestr("a.dcm", good)
    return {
        "empty.dcm": (b"", "not-dicom"),
        "preamble_only.dcm": (b"\0" * 128, "not-dicom"),
        "wrong_magic.dcm": (b"\0" * 128 + b"DICN" + GOOD, "not-dicom"),
        "text.dcm": (b"patient: Doe^John\n" * 20, "not-dicom"),
        "gzip.dcm": (gzip.compress(good), "ok"),  # read inflated, written plain
        "gzip_truncated.dcm": (gzip.compress(good)[:-12], "deflate"),
        "gzip_of_garbage.dcm": (gzip.compress(b"patient: Doe^John\n" * 20), "not-dicom"),
        "gzip_bad_stream.dcm": (gzip.compress(good)[:10] + b"\xff" * 40, "deflate"),
        "gzip_bomb.dcm": (_gzip_zeros(64 << 20), "deflate"),
        "zip.dcm": (zbuf.getvalue(), "not-dicom"),
        "no_preamble.dcm": (b"DICM" + good[132:], "not-dicom"),
        "cut_in_meta.dcm": (good[:150], "truncated"),
        "cut_in_header.dcm": (good[: len(good) - len(GOOD) + 5], "truncated"),
        "cut_in_value.dcm": (good[:-3], "length-past-end"),
        "cut_in_sequence.dcm": (part10(EXPLICIT_LE, seq)[:-10], "truncated"),
        "meta_group_length_wrong.dcm": (part10(EXPLICIT_LE, GOOD, group_length=10), "bad-meta"),
        "missing_transfer_syntax.dcm": (part10(b"", GOOD), "ok"),  # only explicit VR LE fits: the meta names it
        "missing_transfer_syntax_ambiguous.dcm": (part10(b"", AMBIGUOUS), "missing-transfer-syntax"),
        "unknown_transfer_syntax.dcm": (part10(b"1.2.3.4.5.6\0", GOOD), "unknown-transfer-syntax"),
        "explicit_ts_implicit_data.dcm": (
            part10(EXPLICIT_LE, implicit(0x10, 0x10, b"Doe^John") + implicit(0x10, 0x20, b"PID123")),
            "ok",  # the meta is corrected to implicit VR
        ),
        "explicit_ts_ambiguous_data.dcm": (part10(IMPLICIT_LE, AMBIGUOUS), "length-past-end"),
        "length_past_eof.dcm": (part10(EXPLICIT_LE, header(0x10, 0x10, b"PN", 200) + b"Doe^John"), "length-past-end"),
        "declared_4gib.dcm": (
            part10(EXPLICIT_LE, header(0x7FE0, 0x10, b"OW", 0xFFFFFFF0) + b"\0" * 16),
            "length-past-end",
        ),
        "odd_lengths.dcm": (part10(EXPLICIT_LE, el(0x10, 0x10, b"PN", b"Doe") + el(0x10, 0x20, b"LO", b"P1X")), "ok"),
        "invalid_vr.dcm": (part10(EXPLICIT_LE, el(0x10, 0x10, b"ZZ", b"Doe^John")), "bad-vr"),
        "undefined_length_text.dcm": (
            part10(EXPLICIT_LE, header(0x10, 0x10, b"UT", UNDEF) + b"Doe^John"),
            "undefined-length",
        ),
        "sequence_without_delimiter.dcm": (
            part10(EXPLICIT_LE, header(0x10, 0x1002, b"SQ", UNDEF) + item(PID)),
            "truncated",
        ),
        "item_longer_than_sequence.dcm": (
            part10(EXPLICIT_LE, header(0x10, 0x1002, b"SQ", 20) + item(PID, 40) + b"\0" * 40),
            "length-past-end",
        ),
        "stray_item_delimiter.dcm": (part10(EXPLICIT_LE, NAME + ITEM_END + PID), "bad-item"),
        "stray_sequence_delimiter.dcm": (part10(EXPLICIT_LE, NAME + SEQ_END), "bad-item"),
        "deep_10000.dcm": (part10(EXPLICIT_LE, _deep(10_000)), "too-deep"),
        "empty_items_500000.dcm": (
            part10(EXPLICIT_LE, header(0x8, 0x1115, b"SQ", UNDEF) + item(b"") * 500_000 + SEQ_END),
            "ok",
        ),
        "out_of_order.dcm": (part10(EXPLICIT_LE, PID + NAME), "ok"),  # sorted
        "out_of_order_duplicate.dcm": (part10(EXPLICIT_LE, PID + NAME + PID), "duplicate-tag"),
        "duplicate_tag.dcm": (part10(EXPLICIT_LE, NAME + NAME), "duplicate-tag"),
        "short_tail.dcm": (good + b"\x01\x02\x03", "truncated"),  # a cut header looks the same
        "trailing_garbage.dcm": (with_pixels + b"\x01\x02\x03", "trailing-garbage"),
        "text_after_pixel_data.dcm": (with_pixels + b"Patient: Doe^John, scanned 2020-03-10", "trailing-garbage"),
        "zeros_after_pixel_data.dcm": (with_pixels + b"\0" * 64, "trailing-garbage"),
        "trailing_padding_element.dcm": (with_pixels + el(0xFFFC, 0xFFFC, b"OB", b"\0" * 32), "ok"),
        "encapsulated_without_delimiter.dcm": (
            part10(JPEG, NAME + header(0x7FE0, 0x10, b"OB", UNDEF) + item(b"") + item(b"abcd")),
            "truncated",
        ),
        "fragment_past_eof.dcm": (
            part10(JPEG, NAME + header(0x7FE0, 0x10, b"OB", UNDEF) + item(b"") + item(b"ab", 1000)),
            "length-past-end",
        ),
        "non_item_among_fragments.dcm": (
            part10(JPEG, NAME + header(0x7FE0, 0x10, b"OB", UNDEF) + item(b"") + NAME + SEQ_END),
            "bad-item",
        ),
        "delimiter_pattern_in_fragment.dcm": (part10(JPEG, NAME + encapsulated + SEQ_END), "ok"),
        "deflate_garbage.dcm": (part10(DEFLATED, b"\xff\xfe" * 50), "deflate"),
        "deflate_truncated.dcm": (part10(DEFLATED, _deflate(GOOD * 20)[:30]), "deflate"),
        "deflate_bomb.dcm": (
            part10(DEFLATED, _deflate(header(0x7FE0, 0x10, b"OB", 600 << 20), zeros=600 << 20)),
            "deflate",
        ),
        "big_endian.dcm": (
            part10(BIG_ENDIAN, el(0x10, 0x10, b"PN", b"Doe^John", True) + el(0x10, 0x20, b"LO", b"PID123", True)),
            "ok",
        ),
        "un_sequence_hiding_names.dcm": (
            part10(
                EXPLICIT_LE,
                header(0x10, 0x1002, b"UN", UNDEF)
                + item(implicit(0x10, 0x10, b"Doe^John"), UNDEF)
                + ITEM_END
                + SEQ_END,
            ),
            "ok",
        ),
        "invalid_uids.dcm": (
            part10(EXPLICIT_LE, el(0x8, 0x18, b"UI", b"../../etc/passwd") + el(0x20, 0x0D, b"UI", b"1.02.abc\0")),
            "ok",
        ),
        "invalid_dates.dcm": (part10(EXPLICIT_LE, el(0x8, 0x20, b"DA", b"20201340") + NAME), "ok"),
    }
