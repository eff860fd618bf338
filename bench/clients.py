"""Load-generator clients: websockets with a session or visitor identity, and a small keep-alive HTTP client.

Everything here runs in the bench's own asyncio loop, so hundreds of sockets cost one process.
"""

import asyncio
import json

from websockets.asyncio.client import connect


def agent_session_cookie(agent) -> str:
    """A real login session for ``agent`` in the bench database, as a Cookie header value."""
    from django.conf import settings
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.sessions.backends.db import SessionStore

    session = SessionStore()
    session[SESSION_KEY] = str(agent.pk)
    session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
    session[HASH_SESSION_KEY] = agent.get_session_auth_hash()
    session.create()
    return f"{settings.SESSION_COOKIE_NAME}={session.session_key}"


async def ws_open(server, path: str, *, cookie: str | None = None, retries: int = 5):
    """Open a websocket like a browser on the server's own origin would; retried because a 2-core machine
    under load refuses some handshakes in a burst of hundreds."""
    headers = {"Origin": server.url}
    if cookie:
        headers["Cookie"] = cookie
    delay = 0.2
    for attempt in range(retries):
        try:
            return await connect(
                server.ws_url + path,
                additional_headers=headers,
                open_timeout=30,
                compression=None,
                max_queue=None,
                ping_interval=None,
                proxy=None,
            )
        except (OSError, TimeoutError):
            if attempt == retries - 1:
                raise
            await asyncio.sleep(delay)
            delay *= 2
    raise AssertionError("unreachable")


async def ws_open_many(server, paths_and_cookies: list[tuple[str, str | None]], *, concurrency: int = 50) -> list:
    """Open many sockets, a few at a time, so the handshake burst does not itself become the benchmark."""
    gate = asyncio.Semaphore(concurrency)

    async def one(path, cookie):
        async with gate:
            return await ws_open(server, path, cookie=cookie)

    return await asyncio.gather(*(one(p, c) for p, c in paths_and_cookies))


async def ws_close_all(sockets) -> None:
    async def close(ws):
        try:
            await asyncio.wait_for(ws.close(), 5)
        except Exception:
            pass

    await asyncio.gather(*(close(ws) for ws in sockets))


async def recv_until(ws, predicate, *, timeout: float = 15.0) -> dict:
    """Read frames until one matches; the frames before it are dropped."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        remaining = deadline - loop.time()
        if remaining <= 0:
            raise TimeoutError("no matching frame")
        frame = json.loads(await asyncio.wait_for(ws.recv(), remaining))
        if predicate(frame):
            return frame


class HttpConnection:
    """One keep-alive HTTP/1.1 connection: enough of a client to drive the JSON API at a steady rate."""

    def __init__(self, host: str, port: int, headers: dict[str, str]):
        self.host, self.port, self.headers = host, port, headers
        self.reader = self.writer = None
        self.lock = asyncio.Lock()

    async def _ensure(self):
        if self.writer is None or self.writer.is_closing():
            self.reader, self.writer = await asyncio.open_connection(self.host, self.port)

    async def request(self, method: str, path: str, body: dict | None = None) -> tuple[int, dict | None]:
        async with self.lock:
            await self._ensure()
            data = json.dumps(body).encode() if body is not None else b""
            head = [f"{method} {path} HTTP/1.1", f"Host: {self.host}:{self.port}", f"Content-Length: {len(data)}"]
            if body is not None:
                head.append("Content-Type: application/json")
            head += [f"{k}: {v}" for k, v in self.headers.items()]
            self.writer.write(("\r\n".join(head) + "\r\n\r\n").encode() + data)
            await self.writer.drain()
            status_line = await self.reader.readline()
            status = int(status_line.split()[1])
            length, close = 0, False
            while True:
                line = (await self.reader.readline()).decode("latin-1").strip()
                if not line:
                    break
                name, _, value = line.partition(":")
                if name.lower() == "content-length":
                    length = int(value)
                elif name.lower() == "connection" and value.strip().lower() == "close":
                    close = True
            payload = await self.reader.readexactly(length) if length else b""
            if close:
                self.writer.close()
                self.writer = None
            try:
                return status, json.loads(payload) if payload else None
            except ValueError:
                return status, None

    async def close(self):
        if self.writer is not None:
            self.writer.close()
