"""Batch: 20 items of 5 s emulated jobs at concurrency 4, wall time against the ideal (items /
concurrency x job length = 25 s; target within 1.25x) and the tool's own CPU per item (target
under 50 ms). The batch runs as a subprocess (as a user runs it) against an emulator in this
process, so the child's CPU time (RUSAGE_CHILDREN) is video-gen's alone; a --dry-run of the same
file measures the fixed start-up share, reported separately.
Run: python bench/bench_batch.py [--items 20] [--job-seconds 5] [--concurrency 4]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from video_gen.emulator import EmulatorServer


def child_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def run(cmd: list[str], env: dict[str, str], cwd: Path) -> tuple[float, float, str]:
    """Wall seconds, child CPU seconds and stdout of one command."""
    cpu0, t0 = child_cpu(), time.perf_counter()
    done = subprocess.run(cmd, env=env, cwd=cwd, capture_output=True, text=True)
    wall, cpu = time.perf_counter() - t0, child_cpu() - cpu0
    if done.returncode != 0:
        sys.stderr.write(done.stderr)
        raise SystemExit(f"{' '.join(cmd[2:])} exited {done.returncode}")
    return wall, cpu, done.stdout


def main() -> dict[str, float]:
    parser = argparse.ArgumentParser()
    parser.add_argument("--items", type=int, default=20)
    parser.add_argument("--job-seconds", type=float, default=5.0)
    parser.add_argument("--concurrency", type=int, default=4)
    args = parser.parse_args()
    ideal = -(-args.items // args.concurrency) * args.job_seconds
    with tempfile.TemporaryDirectory() as tmp, EmulatorServer(job_seconds=args.job_seconds) as srv:
        work = Path(tmp)
        (work / "prompts.txt").write_text(
            "".join(f"shot {n}: a paper boat passes lantern {n}\n" for n in range(args.items))
        )
        env = {
            **os.environ,
            "VIDEO_GEN_HOME": str(work / "home"),
            "OPENAI_BASE_URL": srv.base_url,
            "OPENAI_API_KEY": "bench-key",
        }
        for name in ("CI", "VIDEO_GEN_CONFIG", "VIDEO_GEN_PROVIDER", "VIDEO_GEN_CONCURRENCY"):
            env.pop(name, None)
        base = [
            sys.executable,
            "-m",
            "video_gen",
            "batch",
            "prompts.txt",
            "--output-dir",
            "out",
            "--concurrency",
            str(args.concurrency),
        ]
        _, startup_cpu, _ = run([*base, "--dry-run"], env, work)
        wall, cpu, out = run([*base, "--json"], env, work)
        summary = json.loads(out)
        made = summary["totals"]["done"]
        creates = srv.stats.creates_received
        polls = srv.stats.requests.get(("GET", "retrieve"), 0)
    per_item = cpu / args.items * 1000
    per_item_net = max(cpu - startup_cpu, 0.0) / args.items * 1000
    print(
        f"{args.items} items x {args.job_seconds:g} s jobs, concurrency {args.concurrency}:"
        f" {made} made, {creates} creates, {polls} status polls"
    )
    print(f"{'measure':<30}{'value':>12}{'target':>16}")
    print(f"{'wall time':<30}{wall:>10.2f} s{f'<= {ideal * 1.25:.2f} s':>16}")
    print(f"{'  vs ideal ' + f'{ideal:g} s':<30}{wall / ideal:>11.2f}x{'<= 1.25x':>16}")
    print(f"{'CPU, whole process':<30}{cpu * 1000:>9.0f} ms")
    print(f"{'CPU per item':<30}{per_item:>9.1f} ms{'< 50 ms':>16}")
    print(f"{'  of which start-up / item':<30}{startup_cpu / args.items * 1000:>9.1f} ms")
    print(f"{'  without start-up':<30}{per_item_net:>9.1f} ms")
    return {
        "batch_wall_s": wall,
        "batch_wall_ratio": wall / ideal,
        "batch_cpu_ms_per_item": per_item,
        "batch_cpu_ms_per_item_net": per_item_net,
    }


if __name__ == "__main__":
    main()
