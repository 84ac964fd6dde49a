"""Adversarial sweep: what fails locally must cost nothing (issues 10 and 11).

Runs ``video-gen`` as a user would (a child process, against an emulator in this process) on 29
inputs that fail on this machine: bad name templates, output/manifest/film paths that cannot be
written, misreadable config and prices, a ledger path that is a folder, non-UTF-8 stdin, broken
reference images, an unterminated CSV quote, dry runs the budget would refuse, a repository with
nothing to cast. For each: the exit code, the creates that reached the server, the jobs in the
ledger, and whether the error was an "unexpected ... report it". Target: 0 creates, 0 ledger
jobs, 0 unexpected. Run: python bench/sweep_local_failures.py
"""
# ruff: noqa: E731  (a table of one-line cases reads best as one)

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from video_gen.emulator import EmulatorServer

_EXE = shutil.which("video-gen")
VG = _EXE or sys.executable
PREFIX = [] if _EXE else ["-m", "video_gen"]
root = Path(tempfile.mkdtemp(prefix="vg-sweep-"))
rows = []
with EmulatorServer(job_seconds=0.2) as srv:

    def case(name, args, prep=lambda d: None, stdin=None, env_extra=None):
        d = root / name.replace("/", "_")
        d.mkdir()
        home = d / "home"
        env = {k: v for k, v in os.environ.items() if not k.startswith(("VIDEO_GEN", "OPENAI"))}
        env.update(
            VIDEO_GEN_HOME=str(home),
            OPENAI_BASE_URL=srv.base_url,
            OPENAI_API_KEY="sk" + "-sweep-0000000000000000",  # not key-shaped in the source
            CI="1",
        )
        env.update(env_extra or {})
        prep(d)
        before = srv.stats.creates_received
        p = subprocess.run(
            [VG, *PREFIX, *args], cwd=d, env=env, input=stdin, capture_output=True, timeout=120
        )
        creates = srv.stats.creates_received - before
        ledger = home / "data" / "ledger.jsonl"
        ids = (
            len(
                {
                    json.loads(line)["id"]
                    for line in ledger.read_text().splitlines()
                    if line.strip().startswith("{")
                }
            )
            if ledger.is_file()
            else 0
        )
        err = p.stderr.decode(errors="replace").strip().splitlines()
        last = err[-1] if err else ""
        rows.append(
            (
                name,
                p.returncode,
                creates,
                ids,
                "unexpected" in last,
                "spent 0.00" in p.stderr.decode(errors="replace"),
                last[:110],
            )
        )

    def f(d):
        (d / "taken").write_text("x")

    def dang(d):
        os.symlink(d / "nowhere", d / "dangling")

    def prompts(d):
        (d / "p.txt").write_text("a boat\nan owl\n")

    def both(d):
        f(d)
        prompts(d)

    def cfg(text):
        def p(d):
            (d / "home").mkdir()
            (d / "home" / "config.toml").write_text(text)
            prompts(d)

        return p

    def ledger_dir(d):
        (d / "home" / "data" / "ledger.jsonl").mkdir(parents=True)
        prompts(d)

    def halfpng(d):
        import struct
        import zlib

        ihdr = struct.pack(">IIBBBBB", 720, 1280, 8, 2, 0, 0, 0)
        ch = lambda t, b: struct.pack(">I", len(b)) + t + b + struct.pack(">I", zlib.crc32(t + b))
        (d / "ref.png").write_bytes(b"\x89PNG\r\n\x1a\n" + ch(b"IHDR", ihdr) + ch(b"IEND", b""))

    def fifo(d):
        os.mkfifo(d / "ref.png")

    def csvq(d):
        (d / "s.csv").write_text('prompt\na fox\n"a boat\nan owl\n')

    G = ["generate", "a paper boat"]
    case("name {n:03d}", [*G, "--name", "{n:03d}"])
    case("name {seconds:d}", [*G, "--name", "{seconds:d}"])
    case("name {date!z}", [*G, "--name", "{date!z}"])
    case("-o /proc/nope", [*G, "-o", "/proc/nope"])
    case("-o EXISTING_FILE", [*G, "-o", "taken"], f)
    case("-o dangling symlink", [*G, "-o", "dangling"], dang)
    case("batch -o file", ["batch", "p.txt", "-o", "taken"], both)
    case(
        "batch --manifest under a file",
        ["batch", "p.txt", "-o", "out", "--manifest", "taken/m.json"],
        both,
    )
    case("batch --name {n:03d}", ["batch", "p.txt", "-o", "out", "--name", "{n:03d}"], prompts)
    case("film -o file", ["film", "p.txt", "-o", "taken"], both)
    case(
        "config [budget] monthly=0.5",
        ["batch", "p.txt", "-o", "out"],
        cfg("[budget]\nmonthly = 0.5\n"),
    )
    case(
        "config monthly_usd=true",
        ["batch", "p.txt", "-o", "out"],
        cfg("[budget]\nmonthly_usd = true\n"),
    )
    case(
        "config monthly_usd=nan",
        ["batch", "p.txt", "-o", "out"],
        cfg("[budget]\nmonthly_usd = nan\n"),
    )
    case('config budget="x"', ["batch", "p.txt", "-o", "out"], cfg('budget = "x"\n'))
    case("config binary", ["batch", "p.txt", "-o", "out"], cfg("\x00\x01\x02"))
    case("ledger path is a folder", ["batch", "p.txt", "-o", "out"], ledger_dir)
    case("stdin not UTF-8 (batch -)", ["batch", "-", "-o", "out"], stdin=b"a boat\n\xff\xfe\n")
    case(
        "VIDEO_GEN_TIMEOUT=soon",
        ["batch", "p.txt", "-o", "out"],
        prompts,
        env_extra={"VIDEO_GEN_TIMEOUT": "soon"},
    )
    case("header-only PNG -i", [*G, "-i", "ref.png"], halfpng)
    case("FIFO -i", [*G, "-i", "ref.png"], fifo)
    case("-i folder", [*G, "-i", "."])
    case("CSV open quote", ["batch", "s.csv", "-o", "out"], csvq)
    case("dry run over budget", [*G, "--dry-run"], cfg("[budget]\nmonthly_usd = 0.1\n"))
    case(
        "batch dry run over budget",
        ["batch", "p.txt", "--dry-run"],
        cfg("[budget]\nmonthly_usd = 0.5\n"),
    )

    def mdir(d):
        prompts(d)
        (d / "m.json").mkdir()

    def filmdir(d):
        prompts(d)
        (d / "f.mp4").mkdir()

    case(
        "batch --manifest is a folder",
        ["batch", "p.txt", "-o", "out", "--manifest", "m.json"],
        mdir,
    )
    case("film --out is a folder", ["film", "p.txt", "-o", "out", "--out", "f.mp4"], filmdir)
    case("generate --dry-run -o file", [*G, "--dry-run", "-o", "taken"], f)
    case(
        "prices usd_per_second=true",
        ["batch", "p.txt", "-o", "out"],
        cfg('[[prices]]\nmodel = "sora-2"\nusd_per_second = true\n'),
    )

    def tiny(d):
        (d / "r" / "src").mkdir(parents=True)
        (d / "r" / "src" / "i.js").write_text("export function go(){}\n")

    case(
        "prompt-from-repo nothing to cast",
        ["prompt-from-repo", "r", "--generate", "-o", "out", "--no-cache"],
        tiny,
    )
shutil.rmtree(root, ignore_errors=True)
print(f"{'case':34} exit creates ledger_ids unexpected spent0  message")
for r in rows:
    print(f"{r[0]:34} {r[1]:4} {r[2]:7} {r[3]:10} {r[4]!s:10} {r[5]!s:6} {r[6]}")
creates, ids, unexpected = (sum(r[i] for r in rows) for i in (2, 3, 4))
print(f"TOTAL cases {len(rows)} creates {creates} ledger ids {ids} unexpected {unexpected}")
sys.exit(1 if creates or ids or unexpected else 0)
