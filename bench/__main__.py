"""``python -m bench`` (``make bench``): every scenario against PostgreSQL, Redis, daphne and Celery, a
table on stdout and ``bench/results.json``. See bench/README.md."""

import argparse
import json
import sys
import time
from pathlib import Path

from bench import report
from bench.runtime import ROOT, Refused, configure_environment, create_schema, flush_redis, prepare_database

SCENARIOS = ["chat", "scale", "burst", "memory", "fanout"]

FULL = {
    "customers": 200,
    "agents": 10,
    "rates": [25, 50, 100, 200, 300, 400, 600, 800, 1200, 1600, 2400, 3200],
    "step_seconds": 8.0,
    "scale_sizes": [10_000, 100_000],
    "messages_per_conversation": 10,
    "scale_repeats": 40,
    "burst_customers": 1000,
    "idle_sockets": 1000,
    "fanout_agents": 100,
    "fanout_events": 50,
}
QUICK = {
    "customers": 20,
    "agents": 3,
    "rates": [20, 40, 80],
    "step_seconds": 2.0,
    "scale_sizes": [500, 2_000],
    "messages_per_conversation": 5,
    "scale_repeats": 10,
    "burst_customers": 50,
    "idle_sockets": 100,
    "fanout_agents": 10,
    "fanout_events": 10,
}


def parse_args(argv):
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="small sizes: a check that everything runs")
    parser.add_argument("--only", action="append", default=[], help=f"run only these ({', '.join(SCENARIOS)})")
    parser.add_argument("--customers", type=int, help="chat path: customer sockets")
    parser.add_argument("--agents", type=int, help="chat path: agent sockets watching")
    parser.add_argument("--rates", help="chat path: comma-separated message rates per second to step through")
    parser.add_argument("--step-seconds", type=float, help="chat path: seconds per rate step")
    parser.add_argument("--scale-sizes", help="scale: comma-separated conversation counts to measure at")
    parser.add_argument("--messages-per-conversation", type=int)
    parser.add_argument("--burst-customers", type=int)
    parser.add_argument("--idle-sockets", type=int)
    parser.add_argument("--fanout-agents", type=int)
    parser.add_argument("--fanout-events", type=int)
    parser.add_argument("--scale-repeats", type=int)
    parser.add_argument("--keep-db", action="store_true", help="reuse the bench database instead of recreating it")
    parser.add_argument("--output", type=Path, default=ROOT / "bench" / "results.json")
    args = parser.parse_args(argv)
    only = [name.strip() for item in args.only for name in item.split(",") if name.strip()]
    unknown = set(only) - set(SCENARIOS)
    if unknown:
        parser.error(f"unknown scenario(s): {', '.join(sorted(unknown))}; choose from {', '.join(SCENARIOS)}")
    config = dict(QUICK if args.quick else FULL)
    for key in ("customers", "agents", "step_seconds", "messages_per_conversation", "burst_customers",
                "idle_sockets", "fanout_agents", "fanout_events", "scale_repeats"):  # fmt: skip
        if getattr(args, key) is not None:
            config[key] = getattr(args, key)
    if args.rates:
        config["rates"] = [float(x) for x in args.rates.split(",")]
    if args.scale_sizes:
        config["scale_sizes"] = [int(x) for x in args.scale_sizes.split(",")]
    return args, only or SCENARIOS, config


def main(argv=None) -> int:
    args, scenarios, config = parse_args(sys.argv[1:] if argv is None else argv)
    var_dir = ROOT / "var" / "bench"
    try:
        configure_environment(var_dir=var_dir)
        import os

        db_name = prepare_database(os.environ["DATABASE_URL"], fresh=not args.keep_db)
    except Refused as exc:
        print(f"bench: {exc}", file=sys.stderr)
        return 2
    import django

    django.setup()
    from bench.runtime import machine_info

    schema = create_schema()
    flush_redis(os.environ["REDIS_URL"])
    profile_dir = var_dir / "profiles"
    profile_dir.mkdir(parents=True, exist_ok=True)

    def log(line: str) -> None:
        print(line, flush=True)

    results = {
        "machine": machine_info(),
        "command": "python -m bench " + " ".join(sys.argv[1:] if argv is None else argv),
        "mode": "quick" if args.quick else "full",
        "database": db_name,
        "schema": schema,
        "config": config,
        "scenarios": {},
    }
    log(f"bench: {results['mode']} run of {', '.join(scenarios)} on database {db_name} ({schema})")
    for name in scenarios:
        started = time.monotonic()
        log(f"\n== {name}")
        try:
            results["scenarios"][name] = run_scenario(name, config, profile_dir, log)
        except Exception as exc:  # one broken scenario must not hide the others' figures
            import traceback

            traceback.print_exc()
            results["scenarios"][name] = {"error": f"{type(exc).__name__}: {exc}"}
        results["scenarios"][name]["seconds"] = round(time.monotonic() - started, 1)
    results["machine"]["load_average_at_end"] = [round(x, 2) for x in os.getloadavg()]
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(results, indent=2, default=str) + "\n")
    print()
    print(report.table(results))
    print(f"\nwritten to {args.output}")
    return 1 if any("error" in r for r in results["scenarios"].values()) else 0


def run_scenario(name: str, config: dict, profile_dir: Path, log) -> dict:
    if name == "chat":
        from bench import chat

        return chat.run(
            customers=config["customers"], agents=config["agents"], rates=config["rates"],
            seconds=config["step_seconds"], drain=5.0, profile_dir=profile_dir, log=log,
        )  # fmt: skip
    if name == "scale":
        from bench import scale

        return scale.run(
            sizes=config["scale_sizes"], messages_per_conversation=config["messages_per_conversation"],
            repeats=config["scale_repeats"], log=log,
        )  # fmt: skip
    if name == "burst":
        from bench import burst

        return burst.run(customers=config["burst_customers"], log=log)
    if name == "memory":
        from bench import memory

        return memory.run(sockets=config["idle_sockets"], log=log)
    if name == "fanout":
        from bench import fanout

        return fanout.run(agents=config["fanout_agents"], events=config["fanout_events"], log=log)
    raise ValueError(name)


if __name__ == "__main__":
    sys.exit(main())
