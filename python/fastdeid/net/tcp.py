"""TCP_NODELAY for pynetdicom's sockets.

A C-STORE is written as several PDUs and then the writer waits for the response: with Nagle's
algorithm on, the last small write waits for the peer's delayed ACK (about 40 ms on Linux), which
caps a loopback transfer at a few dozen small files a second. pynetdicom creates its sockets
internally and has no option for this, so its two socket factories are wrapped once, here.
"""

from __future__ import annotations

import socket
import threading
from typing import Any

from pynetdicom.transport import AssociationServer, AssociationSocket

_done = False
_installing = threading.Lock()  # senders in several threads may ask at once


def no_delay() -> None:
    """Turns Nagle's algorithm off on every socket pynetdicom makes from now on (idempotent)."""
    global _done
    with _installing:  # the whole install: no socket is made half-way through it
        if _done:
            return
        _done = True
        create = AssociationSocket._create_socket
        accept = AssociationServer.get_request

        def create_socket(self: AssociationSocket, address: Any) -> socket.socket:
            sock = create(self, address)
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            return sock

        def get_request(self: AssociationServer) -> tuple[socket.socket, tuple[str, int]]:
            sock, address = accept(self)
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            return sock, address

        AssociationSocket._create_socket = create_socket  # type: ignore[method-assign]
        AssociationServer.get_request = get_request  # type: ignore[method-assign]
