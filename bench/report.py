"""The table printed at the end of a run, read from the results dictionary."""


def _fmt(value, unit=""):
    if value is None:
        return "-"
    if isinstance(value, float):
        value = f"{value:.1f}" if value >= 10 else f"{value:.2f}"
    return f"{value}{unit}"


def _goal(met) -> str:
    return {True: "met", False: "MISSED", None: "n/a"}[met]


def table(results: dict) -> str:
    rows: list[tuple[str, str, str, str]] = []
    sc = results["scenarios"]
    if "chat" in sc and "error" not in sc["chat"]:
        chat = sc["chat"]
        for side in ("app", "baseline"):
            r = chat[side]
            best = r["at_max"] or {}
            rows.append(
                (f"chat {r['driver']}", "max throughput p99<100ms", _fmt(r["max_sustained_throughput"], "/s"), "")
            )
            rows.append((f"chat {side}", "ack p50/p95/p99 at max", _p(best.get("ack")), ""))
            rows.append((f"chat {side}", "agent p50/p95/p99 at max", _p(best.get("agent_receive")), ""))
            db = r["database_check"]
            if db.get("checked"):
                rows.append((f"chat {side}", "db acked-lost/unacked-unstored/dup/gaps",
                             f"{db.get('acked_but_missing', '-')}/{db['missing']}/{db['duplicates']}/{db['conversations_with_gaps']}", ""))  # fmt: skip
        half = chat["app"]["at_half_max"]
        if half:
            rows.append(("chat app", "ack/agent p99 at half max", f"{_fmt(half['ack']['p99_ms'])}/{_fmt(half['agent_receive']['p99_ms'])} ms",
                         _goal(chat["targets"]["p99_at_most_50ms_at_half_max"])))  # fmt: skip
        rows.append(("chat", "throughput app/baseline", _fmt(chat["ratios"]["throughput_app_over_baseline"]),
                     _goal(chat["targets"]["throughput_at_least_half_baseline"])))  # fmt: skip
    if "scale" in sc and "error" not in sc["scale"]:
        scale = sc["scale"]
        for name, r in scale["operations"].items():
            for size, m in r["by_size"].items():
                rows.append((f"scale {name}", f"{size} conv p50/p95, queries",
                             f"{_fmt(m['p50_ms'])}/{_fmt(m['p95_ms'])} ms, {m['queries']}", ""))  # fmt: skip
            rows.append((f"scale {name}", "p95 ratio largest/smallest", _fmt(r["p95_ratio"]), _goal(r["targets_met"])))
    if "burst" in sc and "error" not in sc["burst"]:
        b = sc["burst"]
        rows.append(
            ("burst", "all away replies delivered in", _fmt(b.get("all_delivered_s"), " s"), _goal(b.get("target_met")))
        )
        rows.append(("burst", "replies missing/extra", f"{b.get('missing')}/{b.get('extra')}", ""))
    if "memory" in sc and "error" not in sc["memory"]:
        m = sc["memory"]
        rows.append(
            (
                "memory",
                f"{m['sockets']} idle sockets above idle RSS",
                _fmt(m["above_idle_mb"], " MB"),
                _goal(m["target_met"]),
            )
        )
    if "fanout" in sc and "error" not in sc["fanout"]:
        f = sc["fanout"]
        rows.append(("fanout", f"1 event -> {f['agents']} agents p50/p95/p99", _p(f["latency"]), ""))
        rows.append(("fanout", "lost/duplicate frames", f"{f['lost']}/{f['duplicates']}", ""))
    for name, r in sc.items():
        if "error" in r:
            rows.append((name, "ERROR", r["error"][:60], ""))
        elif r.get("skipped"):
            rows.append((name, "skipped", r["skipped"][:60], ""))
    widths = [max(len(row[i]) for row in rows + [("scenario", "measure", "value", "goal")]) for i in range(4)]
    lines = ["  ".join(h.ljust(w) for h, w in zip(("scenario", "measure", "value", "goal"), widths, strict=True))]
    lines.append("  ".join("-" * w for w in widths))
    lines += ["  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)) for row in rows]
    m = results["machine"]
    lines.append(f"\nmachine: {m.get('cores')} cores, {m.get('memory_gb')} GB, {m.get('cpu_model')}, "
                 f"PostgreSQL {m.get('postgresql')}, Redis {m.get('redis')}, load at start {m.get('load_average_at_start')}")  # fmt: skip
    return "\n".join(lines)


def _p(s) -> str:
    if not s:
        return "-"
    return f"{_fmt(s['p50_ms'])}/{_fmt(s['p95_ms'])}/{_fmt(s['p99_ms'])} ms"
