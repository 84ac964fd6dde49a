"""The ledger on PostgreSQL at 1,000,000 jobs, beside the JSON Lines backend on the same records.

Generates a JSON Lines ledger (bench/gen_ledger.py) when the home has none, starts a throwaway
PostgreSQL (tests/pgcluster.py, fsync on: a real server's durability), imports the file with
`video-gen ledger import`, then measures on both backends:

- `video-gen budget`, `video-gen history` (newest 20) and `video-gen history show ID`, each as a
  whole process (median of --runs); goal on PostgreSQL: each under 0.3 s;
- the same three reads inside one process (connected, imports done): what the database costs;
- check-and-reserve latency, median and p99, with 8 processes reserving at once.

Run: python bench/bench_ledger_pg.py [--jobs 1000000] [--runs 7] [--reserves 40]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from functools import partial
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "bench"), str(ROOT / "tests")]

RESERVER = r"""
import json, sys, time
from pathlib import Path
from video_gen.ledger import BudgetLimits, open_ledger
from video_gen.types import Estimate, GenerationRequest

go, count = Path(sys.argv[1]), int(sys.argv[2])
ledger = open_ledger()
ledger.has_records()  # connected (PostgreSQL) and warmed up, like a command before its create
limits = BudgetLimits(monthly_usd=1e9)
request = GenerationRequest(prompt="bench " * 60, model="sora-2", seconds=4, size="720x1280")
while not go.exists():
    time.sleep(0.001)
samples = []
for _ in range(count):
    t0 = time.perf_counter()
    r = ledger.reserve(request, Estimate(0.4, 0.1, "bench"), limits,
                       provider_kind="emulator", command="bench")
    samples.append(time.perf_counter() - t0)
    ledger.released(r.local_id, "bench")
print(json.dumps(samples))
"""


def median_s(argv: list[str], env: dict[str, str], runs: int) -> float:
    samples = []
    for _ in range(runs):
        t0 = time.perf_counter()
        subprocess.run(argv, env=env, check=True, capture_output=True)
        samples.append(time.perf_counter() - t0)
    return statistics.median(samples)


def median_call(call: object, runs: int) -> float:
    samples = []
    for _ in range(runs):
        t0 = time.perf_counter()
        call()  # type: ignore[operator]
        samples.append(time.perf_counter() - t0)
    return statistics.median(samples)


def reserve_latency(env: dict[str, str], procs: int, count: int) -> tuple[float, float]:
    """(median, p99) of one reservation while ``procs`` processes reserve at once."""
    with tempfile.TemporaryDirectory() as tmp:
        go = Path(tmp) / "go"
        children = [
            subprocess.Popen(
                [sys.executable, "-c", RESERVER, str(go), str(count)],
                env=env,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
            for _ in range(procs)
        ]
        time.sleep(3.0)  # every child imported and connected, waiting at the start line
        go.touch()
        samples: list[float] = []
        for child in children:
            out, err = child.communicate(timeout=600)
            if child.returncode != 0:
                raise RuntimeError(err)
            samples += json.loads(out)
    samples.sort()
    return statistics.median(samples), samples[min(len(samples) - 1, int(len(samples) * 0.99))]


def main() -> dict[str, float]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--home", type=Path, default=ROOT / ".bench" / "ledger-1m-home")
    parser.add_argument("--jobs", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--reserves", type=int, default=40, help="per process")
    args, _ = parser.parse_known_args()
    home = args.home.resolve()
    ledger_path = home / "data" / "ledger.jsonl"
    if not ledger_path.exists():
        import gen_ledger

        t0 = time.perf_counter()
        gen_ledger.generate(home, args.jobs)
        print(f"generated {args.jobs} jobs in {time.perf_counter() - t0:.1f} s", flush=True)
    records = sum(1 for _ in ledger_path.open("rb"))
    size_mb = ledger_path.stat().st_size / 1e6

    from pgcluster import PgCluster

    base = {k: v for k, v in os.environ.items() if not k.startswith("VIDEO_GEN_")}
    base.update(PYTHONPATH=str(ROOT), COLUMNS="120")
    cli = [sys.executable, "-m", "video_gen"]
    results: dict[str, float] = {}
    with PgCluster(fast=False) as pg, tempfile.TemporaryDirectory() as pg_home:
        url = pg.create_database("videogen")
        jsonl_env = {**base, "VIDEO_GEN_HOME": str(home)}
        pg_env = {**base, "VIDEO_GEN_HOME": pg_home, "VIDEO_GEN_LEDGER_URL": url}

        t0 = time.perf_counter()
        done = subprocess.run(
            [*cli, "ledger", "import", str(ledger_path)],
            env=pg_env,
            capture_output=True,
            text=True,
        )
        if done.returncode != 0:
            raise RuntimeError(done.stderr)
        results["pg_import_s"] = time.perf_counter() - t0
        print(done.stdout.strip(), flush=True)
        size = pg.execute("SELECT pg_database_size('videogen')", "videogen")[0][0]
        print(f"database size {int(str(size)) / 1e6:.0f} MB", flush=True)
        pg.execute("VACUUM ANALYZE", "videogen")

        newest = subprocess.run(
            [*cli, "history", "--json", "-n", "1"], env=pg_env, capture_output=True, text=True
        )
        job_id = json.loads(newest.stdout)[0]["id"]
        subprocess.run([*cli, "budget"], env=jsonl_env, capture_output=True)  # index built
        for backend, env in (("pg", pg_env), ("jsonl", jsonl_env)):
            for name, argv in (
                ("budget", ["budget"]),
                ("history", ["history"]),
                ("history_show", ["history", "show", job_id]),
            ):
                runs = args.runs if not (backend == "jsonl" and name == "history_show") else 3
                results[f"{backend}_cli_{name}_s"] = median_s([*cli, *argv], env, runs)
                print(f"{backend} {name}: {results[f'{backend}_cli_{name}_s'] * 1000:.0f} ms")
        from video_gen.ledger import JsonlLedger
        from video_gen.ledger.postgres import PostgresLedger

        database = PostgresLedger(url, retry_seconds=30, statement_timeout=30)
        database.has_records()  # connected
        for backend, ledger in (("pg", database), ("jsonl", JsonlLedger(ledger_path))):
            for name, call in (
                ("month", ledger.month),
                ("newest20", partial(ledger.jobs, limit=20)),
                ("get", partial(ledger.get, job_id)),
            ):
                runs = 3 if backend == "jsonl" and name == "get" else args.runs
                results[f"{backend}_inproc_{name}_s"] = median_call(call, runs)
        database.close()
        results["python_startup_s"] = median_s([sys.executable, "-c", "pass"], base, args.runs)
        results["import_psycopg_s"] = median_s(
            [sys.executable, "-c", "import psycopg"], base, args.runs
        )
        for backend, env in (("pg", pg_env), ("jsonl", jsonl_env)):
            p50, p99 = reserve_latency(env, 8, args.reserves)
            results[f"{backend}_reserve_8proc_median_s"] = p50
            results[f"{backend}_reserve_8proc_p99_s"] = p99
            print(
                f"{backend} reserve, 8 processes: median {p50 * 1000:.1f} ms, p99 {p99 * 1000:.1f}"
            )

    print(f"\nledger: {args.jobs} jobs, {records} records, {size_mb:.0f} MB of JSON Lines")
    print(f"{'measure':<34}{'result':>12}")
    for name, seconds in results.items():
        print(f"{name:<34}{seconds * 1000:>10.1f} ms")
    return {name.removesuffix("_s") + "_ms": s * 1000 for name, s in results.items()}


if __name__ == "__main__":
    main()
