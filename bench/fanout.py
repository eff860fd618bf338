"""Scenario 5, fan-out: one conversation event reaches agent sockets spread over two daphne processes
through the Redis channel layer; latency from commit to each socket."""

import asyncio
import json
import time
from collections import Counter

from asgiref.sync import sync_to_async
from django.db import transaction

from bench import clients
from bench.stats import summary_ms
from conversations import messaging


async def _measure(servers, world, *, events: int) -> dict:
    cookies = await sync_to_async(lambda: [clients.agent_session_cookie(a) for a in world["agents"]])()
    plan = [(servers[i % len(servers)], "/ws/agent/", c) for i, c in enumerate(cookies)]
    sockets = []
    for server in servers:
        sockets += await clients.ws_open_many(server, [(p, c) for s, p, c in plan if s is server])
    for ws in sockets:
        await clients.recv_until(ws, lambda f: f.get("type") == "hello")
    committed: dict[str, float] = {}
    received: dict[tuple[int, str], float] = {}
    dupes = Counter()

    async def read(index, ws):
        async for raw in ws:
            frame = json.loads(raw)
            if frame.get("type") == "event" and frame.get("event") == "message.created":
                cid = frame["data"]["message"].get("client_id")
                if not (cid or "").startswith("fan-"):
                    continue  # timeline entries the message caused (an assignment, an away reply)
                key = (index, cid)
                if key in received:
                    dupes[cid] += 1
                else:
                    received[key] = time.monotonic()

    readers = [asyncio.create_task(read(i, ws)) for i, ws in enumerate(sockets)]
    conversation = world["conversations"][0]
    inbox, customer = await sync_to_async(lambda: (conversation.inbox, conversation.customer))()

    def write(cid):
        with transaction.atomic():
            # Registered first, so it runs before the broadcast callbacks the write path registers.
            transaction.on_commit(lambda: committed.__setitem__(cid, time.monotonic()))
            # The customer's only conversation, which this continues: the production write path.
            messaging.customer_message_receive(inbox=inbox, customer=customer, body=f"fan-out {cid}", client_id=cid)

    try:
        for i in range(events):
            await sync_to_async(write)(f"fan-{i}")
            await asyncio.sleep(0.2)  # one event at a time: this measures fan-out, not queueing
        deadline = time.monotonic() + 10
        while len(received) < events * len(sockets) and time.monotonic() < deadline:
            await asyncio.sleep(0.05)
    finally:
        for task in readers:
            task.cancel()
        await clients.ws_close_all(sockets)
    latencies = [t - committed[cid] for (_, cid), t in received.items() if cid in committed]
    return {
        "latency": summary_ms(latencies),
        "lost": events * len(sockets) - len(received),
        "duplicates": sum(dupes.values()),
    }


def run(*, agents: int, events: int, log) -> dict:
    from bench.chat import unthrottled
    from bench.runtime import Daphne
    from bench.world import make_world

    world = make_world(customers=1, agents=agents, label="fanout")
    with Daphne(**unthrottled()) as a, Daphne(**unthrottled()) as b:
        result = asyncio.run(_measure([a, b], world, events=events))
    result.update({"agents": agents, "daphne_processes": 2, "events": events})
    log(f"  {events} events x {agents} agents over 2 daphne: {result['latency']}  lost {result['lost']}")
    return result
