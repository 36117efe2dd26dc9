"""The Part 10 bytes `listen` hands the core for a received C-STORE are those pynetdicom's
`Event.encoded_dataset()` makes (its file meta, the data set untouched), made without pydicom."""

from __future__ import annotations

import pytest

pytest.importorskip("pynetdicom")
from pydicom.uid import UID
from pynetdicom.dsutils import create_file_meta, encode_file_meta

from fastdeid.net.received import PREAMBLE, assemble


@pytest.mark.parametrize(
    ("sop_class", "sop_instance", "syntax"),
    [
        ("1.2.840.10008.5.1.4.1.1.4", "1.2.3.45", "1.2.840.10008.1.2.1"),  # odd, even, odd lengths
        ("1.2.840.10008.5.1.4.1.1.2", "1.2.3.4", "1.2.840.10008.1.2"),
        ("1.2.840.10008.5.1.4.1.1.77.1.6", "2.25." + "9" * 39, "1.2.840.10008.1.2.4.90"),
    ],
)
def test_same_bytes_as_pynetdicom(sop_class: str, sop_instance: str, syntax: str) -> None:
    meta = create_file_meta(
        sop_class_uid=UID(sop_class), sop_instance_uid=UID(sop_instance), transfer_syntax=UID(syntax)
    )
    data = b"\x08\x00\x16\x00UI\x02\x001\x00"
    assert assemble(sop_class, sop_instance, syntax, data) == PREAMBLE + encode_file_meta(meta) + data
