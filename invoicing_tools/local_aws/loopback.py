"""A web API's local stand-in: an HTTP server on a free loopback port, in a daemon thread.

The Stripe stub and the Google Sheets stub are ``LoopbackServer``s: they say which request
handler serves them (``handler()``, a class whose ``owner`` is the stub) and what to prepare
before listening (``prepare()``); starting, stopping and the ``with`` form are here, once.
"""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Self


class LoopbackHandler(BaseHTTPRequestHandler):
    """What every stub's request handler shares: keep-alive HTTP/1.1 answered in one write (headers
    and body written apart wait ~40 ms on loopback: Nagle's algorithm against delayed ACKs), quiet
    logs (tests read the stub's recorded requests), each method handed to ``_serve``."""

    protocol_version = "HTTP/1.1"
    wbufsize = 64 * 1024
    disable_nagle_algorithm = True
    sys_version = ""

    def _serve(self, method: str) -> None:
        raise NotImplementedError

    def do_GET(self) -> None:
        self._serve("GET")

    def do_POST(self) -> None:
        self._serve("POST")

    def do_DELETE(self) -> None:
        self._serve("DELETE")

    def log_message(self, format: str, *args: object) -> None:
        pass


def serve_until_interrupted(stub: LoopbackServer, *lines: str) -> None:
    """``python -m`` a stub: print its URL (and ``lines``), serve until Ctrl-C."""
    print(stub.start(), flush=True)
    for line in lines:
        print(line, flush=True)
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        stub.stop()


class LoopbackServer:
    #: The serving thread's name, for stack dumps.
    thread_name = "loopback-stub"

    def __init__(self) -> None:
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self.url = ""

    def handler(self) -> type[BaseHTTPRequestHandler]:
        raise NotImplementedError

    def prepare(self) -> None:
        """Done once before the first request (load fixtures, make keys)."""

    def start(self) -> str:
        """Listen on a free loopback port; the base URL (``http://127.0.0.1:PORT``)."""
        if self._server is not None:
            return self.url
        self.prepare()
        server = ThreadingHTTPServer(("127.0.0.1", 0), self.handler())
        server.daemon_threads = True
        server.block_on_close = False
        self._server = server
        self.url = f"http://127.0.0.1:{server.server_address[1]}"
        self._thread = threading.Thread(
            target=server.serve_forever, kwargs={"poll_interval": 0.05}, name=self.thread_name, daemon=True
        )
        self._thread.start()
        return self.url

    def stop(self) -> None:
        if self._server is None:
            return
        self._server.shutdown()
        self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._server = self._thread = None

    def __enter__(self) -> Self:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()
