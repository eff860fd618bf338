"""Scenario 4, memory: one daphne holding many idle customer sockets; its RSS above idle, from /proc."""

import asyncio

from asgiref.sync import sync_to_async

from bench import clients

GOAL_MB = 100.0


async def _hold(server, world, *, sockets: int) -> dict:
    from bench.world import chat_path, visitor_cookies

    kind = "customer sockets (/ws/chat/)"
    cookies = await sync_to_async(visitor_cookies)(inbox=world["inbox"], count=sockets + 5)
    paths = [(chat_path(world["inbox"]), c) for c in cookies]
    # Warm up: the first connections import and cache what every later one shares.
    warm = await clients.ws_open_many(server, paths[:5])
    for ws in warm:
        await clients.recv_until(ws, lambda f: f.get("type") in ("hello", "error"))
    await clients.ws_close_all(warm)
    await asyncio.sleep(1.0)
    idle = server.rss_kb()
    held = await clients.ws_open_many(server, paths[5:], concurrency=25)
    for ws in held:
        await clients.recv_until(ws, lambda f: f.get("type") in ("hello", "error"), timeout=60)
    await asyncio.sleep(2.0)
    loaded = server.rss_kb()
    open_now = sum(1 for ws in held if ws.state.name == "OPEN")
    await clients.ws_close_all(held)
    above = (loaded - idle) / 1024
    return {
        "kind": kind,
        "sockets": sockets,
        "open_at_measurement": open_now,
        "idle_rss_mb": round(idle / 1024, 1),
        "loaded_rss_mb": round(loaded / 1024, 1),
        "above_idle_mb": round(above, 1),
        "per_socket_kb": round((loaded - idle) / max(sockets, 1), 1),
        "target_met": above <= GOAL_MB * sockets / 1000 if sockets != 1000 else above <= GOAL_MB,
    }


def run(*, sockets: int, log) -> dict:
    from bench.chat import unthrottled
    from bench.runtime import Daphne
    from bench.world import make_world

    world = make_world(customers=0, agents=1, label="memory")
    with Daphne(**unthrottled()) as server:
        result = asyncio.run(_hold(server, world, sockets=sockets))
    log(f"  {result['sockets']} idle {result['kind']}: {result['idle_rss_mb']} -> {result['loaded_rss_mb']} MB "
        f"(+{result['above_idle_mb']} MB, {result['per_socket_kb']} KB each)")  # fmt: skip
    return result
