"""A local stand-in for the enrichment provider, speaking Clearbit's combined-lookup wire format over real
HTTP on 127.0.0.1. Each test queues the answers it wants; every request is recorded."""

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

from helpdesk.devservers import free_port

PERSON = {
    "person": {
        "id": "d54c54ad-40be-4305-8a34-0ab44710b90d",
        "name": {"fullName": "Alex MacCaw", "givenName": "Alex", "familyName": "MacCaw"},
        "email": "alex@example.com",
        "location": "San Francisco, CA, US",
        "timeZone": "America/Los_Angeles",
        "avatar": "https://images.example.com/alex.png",
        "employment": {"name": "Clearbit", "title": "Founder", "domain": "clearbit.com"},
    },
    "company": {"id": "3f5d6a4e", "name": "Clearbit", "domain": "clearbit.com"},
}


class FakeProvider:
    def __init__(self):
        self.requests: list[dict] = []
        # Each answer: (status, headers, body bytes, delay seconds); the last one repeats.
        self.answers: list[tuple[int, dict, bytes, float]] = [(200, {}, json.dumps(PERSON).encode(), 0)]
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                parts = urlsplit(self.path)
                fake.requests.append(
                    {
                        "path": parts.path,
                        "query": parse_qs(parts.query),
                        "authorization": self.headers.get("Authorization"),
                    }
                )
                status, headers, body, delay = fake.answers.pop(0) if len(fake.answers) > 1 else fake.answers[0]
                if delay:
                    time.sleep(delay)
                try:
                    self.send_response(status)
                    for name, value in {"Content-Type": "application/json", **headers}.items():
                        self.send_header(name, value)
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    self.wfile.write(body)
                except (BrokenPipeError, ConnectionResetError):
                    pass

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", free_port()), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def answer(self, *answers):
        self.answers = [
            (a[0], a[1] if len(a) > 1 else {}, a[2] if len(a) > 2 else b"", a[3] if len(a) > 3 else 0) for a in answers
        ]

    def close(self):
        self.server.shutdown()
        self.server.server_close()
