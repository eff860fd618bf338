"""Scenario 2, scale: bulk-seed conversations and messages with COPY, then time the inbox's hot reads at each
size (server time in this process, query count) and EXPLAIN ANALYZE their slowest queries."""

import random
import sys
import time
from datetime import timedelta

from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from bench.stats import percentile, ratio

P95_GOAL_MS = 50.0
RATIO_GOAL = 1.3
FIRST = ["Ana", "Ben", "Chloe", "Dan", "Eva", "Farid", "Greta", "Hiro", "Ines", "Jon", "Kemal", "Lena", "Mia"]
LAST = ["Schmidt", "Garcia", "Rossi", "Dubois", "Kowalski", "Nakamura", "Silva", "Novak", "Berg", "Okafor"]
WORDS = (
    "order delivery refund invoice password account login shipping parcel broken late help thanks please "
    "when where why card payment subscription cancel upgrade address phone email app crash error screen"
).split()


class Progress:
    """A one-line progress bar on stderr."""

    def __init__(self, label: str, total: int):
        self.label, self.total, self.done, self.started, self.last = label, max(total, 1), 0, time.monotonic(), 0.0

    def add(self, n: int) -> None:
        self.done += n
        now = time.monotonic()
        if now - self.last > 0.5 or self.done >= self.total:
            self.last = now
            filled = int(30 * self.done / self.total)
            rate = self.done / max(now - self.started, 1e-9)
            sys.stderr.write(
                f"\r  {self.label:<22} [{'#' * filled}{' ' * (30 - filled)}] {self.done:>9}/{self.total} {rate:>9.0f}/s"
            )
            if self.done >= self.total:
                sys.stderr.write("\n")
            sys.stderr.flush()


def _template(model, overrides: set[str]) -> tuple[list[str], dict]:
    """Column names and database values of every field we do not set ourselves, from the model's defaults,
    so fields other features add to the models are filled as the ORM would fill them."""
    columns, defaults = [], {}
    for field in model._meta.concrete_fields:
        if field.primary_key:
            continue
        columns.append(field.column)
        if field.attname in overrides or field.column in overrides:
            continue
        if getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False):
            defaults[field.column] = timezone.now()
        else:
            defaults[field.column] = field.get_db_prep_save(field.get_default(), connection)
    return columns, defaults


def _copy(model, rows, *, total: int, label: str) -> None:
    """COPY rows (dicts keyed by column or attname) into the model's table."""
    keys = {f.attname: f.column for f in model._meta.concrete_fields}
    sample_keys = None
    progress = Progress(label, total)
    connection.ensure_connection()
    raw = connection.connection
    batch = 0
    with raw.cursor() as cursor:
        copy_ctx = None
        try:
            for row in rows:
                if sample_keys is None:
                    sample_keys = {keys.get(k, k) for k in row}
                    columns, defaults = _template(model, sample_keys)
                    col_sql = ", ".join(f'"{c}"' for c in columns)
                    copy_ctx = cursor.copy(f'COPY "{model._meta.db_table}" ({col_sql}) FROM STDIN')
                    copy = copy_ctx.__enter__()
                values = {keys.get(k, k): v for k, v in row.items()}
                copy.write_row([values[c] if c in values else defaults[c] for c in columns])
                batch += 1
                if batch == 10_000:
                    progress.add(batch)
                    batch = 0
        finally:
            if copy_ctx is not None:
                copy_ctx.__exit__(*sys.exc_info())
    progress.add(batch)
    raw.commit() if not raw.autocommit else None


class World:
    def __init__(self):
        from conversations.models import Inbox
        from helpdesk.models import Agent, Team

        tag = f"{random.randrange(16**6):06x}"
        self.teams = [Team.objects.create(name=f"Scale {tag} {i}", slug=f"scale-{tag}-{i}") for i in range(2)]
        self.inboxes = [
            Inbox.objects.create(
                name=f"Scale {tag} {i}", slug=f"scale-{tag}-{i}", kind="webchat", team=self.teams[i % 2]
            )
            for i in range(3)
        ]
        self.agents = list(
            Agent.objects.bulk_create(
                [Agent(username=f"scale-{tag}-{i}", availability=Agent.Availability.ONLINE) for i in range(10)]
            )
        )
        for i, agent in enumerate(self.agents):
            self.teams[i % 2].members.add(agent)
        self.viewer = self.agents[0]  # an ordinary agent: the scoped queries are the ones that matter
        self.conversations = 0


def seed(world: World, *, up_to: int, messages_per_conversation: int, log) -> None:
    """Grow the seeded data to ``up_to`` conversations (one customer each) with their messages."""
    from conversations.models import Conversation, Message
    from customers.models import Customer

    n = up_to - world.conversations
    if n <= 0:
        return
    rng = random.Random(up_to)
    now = timezone.now()
    start = world.conversations
    with transaction.atomic():
        before = Customer.objects.order_by("-id").values_list("id", flat=True).first() or 0
        _copy(
            Customer,
            (
                {
                    "name": f"{rng.choice(FIRST)} {rng.choice(LAST)} {start + i}",
                    "email": f"customer{start + i}@example.com",
                    "created_at": now,
                    "first_seen_at": now,
                    "updated_at": now,
                }
                for i in range(n)
            ),
            total=n,
            label="customers",
        )
        customer_ids = list(Customer.objects.filter(id__gt=before).order_by("id").values_list("id", flat=True))
        before_conv = Conversation.objects.order_by("-id").values_list("id", flat=True).first() or 0
        statuses = ["open"] * 12 + ["pending"] * 3 + ["snoozed"] + ["resolved"] * 4

        def conversations():
            for i, customer_id in enumerate(customer_ids):
                inbox = world.inboxes[i % len(world.inboxes)]
                status = rng.choice(statuses)
                last = now - timedelta(minutes=rng.randrange(1, 60 * 24 * 90))
                yield {
                    "inbox_id": inbox.id,
                    "customer_id": customer_id,
                    "team_id": inbox.team_id,
                    "status": status,
                    "assignee_id": rng.choice(world.agents).id if rng.random() < 0.7 else None,
                    "waiting_since": last if status == "open" and rng.random() < 0.6 else None,
                    "last_message_at": last,
                    "last_customer_message_at": last,
                    "last_seq": messages_per_conversation,
                    "agent_read_seq": messages_per_conversation - rng.randrange(0, 2),
                    "customer_read_seq": messages_per_conversation,
                    "created_at": last - timedelta(hours=1),
                    "updated_at": last,
                }

        _copy(Conversation, conversations(), total=n, label="conversations")
        conv_ids = list(Conversation.objects.filter(id__gt=before_conv).order_by("id").values_list("id", flat=True))

        def messages():
            for conv_id in conv_ids:
                t = now - timedelta(days=1)
                for seq in range(1, messages_per_conversation + 1):
                    yield {
                        "conversation_id": conv_id,
                        "seq": seq,
                        "sender": "customer" if seq % 2 else "agent",
                        "body": " ".join(rng.choices(WORDS, k=8)),
                        "created_at": t,
                        "delivery_status": "sent",
                    }

        _copy(Message, messages(), total=n * messages_per_conversation, label="messages")
    world.conversations = up_to
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    log(f"  seeded {up_to} conversations, {up_to * messages_per_conversation} messages")


def operations(world: World) -> dict:
    """name -> (description, fn(rng) -> evaluated result), through the inbox's own selectors."""
    from conversations.inbox import selectors as inbox_selectors
    from conversations.selectors import core
    from customers.selectors import customer_list

    agent = world.viewer
    # Conversations this agent may open, spread over the whole table (old and new rows alike).
    visible = list(
        core.conversation_visible_list(agent=agent)
        .filter(team__in=world.teams)
        .order_by("?")
        .values_list("id", flat=True)[:2000]
    )

    def pick(rng):
        return rng.choice(visible)

    ops = {}
    F = inbox_selectors.InboxFilters
    ops["inbox_first_page"] = (
        "inbox_list view=all, 25 rows",
        lambda rng: inbox_selectors.inbox_list(agent=agent, filters=F(view="all")),
    )
    ops["filtered_view"] = (
        "inbox_list view=unassigned, status=open, one inbox, waiting >= 60 min",
        lambda rng: inbox_selectors.inbox_list(
            agent=agent, filters=F(view="unassigned", status="open", inbox_id=world.inboxes[0].id, waiting_minutes=60)
        ),
    )  # fmt: skip
    ops["open_conversation"] = (
        "conversation_thread (row + latest messages)",
        lambda rng: inbox_selectors.conversation_thread(agent=agent, conversation_id=pick(rng)),
    )
    ops["message_search"] = (
        "inbox_list view=all, q=<two words>",
        lambda rng: inbox_selectors.inbox_list(agent=agent, filters=F(view="all", q=" ".join(rng.sample(WORDS, 2)))),
    )  # fmt: skip

    def catch_up(rng):
        conversation = core.conversation_get_for_agent(agent=agent, conversation_id=pick(rng))
        return core.message_list(
            conversation=conversation, after_seq=max(conversation.last_seq - 3, 0), include_private=True
        )

    ops["catch_up"] = ("conversation_get_for_agent + message_list after_seq=last-3", catch_up)
    ops["customer_search"] = (
        "customers.selectors.customer_list(query=<surname>)",
        lambda rng: customer_list(query=rng.choice(LAST)),
    )
    return ops


def measure(ops: dict, *, repeats: int) -> dict:
    out = {}
    for name, (_, fn) in ops.items():
        rng = random.Random(name)
        fn(rng)  # warm caches and connections; the first call is not what an agent waits for
        times, counts, slowest = [], set(), (0.0, [])
        for _ in range(repeats):
            with CaptureQueriesContext(connection) as ctx:
                t0 = time.perf_counter()
                fn(rng)
                elapsed = time.perf_counter() - t0
            times.append(elapsed)
            counts.add(len(ctx.captured_queries))
            if elapsed > slowest[0]:
                slowest = (elapsed, [q["sql"] for q in ctx.captured_queries])
        out[name] = {
            "p50_ms": round(percentile(times, 50) * 1000, 2),
            "p95_ms": round(percentile(times, 95) * 1000, 2),
            "queries": max(counts),
            "query_counts_seen": sorted(counts),
            "_slowest_sql": slowest[1],
        }
    return out


def explain(sqls: list[str], top: int = 2) -> list[dict]:
    """EXPLAIN ANALYZE of the slowest of the captured statements (only SELECTs: nothing is changed)."""
    plans = []
    for sql in sqls:
        if not sql.lstrip().upper().startswith("SELECT"):
            continue
        with connection.cursor() as cursor:
            cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql)
            lines = [row[0] for row in cursor.fetchall()]
        exec_ms = next((float(x.split(":")[1].split()[0]) for x in lines if x.startswith("Execution Time")), 0.0)
        plans.append({"sql": sql, "execution_ms": exec_ms, "plan": lines})
    return sorted(plans, key=lambda p: -p["execution_ms"])[:top]


def run(*, sizes: list[int], messages_per_conversation: int, repeats: int, log) -> dict:
    from conversations import search

    world = World()
    ops = None
    by_size = {}
    index_note = None
    for size in sorted(sizes):
        seed(world, up_to=size, messages_per_conversation=messages_per_conversation, log=log)
        if index_note is None and getattr(search, "CREATE_MESSAGE_SEARCH_INDEX", None):
            # The migration that carries it may not exist yet; the bench wants the production index either way.
            with connection.cursor() as cursor:
                cursor.execute(search.CREATE_MESSAGE_SEARCH_INDEX)
            index_note = "message full-text GIN index created as conversations/search.py defines it"
        ops = operations(world)
        by_size[size] = measure(ops, repeats=repeats)
        for name, m in by_size[size].items():
            log(
                f"  {size:>7} conv  {name:<18} p50 {m['p50_ms']:>8} ms  p95 {m['p95_ms']:>8} ms  queries {m['queries']}"
            )
    small, large = min(by_size), max(by_size)
    result = {"sizes": sorted(by_size), "messages_per_conversation": messages_per_conversation, "repeats": repeats,
              "notes": [n for n in [index_note] if n], "operations": {}}  # fmt: skip
    for name, (description, _) in ops.items():
        rows = {size: by_size[size][name] for size in sorted(by_size)}
        p95_ratio = ratio(rows[large]["p95_ms"], rows[small]["p95_ms"])
        plans = explain(rows[large]["_slowest_sql"])
        for r in rows.values():
            r.pop("_slowest_sql")
        met = (
            rows[large]["p95_ms"] <= P95_GOAL_MS
            and (p95_ratio is None or p95_ratio <= RATIO_GOAL)
            and rows[large]["queries"] == rows[small]["queries"]
        )
        result["operations"][name] = {"what": description, "by_size": rows, "p95_ratio": p95_ratio,
                                      "targets_met": met, "explain": plans}  # fmt: skip
        for plan in plans:
            log(f"\n  EXPLAIN ANALYZE ({name} at {large}, {plan['execution_ms']} ms):\n  {plan['sql'][:300]}")
            log("\n".join("    " + line for line in plan["plan"][:25]))
    return result
