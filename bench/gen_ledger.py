"""Write a realistic ledger of many jobs (default 100,000, about 5 records each) to a home.

Jobs spread over the past year (batches included, so records of different jobs interleave):
reserved -> submitted -> status -> completed (+ downloaded) | failed | released, a few still in
flight at the end. The index is not written: the first read rebuilds it (bench_ledger times it).

Run: python bench/gen_ledger.py --home .bench/ledger-home [--jobs 100000] [--seed 7]
"""

from __future__ import annotations

import argparse
import heapq
import random
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from video_gen.ledger import records as rec

_TEXT = (
    "a paper boat sails down a rainy cobblestone street at dusk silent film style black and"
    " white slapstick comedy developer wrestles a giant stack of tangled cables while a"
    " screen recorder blinks lighthouse keeper kite over the dunes slow dolly shot warm light"
    " neon city reflections timelapse clouds over mountains close up of hands typing code"
)
WORDS = tuple(_TEXT.split())
MODELS = (
    ("openai", "openai-videos", "sora-2", 0.10, 70),
    ("openai", "openai-videos", "sora-2-pro", 0.30, 20),
    ("emulator", "emulator", "sora-2", 0.10, 10),
)
LIMITS = {"monthly_usd": 50.0, "daily_usd": None, "per_video_usd": None}


def prompt(rng: random.Random) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(rng.randint(25, 110))).capitalize() + "."


def job_records(rng: random.Random, at: datetime, batch: str | None, n: int) -> list[Any]:
    """(time, record) pairs of one job's life."""
    provider, kind, model, per_second, _ = rng.choices(MODELS, [m[4] for m in MODELS])[0]
    seconds = rng.choice((4, 4, 8, 8, 12))
    size = rng.choice(("720x1280", "1280x720"))
    estimate = round(per_second * seconds, 6)
    local_id = rec.new_local_id(at=at)
    remote_id = f"video_{rng.getrandbits(160):040x}"
    fields: dict[str, Any] = {
        "provider": provider,
        "provider_kind": kind,
        "model": model,
        "seconds": seconds,
        "size": size,
        "prompt": prompt(rng),
        "estimate_usd": estimate,
        "usd_per_second": per_second,
        "price_source": "packaged table: OpenAI model page, 2025-10",
        "command": "batch" if batch else "generate",
    }
    if batch:
        fields.update(batch_id=batch, item_key=f"item-{n}")
    fields["limits"] = LIMITS
    life: list[tuple[float, str, dict[str, Any]]] = [
        (0, "reserved", fields),
        (0.8, "submitted", {"remote_id": remote_id, "status": "queued"}),
    ]
    fate = rng.random()
    if fate < 0.01:
        return [
            (at, rec.make("reserved", local_id, at, fields)),
            (
                at,
                rec.make(
                    "released",
                    local_id,
                    at + timedelta(seconds=1),
                    {"reason": "create refused: 400 invalid_value", "charged_usd": 0.0},
                ),
            ),
        ]
    life.append((rng.uniform(20, 60), "status", {"status": "in_progress", "progress": 50}))
    done = rng.uniform(60, 240)
    if fate < 0.04:
        life.append(
            (
                done,
                "failed",
                {
                    "status": "failed",
                    "code": "moderation_blocked",
                    "message": "blocked by moderation",
                    "charged_usd": 0.0,
                },
            )
        )
    else:
        life.append((done, "completed", {"actual_usd": None, "charged_usd": estimate}))
        life.append(
            (
                done + rng.uniform(2, 8),
                "downloaded",
                {
                    "variant": "video",
                    "path": f"/home/user/videos/{local_id}.mp4",
                    "sha256": f"{rng.getrandbits(256):064x}",
                    "bytes": rng.randint(800_000, 9_000_000),
                },
            )
        )
    out = []
    for offset, kind_, data in life:
        moment = at + timedelta(seconds=offset)
        out.append((moment, rec.make(kind_, local_id, moment, data)))
    return out


def generate(home: Path, jobs: int, seed: int = 7, in_flight: int = 3) -> Path:
    rng = random.Random(seed)
    path = home / "data" / "ledger.jsonl"
    path.parent.mkdir(parents=True, exist_ok=True)
    for stale in (path, path.with_name(path.stem + ".index.json")):
        stale.unlink(missing_ok=True)
    end = datetime.now(timezone.utc) - timedelta(hours=1)
    start = end - timedelta(days=365)
    step = (end - start) / jobs
    heap: list[tuple[datetime, int, dict[str, Any]]] = []
    order = 0
    with path.open("wb", buffering=1 << 20) as fh:
        n = 0
        while n < jobs:
            at = start + step * n
            batch = f"b{n:07d}" if rng.random() < 0.05 else None
            size = rng.randint(3, 12) if batch else 1
            for k in range(min(size, jobs - n)):
                records = job_records(rng, at + timedelta(seconds=k * 2), batch, k)
                if n + k >= jobs - in_flight:
                    records = records[:2]  # submitted, never finished: still reserved
                for moment, record in records:
                    heapq.heappush(heap, (moment, order, record))
                    order += 1
            n += size
            while heap and heap[0][0] <= at:
                fh.write(rec.encode(heapq.heappop(heap)[2]))
        while heap:
            fh.write(rec.encode(heapq.heappop(heap)[2]))
    return path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--home", type=Path, default=Path(".bench/ledger-home"))
    parser.add_argument("--jobs", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    path = generate(args.home, args.jobs, args.seed)
    size = path.stat().st_size
    lines = sum(1 for _ in path.open("rb"))
    print(f"wrote {path}: {args.jobs} jobs, {lines} records, {size / 1e6:.1f} MB")


if __name__ == "__main__":
    main()
