"""Who may send to `fastdeid listen`, decided before anything of an association is read.

Two checks, each where it can be made first:

- the caller's **address**, when the connection is accepted: a connection from an address the
  allow-list does not name is closed at once, before a byte of it is read (nothing to answer:
  the peer is not one we talk to);
- the caller's **AE title**, when its A-ASSOCIATE-RQ arrives: pynetdicom's `require_calling_aet`
  answers an AE title not named with A-ASSOCIATE-RJ (rejected-permanent, service user, "calling
  AE title not recognised", PS3.8 9.3.4), before any C-STORE can be sent.

By default (nothing named) only loopback callers are served, whatever their AE title.
"""

from __future__ import annotations

import ipaddress
import re
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, cast

from pynetdicom import AE
from pynetdicom.transport import ThreadedAssociationServer

from ..errors import UsageError
from .aet import ae_title_problem

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


# An `--allow` entry meant as an address: IPv4 digits and dots with a `.` or `/` (`10.1.2.0/33`,
# `10.1.2.300`), or IPv6 hex digits and colons with a `/` (`fe80::/129`). A bare number stays an
# AE title, as AE titles may be.
ADDRESS_LIKE = re.compile(r"[0-9.]*[./][0-9./]*|[0-9A-Fa-f:.]*:[0-9A-Fa-f:.]*/[0-9./]*")


def looks_like_address(entry: str) -> bool:
    return ADDRESS_LIKE.fullmatch(entry.strip()) is not None


@dataclass
class Allowed:
    """The allow-list: AE titles and addresses/networks; with no network named, loopback only."""

    aets: set[str] = field(default_factory=set)
    networks: list[Network] = field(default_factory=list)

    @staticmethod
    def parse(entries: list[str]) -> Allowed:
        """`--allow` values: an address or network (`10.1.2.0/24`), else an AE title."""
        allowed = Allowed()
        for entry in entries:
            try:
                allowed.networks.append(ipaddress.ip_network(entry, strict=False))
            except ValueError as exc:
                if looks_like_address(entry):  # `10.1.2.0/33` is a mistyped network, not an AE title
                    raise UsageError(f"--allow {entry!r}: not an address nor a network ({exc})") from None
                aet = entry.strip()
                if ae_title_problem(aet) is not None:
                    raise UsageError(f"--allow {entry!r}: neither an address, a network nor an AE title") from None
                allowed.aets.add(aet)
        return allowed

    def permits_address(self, address: str) -> bool:
        try:
            ip = ipaddress.ip_address(address)
        except ValueError:
            return False
        if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
            ip = ip.ipv4_mapped  # an IPv4 caller of a dual-stack socket (`--bind ::`)
        if not self.networks:
            return ip.is_loopback
        return any(ip in n for n in self.networks)

    def permits_aet(self, aet: str) -> bool:
        return not self.aets or aet.strip() in self.aets


class GatedServer(ThreadedAssociationServer):
    """pynetdicom's threaded server, which closes a connection from an address not allowed before
    reading from it (set `allowed` and `on_refused` before it serves)."""

    allowed: Allowed = Allowed()
    on_refused: Callable[[str, int], None] = staticmethod(lambda host, port: None)

    def verify_request(self, request: Any, client_address: Any) -> bool:
        # socketserver closes the connection when this says no; no association thread is started.
        host, port = str(client_address[0]), int(client_address[1])
        if self.allowed.permits_address(host):
            return True
        self.on_refused(host, port)
        return False


def start_gated_server(
    ae: AE, allowed: Allowed, host: str, port: int, handlers: list[Any], on_refused: Callable[[str, int], None]
) -> GatedServer:
    """Starts the SCP in a thread, as `AE.start_server(block=False)` does, with both checks in place
    before the first connection is accepted; `on_refused(host, port)` hears of each closed connection."""
    ae.require_calling_aet = sorted(allowed.aets)
    server = cast(GatedServer, ae.make_server((host, port), evt_handlers=handlers, server_class=GatedServer))
    server.allowed = allowed
    server.on_refused = on_refused
    ae._servers.append(server)  # `server.shutdown()` removes it from there, as for start_server's servers
    threading.Thread(target=server.serve_forever, name="fastdeid-accept", daemon=True).start()
    return server
