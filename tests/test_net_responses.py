"""A C-STORE response pynetdicom's requestor reactor took goes back to the DIMSE queue, where the
waiting `send_c_store` reads it (net/responses.py); a request is served as before."""

from __future__ import annotations

from typing import Any

import pytest

pynetdicom = pytest.importorskip("pynetdicom")
from pynetdicom.association import Association  # noqa: E402
from pynetdicom.dimse_primitives import C_STORE  # noqa: E402

from fastdeid.net.responses import return_stolen_responses  # noqa: E402


def store_response() -> C_STORE:
    rsp = C_STORE()
    rsp.MessageIDBeingRespondedTo = 1
    rsp.AffectedSOPClassUID = "1.2.840.10008.5.1.4.1.1.4"
    rsp.AffectedSOPInstanceUID = "1.2.3.4"
    rsp.Status = 0x0000
    return rsp


def test_a_taken_response_is_put_back_once(monkeypatch: pytest.MonkeyPatch) -> None:
    dropped: list[Any] = []
    monkeypatch.setattr(Association, "_serve_request", lambda self, msg, cx: dropped.append(msg))
    monkeypatch.setattr("fastdeid.net.responses._done", False)
    return_stolen_responses()
    assoc = Association(pynetdicom.AE(), "requestor")
    rsp = store_response()
    assoc._serve_request(rsp, 1)
    assert assoc.dimse.get_msg(block=False) == (1, rsp) and dropped == []
    assoc._serve_request(rsp, 1)  # nobody took it: dropped as pynetdicom does
    assert dropped == [rsp] and assoc.dimse.get_msg(block=False) == (None, None)


def test_requests_and_acceptors_are_served_as_before(monkeypatch: pytest.MonkeyPatch) -> None:
    served: list[Any] = []
    monkeypatch.setattr(Association, "_serve_request", lambda self, msg, cx: served.append(msg))
    monkeypatch.setattr("fastdeid.net.responses._done", False)
    return_stolen_responses()
    request = C_STORE()
    request.MessageID = 1
    request.AffectedSOPClassUID = "1.2.840.10008.5.1.4.1.1.4"
    request.AffectedSOPInstanceUID = "1.2.3.4"
    request.Priority = 2
    Association(pynetdicom.AE(), "requestor")._serve_request(request, 1)
    rsp = store_response()
    Association(pynetdicom.AE(), "acceptor")._serve_request(rsp, 1)
    assert served == [request, rsp]
