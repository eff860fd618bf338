"""Local stand-ins for outside services, over real HTTP on 127.0.0.1, speaking their wire formats."""

import gzip
import json
import threading
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from helpdesk.devservers import free_port


class FakeServer:
    """Records every request; answers with ``respond(method, path, headers, body) -> (status, headers, body)``."""

    def __init__(self, respond: Callable | None = None):
        self.requests: list[dict] = []
        self.respond = respond or (lambda *_: (200, {}, {}))
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def _handle(self):
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length) if length else b""
                body = gzip.decompress(raw) if self.headers.get("Content-Encoding") == "gzip" else raw
                try:
                    parsed = json.loads(body) if body else None
                except ValueError:
                    parsed = None
                request = {
                    "method": self.command,
                    "path": self.path,
                    "headers": dict(self.headers),
                    "raw": raw,
                    "json": parsed,
                }
                fake.requests.append(request)
                status, headers, answer = fake.respond(request)
                data = answer if isinstance(answer, bytes) else json.dumps(answer).encode()
                self.send_response(status)
                for key, value in headers.items():
                    self.send_header(key, value)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            do_POST = do_GET = _handle

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", free_port()), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()
