"""Start-up: `video-gen --help` against a minimal Typer app's `--help` (target: at most 1.3x).

Also checks that --help imports neither requests, tomlkit nor Rich's progress machinery.
Run: python bench/bench_startup.py [--runs 15]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

MINIMAL = '''
import typer
app = typer.Typer()
@app.command()
def hello(name: str = "world") -> None:
    """Say hello."""
    print(name)
@app.command()
def bye() -> None:
    """Say bye."""
app()
'''


def timed(cmd: list[str], runs: int) -> float:
    samples = []
    for _ in range(runs):
        t0 = time.perf_counter()
        subprocess.run(cmd, check=True, capture_output=True)
        samples.append(time.perf_counter() - t0)
    return statistics.median(samples)


def heavy_modules() -> list[str]:
    code = (
        "import sys, runpy; sys.argv=['video-gen','--help']\n"
        "try:\n    runpy.run_module('video_gen', run_name='__main__')\n"
        "except SystemExit:\n    pass\n"
        "bad=[m for m in ('requests','tomlkit','rich.progress','platformdirs','urllib3')"
        " if m in sys.modules]\nprint('HEAVY:' + ','.join(bad))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    line = next(x for x in out.stdout.splitlines() if x.startswith("HEAVY:"))
    return [m for m in line[len("HEAVY:") :].split(",") if m]


def main() -> dict[str, float]:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=15)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        minimal = Path(tmp) / "minimal.py"
        minimal.write_text(MINIMAL)
        timed([sys.executable, str(minimal), "--help"], 2)  # warm the file cache
        timed([sys.executable, "-m", "video_gen", "--help"], 2)
        base = timed([sys.executable, str(minimal), "--help"], args.runs)
        ours = timed([sys.executable, "-m", "video_gen", "--help"], args.runs)
    heavy = heavy_modules()
    ratio = ours / base
    print(f"minimal typer --help : {base * 1000:7.1f} ms (median of {args.runs})")
    print(f"video-gen --help     : {ours * 1000:7.1f} ms  ratio {ratio:.2f}x (target <= 1.30x)")
    print(f"heavy modules imported by --help: {', '.join(heavy) or 'none'}")
    return {"startup_base_ms": base * 1000, "startup_ms": ours * 1000, "startup_ratio": ratio}


if __name__ == "__main__":
    main()
