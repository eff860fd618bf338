"""Scenario 1, the chat path: C customers send at a rising rate while A agents watch; the same harness then
drives the bare baseline consumers on the same daphne and Redis, and the two are compared.

Latencies are measured from the moment a message was due to be sent (not when the generator got round to
it), so a server that falls behind shows it in the figures instead of slowing the generator down.
"""

import asyncio
import json
import resource
import secrets
from collections import Counter

from asgiref.sync import sync_to_async

from bench import clients
from bench.stats import ratio, summary_ms

P99_GOAL_S = 0.100


def _cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


class Tracker:
    """Send, ack and receive times of every message of one step, keyed by client_id."""

    def __init__(self, watchers: int):
        self.watchers = watchers
        self.sent: dict[str, float] = {}
        self.acked: dict[str, float] = {}
        self.received: dict[tuple[int, str], float] = {}
        self.duplicates = 0
        self.errors: Counter = Counter()

    def ack(self, client_id, t):
        if client_id in self.sent and client_id not in self.acked:
            self.acked[client_id] = t

    def receive(self, watcher: int, client_id, t):
        if client_id not in self.sent:
            return
        key = (watcher, client_id)
        if key in self.received:
            self.duplicates += 1
        else:
            self.received[key] = t

    def complete(self) -> bool:
        return len(self.acked) == len(self.sent) and len(self.received) == len(self.sent) * self.watchers


# --- drivers: how a customer sends, how an agent watches --------------------------------------------------


class BaselineDriver:
    label = "baseline"

    def __init__(self, server, customers: int, agents: int):
        self.server, self.n_customers, self.n_agents = server, customers, agents

    async def start(self, tracker_ref):
        self.tracker_ref = tracker_ref
        self.customers = await clients.ws_open_many(self.server, [("/ws/bench/customer/", None)] * self.n_customers)
        self.watchers = await clients.ws_open_many(self.server, [("/ws/bench/watcher/", None)] * self.n_agents)
        self.tasks = [asyncio.create_task(self._read_acks(ws)) for ws in self.customers]
        self.tasks += [asyncio.create_task(self._read_watcher(i, ws)) for i, ws in enumerate(self.watchers)]

    async def _read_acks(self, ws):
        loop = asyncio.get_running_loop()
        async for raw in ws:
            frame = json.loads(raw)
            if frame.get("type") == "ack":
                self.tracker_ref[0].ack(frame.get("client_id"), loop.time())
            else:
                self.tracker_ref[0].errors[frame.get("code", frame.get("type"))] += 1

    async def _read_watcher(self, index, ws):
        loop = asyncio.get_running_loop()
        async for raw in ws:
            frame = json.loads(raw)
            self.tracker_ref[0].receive(index, frame.get("client_id"), loop.time())

    async def send(self, customer: int, client_id: str, body: str):
        await self.customers[customer].send(json.dumps({"type": "message", "client_id": client_id, "body": body}))

    async def stop(self):
        for task in self.tasks:
            task.cancel()
        await clients.ws_close_all(self.customers + self.watchers)

    def check_database(self, client_ids, acked_ids) -> dict:
        return {"checked": False, "why": "the baseline stores nothing"}


class AppAgentWatchers:
    """Agent sockets on /ws/agent/: every message reaches them as a ``message.created`` event."""

    async def start_watchers(self):
        cookies = await sync_to_async(lambda: [clients.agent_session_cookie(a) for a in self.world["watchers"]])()
        self.watchers = await clients.ws_open_many(self.server, [("/ws/agent/", c) for c in cookies])
        self.tasks += [asyncio.create_task(self._read_watcher(i, ws)) for i, ws in enumerate(self.watchers)]

    async def _read_watcher(self, index, ws):
        loop = asyncio.get_running_loop()
        async for raw in ws:
            frame = json.loads(raw)
            if frame.get("type") == "event" and frame.get("event") == "message.created":
                message = (frame.get("data") or {}).get("message") or {}
                self.tracker_ref[0].receive(index, message.get("client_id"), loop.time())

    def check_database(self, client_ids, acked_ids) -> dict:
        """Every acked message exactly once in the log, and every conversation's seqs gapless. A message
        never acked (still queued when the run stopped) may be missing: a real client resends it."""
        from django.db.models import Count, Max

        from conversations.models import Conversation, Message

        conv_ids = getattr(self, "conversation_ids", None) or [c.id for c in self.world["conversations"]]
        found = Counter(
            Message.objects.filter(conversation_id__in=conv_ids, client_id__isnull=False).values_list(
                "client_id", flat=True
            )
        )
        wanted = set(client_ids)
        missing = len(wanted - set(found))
        acked_but_missing = len(set(acked_ids) - set(found))
        duplicates = sum(n - 1 for cid, n in found.items() if n > 1)
        gaps = 0
        stats = Message.objects.filter(conversation_id__in=conv_ids).values("conversation_id")
        stats = stats.annotate(n=Count("id"), top=Max("seq"))
        last = dict(Conversation.objects.filter(id__in=conv_ids).values_list("id", "last_seq"))
        for row in stats:
            if row["n"] != row["top"] or last.get(row["conversation_id"]) != row["top"]:
                gaps += 1
        return {"checked": True, "messages": len(wanted), "missing": missing, "acked_but_missing": acked_but_missing,
                "acked": len(set(acked_ids)), "duplicates": duplicates,
                "conversations_with_gaps": gaps}  # fmt: skip


class AppChatSocketDriver(AppAgentWatchers):
    """Customers on the real chat-page socket, with signed visitor cookies, speaking docs/protocol.md."""

    label = "app (customer sockets)"

    def __init__(self, server, world):
        self.server, self.world = server, world
        self.tasks = []

    async def start(self, tracker_ref):
        from bench.world import chat_path, visitor_cookies

        self.tracker_ref = tracker_ref
        inbox = self.world["inbox"]
        cookies = await sync_to_async(visitor_cookies)(inbox=inbox, count=len(self.world["customers"]))
        self.customers = await clients.ws_open_many(self.server, [(chat_path(inbox), c) for c in cookies])
        for ws in self.customers:
            await clients.recv_until(ws, lambda f: f.get("type") in ("hello", "error"))
        # Each visitor's first message opens their conversation; done before measuring, so the steps measure
        # messages in ongoing conversations.
        conv_ids = []
        for i, ws in enumerate(self.customers):
            await ws.send(json.dumps({"type": "message", "client_id": f"open-{i}", "body": "Hello"}))
        for ws in self.customers:
            ack = await clients.recv_until(ws, lambda f: f.get("type") in ("ack", "error"), timeout=60)
            if ack["type"] != "ack":
                raise RuntimeError(f"the chat socket refused the opening message: {ack}")
            conv_ids.append(ack["conversation"]["id"])
        self.conversation_ids = conv_ids
        self.tasks = [asyncio.create_task(self._read_acks(ws)) for ws in self.customers]
        await self.start_watchers()

    async def _read_acks(self, ws):
        loop = asyncio.get_running_loop()
        async for raw in ws:
            frame = json.loads(raw)
            kind = frame.get("type")
            if kind == "ack":
                if frame.get("duplicate"):
                    self.tracker_ref[0].errors["duplicate ack"] += 1
                self.tracker_ref[0].ack(frame.get("client_id"), loop.time())
            elif kind == "error":
                self.tracker_ref[0].errors[frame.get("code")] += 1

    async def send(self, customer: int, client_id: str, body: str):
        await self.customers[customer].send(json.dumps({"type": "message", "client_id": client_id, "body": body}))

    async def stop(self):
        for task in self.tasks:
            task.cancel()
        await clients.ws_close_all(self.customers + self.watchers)


def app_driver(server, world):
    return AppChatSocketDriver(server, world)


# --- the rising-rate run --------------------------------------------------------------------------------


async def run_step(driver, tracker_ref, *, rate: float, seconds: float, customers: int, watchers: int, drain: float):
    loop = asyncio.get_running_loop()
    tracker = Tracker(watchers)
    tracker_ref[0] = tracker
    total = max(1, int(rate * seconds))
    cpu0, t0 = _cpu_seconds(), loop.time()
    prefix = secrets.token_hex(4)
    for i in range(total):
        due = t0 + i / rate
        delay = due - loop.time()
        if delay > 0:
            await asyncio.sleep(delay)
        client_id = f"b{prefix}-{i}"
        tracker.sent[client_id] = due
        await driver.send(i % customers, client_id, f"benchmark message {i}")
    send_end = loop.time()
    deadline = send_end + drain
    while not tracker.complete() and loop.time() < deadline:
        await asyncio.sleep(0.02)
    elapsed = max(loop.time() - t0, 1e-9)
    acks = [tracker.acked[c] - tracker.sent[c] for c in tracker.acked]
    receives = [t - tracker.sent[cid] for (_, cid), t in tracker.received.items()]
    last_ack = max(tracker.acked.values(), default=t0)
    lost_acks = len(tracker.sent) - len(tracker.acked)
    lost_receives = len(tracker.sent) * watchers - len(tracker.received)
    result = {
        "target_rate": rate,
        "sent": len(tracker.sent),
        "offered_rate": round(len(tracker.sent) / max(send_end - t0, 1e-9), 1),
        # Messages the server acknowledged per second, from the first send to the last ack.
        "throughput": round(len(tracker.acked) / max(last_ack - t0, 1e-9), 1),
        "ack": summary_ms(acks),
        "agent_receive": summary_ms(receives),
        "lost_acks": lost_acks,
        "lost_receives": lost_receives,
        "duplicate_receives": tracker.duplicates,
        "errors": dict(tracker.errors),
        "generator_cpu_pct": round(100 * (_cpu_seconds() - cpu0) / elapsed, 1),
    }
    p99s = [result["ack"]["p99_ms"], result["agent_receive"]["p99_ms"]]
    result["sustained"] = (
        lost_acks == 0
        and lost_receives == 0
        and not tracker.errors
        and None not in p99s
        and max(p99s) <= P99_GOAL_S * 1000
        and result["throughput"] >= 0.95 * rate
    )
    return result, list(tracker.sent), list(tracker.acked)


async def run_rising(driver, *, rates, seconds, customers, watchers, drain, log) -> dict:
    tracker_ref = [Tracker(watchers)]
    await driver.start(tracker_ref)
    steps, all_ids, acked_ids = [], [], []
    try:
        # A short warm-up so connection set-up and first-import costs are not in the first step.
        await run_step(driver, tracker_ref, rate=min(rates[0], 20), seconds=1, customers=customers,
                       watchers=watchers, drain=drain)  # fmt: skip
        for rate in rates:
            step, ids, acked = await run_step(
                driver, tracker_ref, rate=rate, seconds=seconds, customers=customers, watchers=watchers, drain=drain
            )
            all_ids += ids
            acked_ids += acked
            steps.append(step)
            log(
                f"  {driver.label:<24} {rate:>7.0f}/s offered {step['offered_rate']:>7.1f}/s "
                f"done {step['throughput']:>7.1f}/s  ack p99 {step['ack']['p99_ms']} ms  "
                f"agent p99 {step['agent_receive']['p99_ms']} ms  lost {step['lost_acks']}/{step['lost_receives']}"
                f"  gen CPU {step['generator_cpu_pct']}%"
            )
            p99 = step["agent_receive"]["p99_ms"]
            if step["lost_acks"] or (p99 is not None and p99 > 2000) or step["throughput"] < 0.7 * rate:
                break  # saturated: a higher rate only measures the queue
        sustained = [s for s in steps if s["sustained"]]
        best = max(sustained, key=lambda s: s["throughput"]) if sustained else None
        half = None
        if best is not None:
            half_rate = max(1.0, best["throughput"] / 2)
            half, ids, acked = await run_step(
                driver, tracker_ref, rate=half_rate, seconds=seconds, customers=customers, watchers=watchers,
                drain=drain,
            )  # fmt: skip
            all_ids += ids
            acked_ids += acked
    finally:
        await driver.stop()
    db = await sync_to_async(driver.check_database)(all_ids, acked_ids)
    return {
        "driver": driver.label,
        "steps": steps,
        "max_sustained_throughput": best["throughput"] if best else None,
        "at_max": best,
        "at_half_max": half,
        "database_check": db,
    }


def run(*, customers: int, agents: int, rates: list[float], seconds: float, drain: float, profile_dir, log) -> dict:
    """Both paths on the same daphne setup and Redis: the bare baseline first, then the application."""
    from bench.profile import Profiler
    from bench.runtime import Daphne
    from bench.world import make_world

    world = make_world(customers=customers, agents=agents, label="chat")
    # Every agent is a member of the customers' team, so each sees every message.
    world["watchers"] = world["agents"]
    results = {"customers": customers, "agents": agents, "step_seconds": seconds}
    # One process, like the baseline it is compared with; every load comes from 127.0.0.1, so the
    # per-IP and per-visitor limits are lifted (their Redis round trips are still paid).
    # Each path gets a fresh daphne process (same code, settings and Redis): a step that overloads one
    # leaves thousands of frames queued, and the other path must not be measured behind them.
    with Daphne(**unthrottled()) as server:
        results["baseline"] = asyncio.run(
            run_rising(
                BaselineDriver(server, customers, agents), rates=rates, seconds=seconds, customers=customers,
                watchers=agents, drain=drain, log=log,
            )
        )  # fmt: skip
    with Daphne(**unthrottled()) as server:
        driver = app_driver(server, world)
        profiler = Profiler(server.pid, profile_dir / "chat-app.pyspy.txt")
        results["app"] = asyncio.run(
            run_rising(driver, rates=rates, seconds=seconds, customers=customers, watchers=agents, drain=drain, log=log)
        )
        results["app"]["profile"] = profiler.stop()
        results["app"]["daphne_rss_mb"] = round(server.rss_kb() / 1024, 1)
    app_max = results["app"]["max_sustained_throughput"]
    base_max = results["baseline"]["max_sustained_throughput"]
    half = results["app"]["at_half_max"]
    results["ratios"] = {
        "throughput_app_over_baseline": ratio(app_max, base_max),
        "ack_p99_app_over_baseline_at_max": _p99_ratio(results, "ack"),
        "agent_p99_app_over_baseline_at_max": _p99_ratio(results, "agent_receive"),
    }
    results["targets"] = {
        "throughput_at_least_half_baseline": _met(results["ratios"]["throughput_app_over_baseline"], ">=", 0.5),
        "p99_at_most_50ms_at_half_max": _met(
            max(half["ack"]["p99_ms"] or 0, half["agent_receive"]["p99_ms"] or 0) if half else None, "<=", 50
        ),
    }
    return results


def unthrottled() -> dict:
    high = "1000000/min"
    names = (
        "ANON_RATE",
        "VISITOR_MESSAGE_RATE",
        "VISITOR_CONVERSATION_RATE",
        "IP_MESSAGE_RATE",
        "IP_CONVERSATION_RATE",
    )
    return {k: high for k in names}


def _p99_ratio(results, key):
    app, base = results["app"]["at_max"], results["baseline"]["at_max"]
    if not app or not base:
        return None
    return ratio(app[key]["p99_ms"], base[key]["p99_ms"])


def _met(value, op, goal):
    if value is None:
        return None
    return value >= goal if op == ">=" else value <= goal
