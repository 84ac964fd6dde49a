"""The ledger at scale: `video-gen budget`, `video-gen history` and a reservation with 100k jobs.

Targets: `budget` and `history` (the newest 20) under 0.3 s each as whole processes; a budget
check-and-reserve under 50 ms. Also shows the one-off index rebuild and, for reference, a
plain Python start-up. Generates the ledger first when the home has none (bench/gen_ledger.py).

Run: python bench/bench_ledger.py [--home .bench/ledger-home] [--jobs 100000] [--runs 7]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "bench")]

# The budget and history sub-apps mounted on a bare Typer app: the same work as `video-gen`
# minus its other commands, for when video_gen.cli does not register them (yet).
SHIM = """
import sys, typer
from video_gen.cli.budget_cmd import budget_app
from video_gen.cli.history_cmd import history_app
app = typer.Typer()
app.add_typer(budget_app, name="budget")
app.add_typer(history_app, name="history")
app()
"""


def median_s(fn: Callable[[], object], runs: int) -> float:
    samples = []
    for _ in range(runs):
        t0 = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - t0)
    return statistics.median(samples)


def cli_prefix(env: dict[str, str]) -> tuple[list[str], str]:
    """`python -m video_gen` when it has the budget command, else the shim above."""
    probe = subprocess.run(
        [sys.executable, "-m", "video_gen", "budget", "--help"],
        env=env,
        capture_output=True,
    )
    if probe.returncode == 0:
        return [sys.executable, "-m", "video_gen"], "python -m video_gen"
    return [sys.executable, "-c", SHIM], "python -c <budget+history shim>"


def main() -> dict[str, float]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--home", type=Path, default=ROOT / ".bench" / "ledger-home")
    parser.add_argument("--jobs", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=7)
    args, _ = parser.parse_known_args()
    home = args.home.resolve()
    os.environ["VIDEO_GEN_HOME"] = str(home)
    os.environ.pop("VIDEO_GEN_CONFIG", None)
    env = {**os.environ, "PYTHONPATH": str(ROOT), "COLUMNS": "120"}

    from video_gen.ledger import BudgetLimits, Ledger
    from video_gen.types import Estimate, GenerationRequest

    ledger_path = home / "data" / "ledger.jsonl"
    if not ledger_path.exists():
        import gen_ledger

        t0 = time.perf_counter()
        gen_ledger.generate(home, args.jobs)
        print(f"generated {args.jobs} jobs in {time.perf_counter() - t0:.1f} s")
    size_mb = ledger_path.stat().st_size / 1e6
    records = sum(1 for _ in ledger_path.open("rb"))

    index = ledger_path.with_name("ledger.index.json")
    index.unlink(missing_ok=True)
    t0 = time.perf_counter()
    Ledger().month()
    rebuild = time.perf_counter() - t0

    limits = BudgetLimits(monthly_usd=1e9)
    request = GenerationRequest(prompt="bench " * 60, model="sora-2", seconds=4, size="720x1280")
    estimate = Estimate(0.4, 0.1, "bench")

    def reserve_times(fresh: bool) -> float:
        """Median time of a reservation (each released again, untimed, to keep the numbers)."""
        samples = []
        warm = Ledger()
        for _ in range(args.runs):
            ledger = Ledger() if fresh else warm  # fresh: a new process's first reservation
            t0 = time.perf_counter()
            r = ledger.reserve(request, estimate, limits, provider_kind="emulator", command="b")
            samples.append(time.perf_counter() - t0)
            ledger.released(r.local_id, "bench")
        return statistics.median(samples)

    results = {
        "ledger_index_rebuild_s": rebuild,
        "ledger_month_inproc_s": median_s(lambda: Ledger().month(), args.runs),
        "ledger_last20_inproc_s": median_s(lambda: Ledger().jobs(limit=20), args.runs),
        "ledger_reserve_inproc_s": reserve_times(fresh=False),
        "ledger_reserve_fresh_s": reserve_times(fresh=True),
    }

    prefix, how = cli_prefix(env)

    def run(*argv: str) -> Callable[[], object]:
        return lambda: subprocess.run([*prefix, *argv], env=env, check=True, capture_output=True)

    run("budget")()  # warm the file cache
    results["cli_budget_s"] = median_s(run("budget"), args.runs)
    results["cli_budget_json_s"] = median_s(run("budget", "--json"), args.runs)
    results["cli_history_s"] = median_s(run("history"), args.runs)
    results["cli_history_search_all_s"] = median_s(run("history", "--search", "zzz"), 1)
    last = Ledger().jobs(limit=1)[0].local_id
    results["cli_history_show_s"] = median_s(run("history", "show", last), args.runs)
    results["python_startup_s"] = median_s(
        lambda: subprocess.run([sys.executable, "-c", "pass"], check=True), args.runs
    )

    targets = {"cli_budget_s": 0.3, "cli_history_s": 0.3, "ledger_reserve_inproc_s": 0.05,
               "ledger_reserve_fresh_s": 0.05}  # fmt: skip
    print(f"ledger: {records} records, {size_mb:.1f} MB ({home}); CLI via {how}")
    print(f"{'measure':<28}{'median':>10}  target")
    for name, seconds in results.items():
        target = targets.get(name)
        verdict = (
            ""
            if target is None
            else f"< {target * 1000:.0f} ms " + ("ok" if seconds < target else "MISSED")
        )
        print(f"{name:<28}{seconds * 1000:>8.1f} ms  {verdict}")
    return {name.removesuffix("_s") + "_ms": s * 1000 for name, s in results.items()}


if __name__ == "__main__":
    main()
