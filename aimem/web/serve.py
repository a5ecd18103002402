"""Running ``aimem web``: bind the socket, serve until Ctrl-C, no daemon.

The socket is bound here (not by uvicorn) so that ``--port 0`` can pick a free port and the
Host allowlist can name the port actually bound before the first request arrives.
"""

from __future__ import annotations

import ipaddress
import socket
from dataclasses import dataclass

from aimem.web.app import allowed_hosts, create_app
from aimem.web.store import Site

LOOPBACK = "127.0.0.1"


@dataclass
class Bound:
    sock: socket.socket
    host: str
    port: int

    @property
    def url(self) -> str:
        shown = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{shown}:{self.port}/"


def is_loopback(host: str) -> bool:
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return host == "localhost"


def bind(host: str = LOOPBACK, port: int = 0) -> Bound:
    """A listening TCP socket on ``host:port`` (``port`` 0: a free one)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    # IPPROTO_TCP, not 0: asyncio turns Nagle off (TCP_NODELAY) only on sockets whose proto
    # says TCP, and with Nagle on every response waited ~40 ms for a delayed ACK.
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host, port))
        sock.listen(64)
    except BaseException:
        sock.close()
        raise
    return Bound(sock, host, sock.getsockname()[1])


def build(site: Site, bound: Bound, names: tuple[str, ...] = ()):  # noqa: ANN201 - ASGI app
    """The app for ``site`` answering to the bound address's Host names (and ``names``)."""
    extra = names if bound.host == LOOPBACK else (bound.host, *names)
    return create_app(site, allowed_hosts(bound.port, extra))


def serve(
    site: Site, bound: Bound, names: tuple[str, ...] = (), log_level: str = "warning"
) -> None:
    """Serve until interrupted (Ctrl-C: uvicorn shuts down cleanly and this returns)."""
    import uvicorn

    config = uvicorn.Config(
        build(site, bound, names),
        log_level=log_level,
        access_log=False,
        server_header=False,
        proxy_headers=False,
        lifespan="off",
        ws="none",
    )
    server = uvicorn.Server(config)
    try:
        server.run(sockets=[bound.sock])
    except KeyboardInterrupt:
        # uvicorn shuts down on Ctrl-C, then raises the signal again for the caller: stopping
        # the view is the normal way to end it, not an error.
        pass
    finally:
        bound.sock.close()
