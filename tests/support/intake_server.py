"""A web server on 127.0.0.1 (port 0) that serves what a test puts in its routes.

A route may also behave as a hostile server does: drip its response headers a byte at a time
(`drip`), so that no single read ever waits long enough for a read timeout.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass
class Route:
    status: int = 200
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=lambda: {"Content-Type": "text/html; charset=utf-8"})
    # Sent without Content-Length, in pieces, to test the streamed size limit.
    chunked: bool = False
    # Seconds between the bytes of the response headers, sent one at a time, for at most
    # `drip_for` seconds (then the connection is closed); None: sent at once.
    drip: float | None = None
    drip_for: float = 60.0
    # Called (in the server's thread) before anything is sent: a test can hold a response.
    before: Callable[[], None] | None = None


@dataclass
class Site:
    base: str
    routes: dict[str, Route]
    hits: list[str]

    def url(self, path: str) -> str:
        return self.base + path


@contextmanager
def serve(routes: dict[str, Route]) -> Iterator[Site]:
    hits: list[str] = []
    stopping = threading.Event()

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_GET(self) -> None:  # noqa: N802 - http.server's name
            hits.append(self.path)
            route = routes.get(self.path.split("?", 1)[0], Route(status=404, body=b"not found"))
            if route.before is not None:
                route.before()
            if route.drip is not None:
                self._drip(route)
                return
            self.send_response(route.status)
            for name, value in route.headers.items():
                self.send_header(name, value)
            if route.chunked:
                self.send_header("Transfer-Encoding", "chunked")
                self.send_header("Connection", "close")
                self.end_headers()
                try:
                    for start in range(0, len(route.body), 65536):
                        piece = route.body[start : start + 65536]
                        self.wfile.write(f"{len(piece):x}\r\n".encode() + piece + b"\r\n")
                    self.wfile.write(b"0\r\n\r\n")
                except OSError:
                    pass  # the client stopped reading: that is what the test wants
                return
            self.send_header("Content-Length", str(len(route.body)))
            self.end_headers()
            try:
                self.wfile.write(route.body)
            except OSError:
                pass

        def _drip(self, route: Route) -> None:
            headers = "".join(f"{k}: {v}\r\n" for k, v in route.headers.items())
            head = f"HTTP/1.1 {route.status} OK\r\n{headers}X-Padding: ".encode()
            ends = time.monotonic() + route.drip_for
            try:
                self.wfile.write(head[:12])
                self.wfile.flush()
                sent = 12
                # Endless header bytes, each just in time; stops when the test's server
                # stops or the client hangs up.
                while time.monotonic() < ends and not stopping.wait(route.drip):
                    byte = head[sent : sent + 1] if sent < len(head) else b"x"
                    self.wfile.write(byte)
                    self.wfile.flush()
                    sent += 1
            except OSError:
                pass
            self.close_connection = True

        def log_message(self, *args: object) -> None:
            pass

    class Server(ThreadingHTTPServer):
        daemon_threads = True

        def handle_error(self, request: object, client_address: object) -> None:
            pass  # a client that hung up on purpose (the size limit) is not an error here

    server = Server(("127.0.0.1", 0), Handler)
    # Polls for shutdown every 50 ms (not 0.5 s), so each test ends promptly.
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield Site(base=f"http://127.0.0.1:{server.server_address[1]}", routes=routes, hits=hits)
    finally:
        stopping.set()
        server.shutdown()
        server.server_close()
