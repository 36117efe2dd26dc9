"""A response pynetdicom's requestor reactor took by mistake goes back to the call waiting for it.

An association's reactor thread reads incoming DIMSE messages; `send_c_store` pauses it (clears a
checkpoint, then waits for a "paused" flag), sends, and reads the response itself. The flag can
still say "paused" from the reactor's previous turn when the reactor is in fact past the
checkpoint, so now and then (about once in a few thousand C-STOREs on a loaded machine) the
reactor takes the C-STORE response, logs "Received unexpected C-STORE service message" and drops
it; the sender then waits out the DIMSE timeout (30 s) and the association is aborted. Seen with
pynetdicom 3.0 in `benches/net_bench.py` and in the forwarder of `listen`.

The reactor's handler for what it took is wrapped once, here: a response on an association that
requested (never a request, which it serves as before) is put back on the DIMSE queue, where the
waiting `send_*` call finds it. A response nobody waits for goes back only once, then is dropped
as before.
"""

from __future__ import annotations

import threading
from typing import Any

from pynetdicom.association import Association

_done = False
_installing = threading.Lock()  # senders in several threads may ask at once
RETURNED = "_fastdeid_returned"


def return_stolen_responses() -> None:
    """Installs the wrapper on pynetdicom's Association (idempotent)."""
    global _done
    with _installing:  # the whole install: no association runs half-way through it
        if _done:
            return
        _done = True
        serve = Association._serve_request

        def serve_request(self: Association, msg: Any, context_id: int) -> None:
            if self.is_requestor and msg.is_valid_response and not getattr(msg, RETURNED, False):
                setattr(msg, RETURNED, True)
                self.dimse.msg_queue.put((context_id, msg))
                return
            serve(self, msg, context_id)

        Association._serve_request = serve_request  # type: ignore[method-assign]
