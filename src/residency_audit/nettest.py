"""Network test helpers for the plugins' tests: an endpoint that never accepts a connection, and a
record of every outbound connection a block of code tries (cloud metadata addresses refused).

Test support only; nothing in a scan imports it.
"""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from collections.abc import Iterator
from typing import Any

__all__ = ["METADATA_HOSTS", "ConnectionRecord", "blackhole", "record_connections"]

# the cloud metadata services: AWS IMDS (IPv4 and IPv6), GCE, Azure IMDS
METADATA_HOSTS = frozenset({"169.254.169.254", "fd00:ec2::254", "metadata.google.internal"})


@contextlib.contextmanager
def blackhole() -> Iterator[str]:
    """``http://127.0.0.1:PORT``: a listening socket whose backlog is full and that never
    accepts, so a connection attempt waits (its SYN is dropped) until the client's connect
    timeout, as with a firewalled or mistyped endpoint."""
    server = socket.socket()
    fillers: list[socket.socket] = []
    try:
        server.bind(("127.0.0.1", 0))
        server.listen(0)
        port = server.getsockname()[1]
        for _ in range(4):  # more than the backlog (0 gives 1 on Linux): the queue is full
            filler = socket.socket()
            filler.setblocking(False)
            with contextlib.suppress(BlockingIOError):
                filler.connect(("127.0.0.1", port))
            fillers.append(filler)
        time.sleep(0.1)
        yield f"http://127.0.0.1:{port}"
    finally:
        for filler in fillers:
            filler.close()
        server.close()


class ConnectionRecord:
    """Hosts looked up and addresses connected to, in order (thread-safe)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.targets: list[str] = []

    def add(self, target: str) -> None:
        with self._lock:
            self.targets.append(target)

    def metadata(self) -> list[str]:
        """The attempts that went to a cloud metadata service."""
        with self._lock:
            return [t for t in self.targets if t in METADATA_HOSTS]


@contextlib.contextmanager
def record_connections() -> Iterator[ConnectionRecord]:
    """Record every ``getaddrinfo`` host and ``connect`` address in this process while inside;
    a metadata address is refused at once (recorded, never reached, no timeout waited)."""
    record = ConnectionRecord()
    real_getaddrinfo = socket.getaddrinfo
    real_connect = socket.socket.connect

    def getaddrinfo(host: Any, *args: Any, **kwargs: Any) -> Any:
        name = host.decode() if isinstance(host, bytes) else str(host)
        record.add(name)
        if name in METADATA_HOSTS and not name[0].isdigit() and ":" not in name:
            raise socket.gaierror(socket.EAI_NONAME, "metadata host refused by the test")
        return real_getaddrinfo(host, *args, **kwargs)

    def connect(self: socket.socket, address: Any) -> None:
        host = str(address[0]) if isinstance(address, tuple) else str(address)
        record.add(host)
        if host in METADATA_HOSTS:
            raise ConnectionRefusedError(f"{host}: metadata address refused by the test")
        real_connect(self, address)

    socket.getaddrinfo = getaddrinfo
    socket.socket.connect = connect  # type: ignore[method-assign,assignment]
    try:
        yield record
    finally:
        socket.getaddrinfo = real_getaddrinfo
        socket.socket.connect = real_connect  # type: ignore[method-assign]
