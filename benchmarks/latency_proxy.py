"""A proxy that puts a fixed round trip between a client and a local emulator.

Every HTTP/1.1 request reaches the emulator ``delay`` seconds after the client sent it, and a new
connection costs one more ``delay`` before its first request goes through (the TCP handshake), so a
request on a kept-alive connection costs one round trip and one on a new connection two, as over a
real network (TLS would add more). Answers come back at once. Many requests in flight on many
connections each wait only their own round trip.

Client connections stay open as a real endpoint keeps them: each request goes to the emulator on a
connection of its own (moto_server and other emulators close theirs after every answer, which
would otherwise charge every request a handshake), and the answer is re-framed with its length.

It also keeps the emulator's request log: ``CONNECT`` for each client connection and the request
line (method and target, and the ``X-Amz-Target`` operation of a JSON-protocol call) of every
request, one per line in ``--log``, so a benchmark counts the calls the emulator received by
operation.

Run it in its own process (the benchmarks do, through :func:`latency_proxy`) so it never shares a
GIL with the code being measured:

    python benchmarks/latency_proxy.py --upstream 127.0.0.1:5000 --delay-ms 150 --log req.log
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import TextIO


class _Log:
    def __init__(self, path: Path | None) -> None:
        self._file: TextIO | None = path.open("a", encoding="utf-8") if path else None

    def write(self, line: str) -> None:
        if self._file is not None:
            self._file.write(line + "\n")
            self._file.flush()


def _headers(head: bytes) -> tuple[str, list[tuple[str, str]]]:
    first, *lines = head.decode("latin-1").split("\r\n")
    pairs = [(k.strip(), v.strip()) for k, _, v in (line.partition(":") for line in lines if line)]
    return first, pairs


def _get(pairs: list[tuple[str, str]], name: str) -> str | None:
    return next((v for k, v in pairs if k.lower() == name), None)


async def _body(reader: asyncio.StreamReader, pairs: list[tuple[str, str]]) -> bytes:
    """A message body by its framing: Content-Length, chunked, or (a response) until EOF."""
    length = _get(pairs, "content-length")
    if length is not None:
        return await reader.readexactly(int(length))
    if "chunked" in (_get(pairs, "transfer-encoding") or "").lower():
        parts = []
        while size := int((await reader.readuntil(b"\r\n")).split(b";")[0], 16):
            parts.append(await reader.readexactly(size))
            await reader.readexactly(2)
        while await reader.readuntil(b"\r\n") != b"\r\n":  # trailers
            pass
        return b"".join(parts)
    return await reader.read()


def _no_body(method: str, status: int) -> bool:
    return method == "HEAD" or 100 <= status < 200 or status in (204, 304)


async def _exchange(upstream: tuple[str, int], request: bytes, method: str) -> bytes:
    """One request on a connection of its own to the emulator (emulators such as moto_server
    close every connection after one answer), re-framed so the client's connection stays open."""
    reader, writer = await asyncio.open_connection(*upstream)
    try:
        writer.write(request)
        await writer.drain()
        first, pairs = _headers((await reader.readuntil(b"\r\n\r\n"))[:-4])
        status = int(first.split()[1])
        body = b"" if _no_body(method, status) else await _body(reader, pairs)
    finally:
        writer.close()
    drop = {"connection", "keep-alive", "transfer-encoding"}
    if not _no_body(method, status):
        drop.add("content-length")
    kept = [(k, v) for k, v in pairs if k.lower() not in drop]
    if not _no_body(method, status):
        kept.append(("Content-Length", str(len(body))))
    kept.append(("Connection", "keep-alive"))
    head = "\r\n".join([first, *(f"{k}: {v}" for k, v in kept)]) + "\r\n\r\n"
    return head.encode("latin-1") + body


async def _serve(listen_port: int, upstream: tuple[str, int], delay: float, log: _Log) -> None:
    async def handle(client_r: asyncio.StreamReader, client_w: asyncio.StreamWriter) -> None:
        opened = time.monotonic()
        log.write("CONNECT")
        try:
            while True:
                try:
                    head = await client_r.readuntil(b"\r\n\r\n")
                except (asyncio.IncompleteReadError, ConnectionError):
                    return
                sent = time.monotonic()  # when the client sent it, give or take a millisecond
                first, pairs = _headers(head[:-4])
                body = await _body(client_r, pairs) if _get(pairs, "content-length") else b""
                method, target = first.split()[:2]
                operation = _get(pairs, "x-amz-target")  # JSON-protocol APIs (KMS) name it here
                log.write(f"{method} {target}" + (f" {operation}" if operation else ""))
                # one round trip per request; a new connection's first also waits the handshake
                due = max(sent + delay, opened + 2 * delay)
                if (wait := due - time.monotonic()) > 0:
                    await asyncio.sleep(wait)
                client_w.write(await _exchange(upstream, head + body, method))
                await client_w.drain()
                if (_get(pairs, "connection") or "").lower() == "close":
                    return
        except (OSError, asyncio.IncompleteReadError, ValueError, asyncio.CancelledError):
            return  # a client gone, a malformed request, or the proxy stopping
        finally:
            with contextlib.suppress(Exception):
                client_w.close()

    server = await asyncio.start_server(handle, "127.0.0.1", listen_port, backlog=1024)
    port = server.sockets[0].getsockname()[1]
    print(port, flush=True)  # the parent reads the port from the first line
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    async with server:
        await stop.wait()


@contextlib.contextmanager
def latency_proxy(upstream_url: str, delay_ms: float, log: Path) -> Iterator[str]:
    """Start the proxy in its own process in front of ``upstream_url`` (``http://host:port``);
    yield the proxy's URL. The request log is appended to ``log``."""
    host, _, port = upstream_url.removeprefix("http://").rstrip("/").partition(":")
    proc = subprocess.Popen(
        [
            sys.executable,
            str(Path(__file__).resolve()),
            "--upstream",
            f"{host}:{port}",
            "--delay-ms",
            str(delay_ms),
            "--log",
            str(log),
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        listen = int(proc.stdout.readline())
        yield f"http://127.0.0.1:{listen}"
    finally:
        proc.terminate()
        proc.wait(10)


def request_lines(log: Path, start: int = 0) -> list[str]:
    """The request lines logged from line ``start`` on."""
    if not log.exists():
        return []
    return log.read_text(encoding="utf-8").splitlines()[start:]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--upstream", required=True, help="host:port of the emulator")
    parser.add_argument("--listen-port", type=int, default=0)
    parser.add_argument("--delay-ms", type=float, default=150.0)
    parser.add_argument("--log", type=Path, default=None, help="request log (one line each)")
    args = parser.parse_args()
    host, _, port = args.upstream.rpartition(":")
    asyncio.run(_serve(args.listen_port, (host, int(port)), args.delay_ms / 1000, _Log(args.log)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
