"""Run every benchmark under bench/ in turn (`make bench`); each prints its own table."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
ORDER = [
    "bench_startup.py",
    "bench_polling.py",
    "bench_download.py",
    "bench_ledger.py",
    "bench_ledger_pg.py",
    "bench_batch.py",
    "bench_prompt_from_repo.py",
    "bench_prompt_quality.py",
    "bench_film.py",
    "bench_emulator_state.py",
    "adversarial.py",
    "bench_preflight.py",
]


def main() -> int:
    failed = []
    for name in ORDER:
        script = HERE / name
        if not script.exists():
            continue
        print(f"\n=== {name} ===", flush=True)
        if subprocess.run([sys.executable, str(script)]).returncode != 0:
            failed.append(name)
    if failed:
        print(f"\nfailed: {', '.join(failed)}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
