"""Quality benchmark for `prompt-from-repo` on real repositories fetched from the registries.

Each repository in ``bench/quality/repos.toml`` is fetched by package name (an sdist from PyPI
with ``pip download --no-binary :all: --no-deps``, a tarball from npm with ``npm pack``, a
Debian source-carrying package with ``apt-get download`` + ``dpkg -x``) into
``.bench/quality/`` (kept between runs), and its prompts are scored:

- core concepts named: of the five written from the README (``repos.toml``), how many appear in
  the single prompt at each level (goal at ``high``: >= 3 of 5);
- repository-specific sentences: the share of the ``high`` prompt's sentences that, with the
  project's and its symbols' names masked, appear in no other repository's prompt (goal >= 60%);
- on-screen texts and timed actions per clip, over the single prompt and an 8-clip storyboard
  (goal: <= 1 on-screen text per clip);
- tokens per level.

    python bench/bench_prompt_quality.py                # table (markdown)
    python bench/bench_prompt_quality.py --json
    python bench/bench_prompt_quality.py --check        # exit 1 when a goal is missed
"""

from __future__ import annotations

import argparse
import glob
import json
import os
import re
import shutil
import subprocess
import sys
import tarfile
from pathlib import Path
from typing import Any

import tomllib

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from video_gen.repoprompt.fit import LEVEL_ORDER  # noqa: E402 - after the path is set
from video_gen.repoprompt.pipeline import Result, build  # noqa: E402

REPOS = ROOT / "bench" / "quality" / "repos.toml"
WORK = ROOT / ".bench" / "quality"
GOALS = {"concepts_high": 3, "specific": 0.60, "texts_per_clip": 1}
STORYBOARD_SCENES = 8


def _run(args: list[str], cwd: Path) -> None:
    done = subprocess.run(args, cwd=cwd, capture_output=True, check=False, timeout=900)
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(args)} failed:\n{done.stderr.decode(errors='replace')}")


def fetch(name: str, spec: dict[str, Any]) -> Path:
    """The unpacked project, fetched from its registry the first time."""
    registry, package = spec["source"].split(":", 1)
    base = WORK / name
    done = base / ".fetched"
    if not done.exists():
        shutil.rmtree(base, ignore_errors=True)
        dl, src = base / "download", base / "src"
        dl.mkdir(parents=True)
        src.mkdir()
        if registry == "pypi":
            _run(
                [
                    sys.executable,
                    "-m",
                    "pip",
                    "download",
                    "--no-binary",
                    ":all:",
                    "--no-deps",
                    "-d",
                    str(dl),
                    package,
                ],
                dl,
            )
            archive = next(dl.iterdir())
            with tarfile.open(archive) as tar:
                tar.extractall(src, filter="data")
        elif registry == "npm":
            _run(["npm", "pack", package], dl)
            archive = next(dl.glob("*.tgz"))
            with tarfile.open(archive) as tar:
                tar.extractall(src, filter="data")
        elif registry == "deb":
            _run(["apt-get", "download", package], dl)
            archive = next(dl.glob("*.deb"))
            _run(["dpkg", "-x", str(archive), str(src)], dl)
        else:
            raise SystemExit(f"{name}: unknown registry {registry!r}")
        done.write_text(spec["source"] + "\n")
    src = base / "src"
    if "root" in spec:
        found = sorted(glob.glob(str(src / spec["root"])))
        if not found:
            raise SystemExit(f"{name}: {spec['root']} not found in the package")
        return Path(found[-1])
    entries = [p for p in src.iterdir() if p.is_dir()]
    return entries[0] if len(entries) == 1 else src


_SENTENCE_END = re.compile(r"(?<=[.!?])\s+|\n")
_STAMP = re.compile(r"^\d+(?:\.\d+)?-\d+(?:\.\d+)?s:\s*")
_QUOTED = re.compile(r'"[^"\n]+"')


def sentences(prompt: str) -> list[str]:
    out = []
    for raw in _SENTENCE_END.split(prompt):
        s = _STAMP.sub("", raw.strip())
        if len(s) > 3:
            out.append(s)
    return out


def masked(sentence: str, names: set[str]) -> str:
    words = re.split(r"(\W+)", sentence)
    return "".join("X" if w in names or w.lower() in names else w for w in words).lower()


def named(prompt: str, aliases: list[str]) -> bool:
    return any(re.search(rf"(?<![\w.]){re.escape(a)}(?![\w])", prompt) for a in aliases)


def actions(prompt: str) -> int:
    return sum(1 for line in prompt.splitlines() if _STAMP.match(line))


def measure(name: str, spec: dict[str, Any], path: Path) -> dict[str, Any]:
    per_level: dict[str, Result] = {
        level: build(path, level=level, git=False) for level in LEVEL_ORDER
    }
    board = build(path, level="low", scenes=STORYBOARD_SCENES, git=False)
    high = per_level["high"]
    concepts = spec["concepts"]
    clips = [s.prompt for s in board.scenes] + [r.scenes[0].prompt for r in per_level.values()]
    names = {high.project.name.lower(), path.name.lower()} | {
        s.name for s in high.analysis.ranking.symbols
    }
    return {
        "repo": name,
        "source": spec["source"],
        "kind": high.kind.kind or "general",
        "world": high.kind.world,
        "cast": [c.symbol for c in high.storyboard.cast],
        "concepts": {
            level: [a[0] for a in concepts if named(r.scenes[0].prompt, a)]
            for level, r in per_level.items()
        },
        "tokens": {level: r.scenes[0].tokens for level, r in per_level.items()},
        "texts_per_clip": max(len(_QUOTED.findall(c)) for c in clips),
        "actions_per_clip": max(actions(c) for c in clips),
        "board_actions": [actions(s.prompt) for s in board.scenes],
        "_sentences": sentences(high.scenes[0].prompt),
        "_names": names,
        "prompt_high": high.scenes[0].prompt,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--check", action="store_true", help="exit 1 when a goal is missed")
    parser.add_argument("--only", nargs="*", help="repositories to run (default: all)")
    args = parser.parse_args()
    os.environ.setdefault("VIDEO_GEN_HOME", str(WORK / "home"))
    repos = tomllib.loads(REPOS.read_text(encoding="utf-8"))["repos"]
    rows = []
    for name, spec in repos.items():
        if args.only and name not in args.only:
            continue
        rows.append(measure(name, spec, fetch(name, spec)))
    masks = {r["repo"]: [masked(s, r["_names"]) for s in r["_sentences"]] for r in rows}
    for row in rows:
        others = {s for o in rows if o is not row for s in masks[o["repo"]]}
        own = masks[row["repo"]]
        row["specific"] = round(sum(1 for s in own if s not in others) / max(1, len(own)), 3)
        row["sentences"] = len(own)
        row["missed"] = [
            goal
            for goal, ok in (
                ("concepts_high", len(row["concepts"]["high"]) >= GOALS["concepts_high"]),
                ("specific", row["specific"] >= GOALS["specific"]),
                ("texts_per_clip", row["texts_per_clip"] <= GOALS["texts_per_clip"]),
            )
            if not ok
        ]
        del row["_sentences"], row["_names"]
    missed = [r["repo"] for r in rows if r["missed"]]
    if args.json:
        print(json.dumps({"goals": GOALS, "repos": rows}, indent=2, ensure_ascii=False))
    else:
        print(
            "| repository | kind -> world | core concepts named (ultra-low/low/medium/high) |"
            " specific sentences | on-screen texts / clip | actions / clip |"
            " tokens (ultra-low/low/medium/high) |"
        )
        print("|---|---|---|---|---|---|---|")
        for r in rows:
            c = r["concepts"]
            print(
                f"| {r['repo']} ({r['source']}) | {r['kind']} -> {r['world']} | "
                + "/".join(str(len(c[lv])) for lv in LEVEL_ORDER)
                + f" of 5 ({', '.join(c['high'])}) | {r['specific']:.0%} of {r['sentences']} |"
                f" {r['texts_per_clip']} | {r['actions_per_clip']} | "
                + "/".join(str(r["tokens"][lv]) for lv in LEVEL_ORDER)
                + " |"
            )
        print("all goals met" if not missed else f"MISSED on: {', '.join(missed)}")
    return 1 if (args.check and missed) else 0


if __name__ == "__main__":
    sys.exit(main())
