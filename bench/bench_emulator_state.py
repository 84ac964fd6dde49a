"""The in-process emulator's job file (``--provider emulator`` jobs kept between commands):
what a create costs as the file fills to its cap, and what a later command pays to read it.
Target: a create stays far below the emulated job's own length (seconds), reading well under
a start-up's budget.
Run: python bench/bench_emulator_state.py [--jobs 500]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from video_gen.emulator.jobs import KEEP_JOBS, Job, JobStore


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--jobs", type=int, default=KEEP_JOBS)
    args = parser.parse_args()
    path = Path(tempfile.mkdtemp()) / "emulator.json"
    store = JobStore(path=path)
    times = []
    for i in range(args.jobs):
        job = Job(
            id=f"video_{i:032x}",
            model="sora-2",
            prompt="a paper boat sails down a rainy street " * 3,
            seconds="4",
            size="720x1280",
            created_at=time.time(),
            started=store.clock(),
            run_seconds=3.0,
            queue_seconds=0.3,
        )
        began = time.perf_counter()
        store.add(job)
        times.append(time.perf_counter() - began)
    began = time.perf_counter()
    JobStore(path=path)
    load = time.perf_counter() - began
    print(f"jobs kept: {args.jobs}; file: {path.stat().st_size / 1024:.0f} KiB")
    print(f"create, first 10: {sum(times[:10]) / 10 * 1000:.1f} ms each")
    print(f"create, last 10: {sum(times[-10:]) / 10 * 1000:.1f} ms each")
    print(f"a later command reads them: {load * 1000:.1f} ms")


if __name__ == "__main__":
    main()
