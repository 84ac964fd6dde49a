"""Film join: 8 x 12 s clips at 1280x720 (30 fps, with sound, as the emulator makes them for
Sora) joined with title cards, wall time against the clips' total length; and peak memory for
2, 4 and 8 clips, which must stay flat (the join streams one part at a time).

Each join runs in its own child process, so its peak RSS (RUSAGE_CHILDREN's ru_maxrss is the
largest child so far: the sizes are measured smallest first) and CPU are the join's alone.
Run: python bench/bench_film.py [--clips 8] [--seconds 12]
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

CHILD = r"""
import json, sys, time
from pathlib import Path
from video_gen.film.join import join
from video_gen.film.look import load_look
from video_gen.film.plan import Scene, build
files = [Path(p) for p in json.loads(sys.argv[1])]
scenes = [Scene(i + 1, f"s{i}", f'Intertitle: "Scene {i + 1}: the chase goes on."', 12)
          for i in range(len(files))]
plan = build(scenes, load_look("chaplin"), width=1280, height=720, fps=24, fit="letterbox",
             title="bench")
t0 = time.perf_counter()
joined = join(plan, files, Path(sys.argv[2]))
print(json.dumps({"seconds": time.perf_counter() - t0, "film_s": joined.duration_s,
                  "bytes": joined.written.bytes}))
"""


def make_clips(folder: Path, count: int, seconds: int) -> list[Path]:
    from video_gen.emulator.clips import render

    out = []
    for i in range(count):
        path = folder / f"clip{i}.mp4"
        video, _ = render(f"video_bench_{i}", f"bench scene {i}", "sora-2", 1280, 720, seconds)
        path.write_bytes(video)
        out.append(path)
    return out


def join_in_child(files: list[Path], dest: Path) -> tuple[dict[str, float], float, float]:
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    done = subprocess.run(
        [sys.executable, "-c", CHILD, json.dumps([str(f) for f in files]), str(dest)],
        capture_output=True,
        text=True,
        check=True,
    )
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)
    return json.loads(done.stdout), cpu, after.ru_maxrss / 1024  # KiB -> MiB on Linux


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--clips", type=int, default=8)
    parser.add_argument("--seconds", type=int, default=12)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        t0 = time.perf_counter()
        clips = make_clips(folder, args.clips, args.seconds)
        print(f"made {args.clips} clips of {args.seconds} s in {time.perf_counter() - t0:.1f} s")
        rows = []
        for n in sorted({2, 4, args.clips}):
            result, cpu, peak = join_in_child(clips[:n], folder / f"film{n}.mp4")
            rows.append((n, result, cpu, peak))
    print("| clips | clips' length | film length | join wall | x real time | CPU | peak RSS |")
    print("| --- | --- | --- | --- | --- | --- | --- |")
    for n, r, cpu, peak in rows:
        length = n * args.seconds
        print(
            f"| {n} | {length} s | {r['film_s']:.1f} s | {r['seconds']:.1f} s"
            f" | {r['seconds'] / length:.2f} | {cpu:.1f} s | {peak:.0f} MB |"
        )


if __name__ == "__main__":
    main()
