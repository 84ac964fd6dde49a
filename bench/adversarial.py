"""Adversarial re-run of issue 10's races and kill trials: is every paid job accounted for?

Three scenarios, each against an emulator in this process (its job store is the server's truth)
with real ``python -m video_gen`` subprocesses and a fresh VIDEO_GEN_HOME per trial:

* race: 8 concurrent ``generate`` of the same prompt whose creates all fail after the job was
  made (``create-500``), then ``video-gen recover``;
* batch: a batch of 10 identical lines with the same fault (concurrency 4), then ``recover``;
* kill: ``generate`` with a slow create (0.2-1.5 s), SIGKILLed at a random moment (before, during
  or after the create, while polling or downloading), then ``recover``.

Counts per scenario: trials, creates (jobs on the server), ledger ids (distinct remote ids in the
ledger), in doubt (after the run, before recover), and after recover: orphans (server jobs no
ledger job names), stuck reservations (open, no remote id, not in doubt), double-claimed ids (a
remote id on two ledger jobs). orphans/stuck/double must all be 0.
Run: python bench/adversarial.py [--races 3] [--batches 3] [--kills 10] [--seed 10]
"""

from __future__ import annotations

import argparse
import os
import random
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from video_gen.emulator import EmulatorServer

PROMPT = "a paper boat sails down a rainy street"


@dataclass
class Tally:
    trials: int = 0
    creates: int = 0
    ledger_ids: int = 0
    in_doubt: int = 0
    orphans: int = 0
    stuck: int = 0
    double: int = 0
    failures: list[str] = field(default_factory=list)


def audit(server: EmulatorServer) -> dict[str, int]:
    from video_gen.ledger import open_ledger

    ledger = open_ledger()
    try:
        jobs = ledger.jobs(limit=None)
    finally:
        ledger.close()
    owners: Counter[str] = Counter()
    for job in jobs:
        for rid in set(job.remote_ids) | ({job.remote_id} if job.remote_id else set()):
            owners[rid] += 1
    on_server = {j.id for j in server.jobs}
    return {
        "creates": len(on_server),
        "ledger_ids": len(owners),
        "in_doubt": sum(1 for j in jobs if j.in_doubt),
        "orphans": len(on_server - set(owners)),
        "stuck": sum(1 for j in jobs if j.in_flight and j.remote_id is None and not j.in_doubt),
        "double": sum(1 for n in owners.values() if n > 1),
    }


def spawn(args: list[str], env: dict[str, str]) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "video_gen", *args],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env=env,
    )


def recover(env: dict[str, str]) -> None:
    subprocess.run(
        [sys.executable, "-m", "video_gen", "recover"],
        capture_output=True,
        env=env,
        timeout=120,
        check=False,
    )


def trial(tally: Tally, setup: object, job_seconds: float = 0.6) -> None:
    with tempfile.TemporaryDirectory() as tmp, EmulatorServer(job_seconds=job_seconds) as srv:
        home = Path(tmp) / "home"
        os.environ["VIDEO_GEN_HOME"] = str(home)  # this process's audit reads the same ledger
        env = {
            **os.environ,
            "OPENAI_BASE_URL": srv.base_url,
            "OPENAI_API_KEY": "sk" + "-bench-adversarial-0000",  # not key-shaped in the source
            "VIDEO_GEN_HOME": str(home),
        }
        setup(srv, env, Path(tmp))  # type: ignore[operator]
        before = audit(srv)
        recover(env)
        after = audit(srv)
    tally.trials += 1
    tally.creates += after["creates"]
    tally.ledger_ids += after["ledger_ids"]
    tally.in_doubt += before["in_doubt"]
    for key in ("orphans", "stuck", "double"):
        setattr(tally, key, getattr(tally, key) + after[key])
    if after["orphans"] or after["stuck"] or after["double"]:
        tally.failures.append(f"trial {tally.trials}: before {before}, after {after}")


def race(srv: EmulatorServer, env: dict[str, str], work: Path) -> None:
    srv.faults.add("create-500", count=8, endpoint="create")
    procs = [
        spawn(["generate", PROMPT, "-q", "-o", str(work / "out"), "--poll-interval", "0.2"], env)
        for _ in range(8)
    ]
    for p in procs:
        p.wait(timeout=180)


def batch(srv: EmulatorServer, env: dict[str, str], work: Path) -> None:
    (work / "prompts.txt").write_text(f"{PROMPT}\n" * 10)
    srv.faults.add("create-500", count=10, endpoint="create")
    spawn(
        [
            "batch",
            str(work / "prompts.txt"),
            "--concurrency",
            "4",
            "--poll-interval",
            "0.2",
            "-o",
            str(work / "out"),
        ],
        env,
    ).wait(timeout=300)


def kill(rng: random.Random) -> object:
    slow = rng.uniform(0.2, 1.5)
    after = rng.uniform(0.0, 3.5)  # start-up is ~0.5-1 s: before, during or after the create

    def setup(srv: EmulatorServer, env: dict[str, str], work: Path) -> None:
        srv.faults.slow_seconds = slow
        srv.faults.add("slow", endpoint="create")
        proc = spawn(["generate", PROMPT, "-q", "-o", str(work / "out")], env)
        time.sleep(after)
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
        time.sleep(slow + 0.5)  # a create still sleeping on the server makes its job

    return setup


def main() -> dict[str, Tally]:
    parser = argparse.ArgumentParser()
    parser.add_argument("--races", type=int, default=3)
    parser.add_argument("--batches", type=int, default=3)
    parser.add_argument("--kills", type=int, default=10)
    parser.add_argument("--seed", type=int, default=10)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    results = {
        "race (8 x generate)": Tally(),
        "batch (10 lines)": Tally(),
        "kill + recover": Tally(),
    }
    t0 = time.perf_counter()
    for _ in range(args.races):
        trial(results["race (8 x generate)"], race)
    for _ in range(args.batches):
        trial(results["batch (10 lines)"], batch)
    for _ in range(args.kills):
        trial(results["kill + recover"], kill(rng))
    print(
        "| scenario | trials | creates | ledger ids | in doubt before recover | orphans | stuck"
        " | double |"
    )
    print("| --- | --- | --- | --- | --- | --- | --- | --- |")
    for name, t in results.items():
        print(
            f"| {name} | {t.trials} | {t.creates} | {t.ledger_ids} | {t.in_doubt} | {t.orphans}"
            f" | {t.stuck} | {t.double} |"
        )
    print(f"\n{time.perf_counter() - t0:.0f} s in all")
    for name, t in results.items():
        for line in t.failures:
            print(f"FAILED {name}: {line}", file=sys.stderr)
    if any(t.failures for t in results.values()):
        raise SystemExit(1)
    return results


if __name__ == "__main__":
    main()
