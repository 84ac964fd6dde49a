"""Benchmark `prompt-from-repo` side by side with `repomix` (npm), on the same trees, in one run.

Machines here vary about 4x from day to day, so the targets are ratios measured in one run:

- cold (empty cache)  <= 1.0x repomix on the same tree
- warm (same cache)   <= 0.25x repomix
- the main process's memory flat in the number of files (the tree, then the tree twice over)
- the tokenizer loaded only when a cap must be checked (never on a warm run)

The tree is this interpreter's standard library, copied (without site-packages and
__pycache__) into a temporary folder: repomix finds no file at all under a hidden folder such as
``~/.pyenv``, and both tools must read the same files. repomix is installed from the npm
registry into ``.bench/node_modules`` on first use (never globally). Every run is a fresh process,
as a user's command would be; repomix and prompt-from-repo alternate, so load from other
processes falls on both.

    python bench/bench_prompt_from_repo.py            # a table
    python bench/bench_prompt_from_repo.py --json     # machine-readable
    python bench/bench_prompt_from_repo.py --check    # exit 1 when a target is missed
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import sysconfig
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
NODE_DIR = ROOT / ".bench"
REPOMIX = NODE_DIR / "node_modules" / ".bin" / "repomix"
TARGETS = {"cold_ratio": 1.0, "warm_ratio": 0.25, "memory_growth": 1.25}

CHILD = r"""
import json, resource, sys, time
t0 = time.perf_counter()
from video_gen.repoprompt.pipeline import build
t1 = time.perf_counter()
r = build(sys.argv[1], workers=int(sys.argv[2]), level=sys.argv[3], git=False)
t2 = time.perf_counter()
s = r.stats
print(json.dumps({
    "import_s": t1 - t0, "build_s": t2 - t1, "timings": s.timings, "files": s.files,
    "read": s.read, "parsed": s.parsed, "analysis_cached": s.analysis_cached,
    "tokens": [p.tokens for p in r.scenes], "tokenizer": r.tokenizer,
    "tokenizer_loaded": "tiktoken" in sys.modules,
    "maxrss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    "workers_maxrss_mb": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024,
}))
"""


def ensure_repomix() -> Path:
    if not REPOMIX.exists():
        NODE_DIR.mkdir(exist_ok=True)
        subprocess.run(
            ["npm", "install", "--prefix", str(NODE_DIR), "--no-audit", "--no-fund", "repomix"],
            check=True,
            capture_output=True,
            timeout=600,
        )
    return REPOMIX


def copy_tree(source: Path, dest: Path, copies: int = 1) -> Path:
    skip = shutil.ignore_patterns("site-packages", "__pycache__", "*.pyc")
    for i in range(copies):
        shutil.copytree(source, dest / f"part{i}", ignore=skip, symlinks=True)
    return dest


def run_repomix(tree: Path, out: Path) -> float:
    start = time.perf_counter()
    subprocess.run(
        [str(REPOMIX), str(tree), "-o", str(out), "--quiet"],
        check=True,
        capture_output=True,
        timeout=900,
    )
    return time.perf_counter() - start


def run_ours(tree: Path, workers: int, level: str, env: dict[str, str]) -> dict[str, Any]:
    start = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-c", CHILD, str(tree), str(workers), level],
        capture_output=True,
        env=env,
        check=False,
        timeout=900,
    )
    wall = time.perf_counter() - start
    if done.returncode != 0:
        sys.stderr.write(done.stderr.decode())
        raise SystemExit(f"benchmark child failed (exit {done.returncode})")
    data: dict[str, Any] = json.loads(done.stdout)
    data["process_s"] = wall
    return data


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--path", default=sysconfig.get_paths()["stdlib"])
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--runs", type=int, default=2, help="rounds of each measurement")
    parser.add_argument("--level", default="low")
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--check", action="store_true", help="exit 1 when a target is missed")
    args = parser.parse_args()
    ensure_repomix()

    with tempfile.TemporaryDirectory(prefix="bench-prompt-from-repo-") as tmp:
        base = Path(tmp)
        single = copy_tree(Path(args.path), base / "stdlib")
        double = copy_tree(Path(args.path), base / "stdlib-x2", copies=2)
        env = {
            **os.environ,
            "PYTHONPATH": str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""),
        }
        repomix_s: list[float] = []
        cold: list[dict[str, Any]] = []
        warm: list[dict[str, Any]] = []
        for i in range(args.runs):
            repomix_s.append(run_repomix(single, base / "repomix.xml"))
            env["VIDEO_GEN_HOME"] = str(base / f"home-{i}")  # a fresh, empty cache
            cold.append(run_ours(single, args.workers, args.level, env))
            warm.append(run_ours(single, args.workers, args.level, env))
            warm.append(run_ours(single, args.workers, args.level, env))
        env["VIDEO_GEN_HOME"] = str(base / "home-x2")
        cold_x2 = run_ours(double, args.workers, args.level, env)

    repomix_best = min(repomix_s)
    cold_best = min(cold, key=lambda r: float(r["process_s"]))
    warm_best = min(warm, key=lambda r: float(r["process_s"]))
    summary: dict[str, Any] = {
        "path": args.path,
        "files": cold_best["files"],
        "workers": args.workers,
        "level": args.level,
        "repomix_s": [round(x, 2) for x in repomix_s],
        "cold_s": [round(float(r["process_s"]), 2) for r in cold],
        "warm_s": [round(float(r["process_s"]), 2) for r in warm],
        "cold_ratio": round(float(cold_best["process_s"]) / repomix_best, 3),
        "warm_ratio": round(float(warm_best["process_s"]) / repomix_best, 3),
        "cold_timings": cold_best["timings"],
        "warm_timings": warm_best["timings"],
        "main_mb": round(float(cold_best["maxrss_mb"]), 1),
        "main_mb_x2": round(float(cold_x2["maxrss_mb"]), 1),
        "files_x2": cold_x2["files"],
        "workers_mb": round(float(cold_best["workers_maxrss_mb"]), 1),
        "memory_growth": round(float(cold_x2["maxrss_mb"]) / float(cold_best["maxrss_mb"]), 3),
        "warm_tokenizer_loaded": any(r["tokenizer_loaded"] for r in warm),
        "targets": TARGETS,
    }
    missed = [k for k, limit in TARGETS.items() if float(summary[k]) > limit]
    if summary["warm_tokenizer_loaded"]:
        missed.append("warm_tokenizer_loaded")
    summary["missed"] = missed
    if args.json:
        print(json.dumps(summary, indent=2))
    else:
        print(
            f"prompt-from-repo vs repomix on {summary['files']} files ({args.path}),"
            f" {args.workers} workers, level {args.level}"
        )
        print(f"  repomix  {summary['repomix_s']} s")
        print(
            f"  cold     {summary['cold_s']} s  -> {summary['cold_ratio']:.2f}x repomix"
            f"  (target <= {TARGETS['cold_ratio']})"
        )
        print(
            f"  warm     {summary['warm_s']} s  -> {summary['warm_ratio']:.2f}x repomix"
            f"  (target <= {TARGETS['warm_ratio']}); tokenizer loaded when warm:"
            f" {summary['warm_tokenizer_loaded']}"
        )
        print(
            f"  main process {summary['main_mb']} MB at {summary['files']} files,"
            f" {summary['main_mb_x2']} MB at {summary['files_x2']}"
            f" ({summary['memory_growth']:.2f}x; target <= {TARGETS['memory_growth']});"
            f" workers {summary['workers_mb']} MB"
        )
        print(f"  cold stages: {summary['cold_timings']}")
        print(f"  warm stages: {summary['warm_timings']}")
        print("  all targets met" if not missed else f"  MISSED: {', '.join(missed)}")
    return 1 if (args.check and missed) else 0


if __name__ == "__main__":
    sys.exit(main())
