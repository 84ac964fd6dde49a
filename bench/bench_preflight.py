"""The local checks before every create: what they cost next to a create.

``preflight.check_job`` (name template filled once, output folder proved writable with a temp
file, free disk space) runs before each job's reservation; ``images.check_whole`` walks a
reference image's structure and inflates a PNG's pixel data once. Targets: under 1 ms per job,
and under 50 ms for a 1792x1024 reference PNG (a create takes seconds).
Run: python bench/bench_preflight.py [--runs 1000]
"""

from __future__ import annotations

import argparse
import io
import tempfile
import time
from pathlib import Path

from video_gen import images, preflight
from video_gen.types import GenerationRequest


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=1000)
    args = parser.parse_args()
    request = GenerationRequest(prompt="a boat", model="sora-2", seconds=4, size="720x1280")
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "videos"
        t0 = time.perf_counter()
        for _ in range(args.runs):
            preflight.check_job(request, out, "{date}-{time}-{slug}", {"slug": "a-boat"})
        per_job = (time.perf_counter() - t0) / args.runs * 1000
    rows = [("check_job, per job", f"{per_job:.3f} ms", per_job < 1.0)]
    try:
        from PIL import Image
    except ImportError:
        print("Pillow missing (pip install -e '.[film]'): image checks not measured")
    else:
        for label, image in (
            ("flat 1792x1024 PNG", Image.new("RGB", (1792, 1024), (10, 20, 30))),
            ("noisy 1792x1024 PNG", Image.effect_noise((1792, 1024), 64).convert("RGB")),
        ):
            buf = io.BytesIO()
            image.save(buf, "PNG")
            data = buf.getvalue()
            t0 = time.perf_counter()
            for _ in range(20):
                images.check_whole(data, "image/png", Path("ref.png"))
            ms = (time.perf_counter() - t0) / 20 * 1000
            rows.append(
                (f"check_whole, {label} ({len(data) / 1e6:.1f} MB)", f"{ms:.1f} ms", ms < 50)
            )
    print(f"{'measure':48} {'result':>10}  target")
    for name, value, ok in rows:
        print(f"{name:48} {value:>10}  {'ok' if ok else 'MISSED'}")
    return 0 if all(ok for _, _, ok in rows) else 1


if __name__ == "__main__":
    raise SystemExit(main())
