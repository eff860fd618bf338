"""Scenario 3, off-hours burst: many customers write at once while the team is closed; how long until every
one of them has the away reply on their socket, and exactly one each in the database."""

import asyncio
import json
import time

from asgiref.sync import sync_to_async

from bench import clients

GOAL_S = 10.0


async def _burst(server, world, *, customers: int) -> dict:
    from bench.world import chat_path, visitor_cookies

    inbox = world["inbox"]
    cookies = await sync_to_async(visitor_cookies)(inbox=inbox, count=customers)
    sockets = await clients.ws_open_many(server, [(chat_path(inbox), c) for c in cookies])
    for ws in sockets:
        await clients.recv_until(ws, lambda f: f.get("type") in ("hello", "error"), timeout=60)
    sent: dict[int, float] = {}
    replied: dict[int, float] = {}
    conversation_of: dict[int, int] = {}
    extra = 0

    async def read(index, ws):
        nonlocal extra
        async for raw in ws:
            frame = json.loads(raw)
            if frame.get("type") == "ack":
                conversation_of[index] = frame["conversation"]["id"]
            elif frame.get("type") == "message" and (frame.get("message") or {}).get("event") == "away_reply":
                if index in replied:
                    extra += 1
                else:
                    replied[index] = time.monotonic()

    readers = [asyncio.create_task(read(i, ws)) for i, ws in enumerate(sockets)]
    start = time.monotonic()
    for i, ws in enumerate(sockets):
        sent[i] = time.monotonic()
        await ws.send(json.dumps({"type": "message", "client_id": f"burst-{i}", "body": "Anyone there?"}))
    sends_done = time.monotonic() - start
    deadline = time.monotonic() + 120
    while len(replied) < customers and time.monotonic() < deadline:
        await asyncio.sleep(0.1)
    await asyncio.sleep(1.0)  # a second reply, if any, would arrive now
    for task in readers:
        task.cancel()
    await clients.ws_close_all(sockets)
    waits = [replied[i] - sent[i] for i in replied]
    return {
        "sends_took_s": round(sends_done, 2),
        "delivered": len(replied),
        "all_delivered_s": round(max(replied.values()) - start, 2) if len(replied) == customers else None,
        "reply_wait_p50_s": round(sorted(waits)[len(waits) // 2], 2) if waits else None,
        "extra_on_sockets": extra,
        "conversation_ids": list(conversation_of.values()),
    }


def run(*, customers: int, log) -> dict:
    from django.db.models import Count

    from bench.chat import unthrottled
    from bench.runtime import CeleryWorker, Daphne
    from bench.world import make_world
    from conversations.models import Message
    from hours.models import BusinessHoursPolicy

    world = make_world(customers=0, agents=2, label="burst")
    # A policy with no opening windows: the team is closed for as long as the run lasts.
    policy = BusinessHoursPolicy.objects.create(name=f"Bench closed {world['team'].slug}", time_zone="UTC")
    world["team"].business_hours_policy = policy
    world["team"].save(update_fields=["business_hours_policy"])
    with Daphne(**unthrottled()) as server, CeleryWorker(concurrency=2):
        result = asyncio.run(_burst(server, world, customers=customers))
    conv_ids = result.pop("conversation_ids")
    per_conv = dict(
        Message.objects.filter(conversation_id__in=conv_ids, event="away_reply")
        .values("conversation_id")
        .annotate(n=Count("id"))
        .values_list("conversation_id", "n")
    )
    result.update(
        {
            "customers": customers,
            "conversations": len(conv_ids),
            "missing": sum(1 for c in conv_ids if per_conv.get(c, 0) == 0),
            "extra": sum(n - 1 for n in per_conv.values() if n > 1),
            "worker_concurrency": 2,
        }
    )
    result["target_met"] = (
        result["all_delivered_s"] is not None
        and result["all_delivered_s"] <= GOAL_S
        and result["missing"] == 0
        and result["extra"] == 0
    )
    log(f"  {customers} customers while closed: all away replies in {result['all_delivered_s']} s, "
        f"missing {result['missing']}, extra {result['extra']}")  # fmt: skip
    return result
