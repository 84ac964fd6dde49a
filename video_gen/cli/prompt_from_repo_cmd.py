"""`video-gen prompt-from-repo`: a repository's own story, written as video prompts."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from video_gen.cli import options as opt

FORMATS = ("text", "json", "batch")


def prompt_from_repo(
    path: Annotated[Path, typer.Argument(
        help="The repository to read (nothing in it is imported or run).")] = Path("."),
    level: Annotated[str, typer.Option(
        "--level", "-l", envvar="VIDEO_GEN_PROMPT_LEVEL",
        help="Token budget per prompt (o200k_base): ultra-low 120, low 250, medium 500,"
        " high 1000.")] = "low",
    style: Annotated[str, typer.Option(
        "--style", envvar="VIDEO_GEN_PROMPT_STYLE",
        help="Story template: chaplin, noir, keystone, documentary, or one of the config's"
        " own styles.")] = "chaplin",
    scenes: Annotated[int, typer.Option(
        "--scenes", "-n", help="Clips in the storyboard (1-12); each is a complete prompt.")] = 1,
    seconds: Annotated[int, typer.Option(
        "--seconds", "-s", help="Length of each clip in seconds: 4, 8 or 12.")] = 12,
    output_format: Annotated[str, typer.Option(
        "--format", "-f",
        help="text: the prompt(s); json: prompts plus facts, ranking, gags with evidence and token"
        " counts; batch: JSONL for `video-gen batch`, one line per scene.")] = "text",
    out: Annotated[Path | None, typer.Option(
        "--out", "-o", help="Write the result to FILE (atomically) instead of stdout; print its"
        " path.", show_default=False)] = None,
    workers: Annotated[int, typer.Option(
        "--workers", "-j", envvar="VIDEO_GEN_PROMPT_WORKERS",
        help="Processes for extraction (0 = automatic). Never changes the output.")] = 0,
    no_cache: Annotated[bool, typer.Option(
        "--no-cache", help="Neither read nor write the extraction cache.")] = False,
    generate: Annotated[bool, typer.Option(
        "--generate", help="Also generate the video of each scene.")] = False,
    quiet: opt.Quiet = False,
) -> None:
    """Write a video prompt that tells a repository's story, from its own code.

    Same repository and options, same bytes. Docs: docs/prompt-from-repo.md

    Example: video-gen prompt-from-repo . --style noir --scenes 5 --format batch --out story.jsonl
    """
    import json

    from video_gen.cli.ui import UI
    from video_gen.errors import UsageError
    from video_gen.repoprompt.pipeline import build

    ui = UI(quiet=quiet)
    if output_format not in FORMATS:
        raise UsageError(f"unknown format {output_format!r}", hint="use text, json or batch")
    if not path.exists():
        raise UsageError(f"{path}: no such directory",
                         hint="pass the path of a repository, or run inside one")
    extra_gags, extra_styles = _config_tables()
    result = build(path, level=level, style=style, scenes=scenes, seconds=seconds,
                   workers=workers, use_cache=not no_cache, extra_gags=extra_gags,
                   extra_styles=extra_styles)
    for warning in result.warnings:
        ui.warn(warning)

    # ---- LEAD: wire --generate here --------------------------------------------------------
    # `result.scenes` holds each clip's name, prompt and seconds (the same fields as --format
    # batch). Replace this block with the jobs layer; it is the only place the flag is read.
    if generate:
        raise UsageError("--generate is not wired yet",
                         hint="for now: --format batch --out story.jsonl, then video-gen batch")
    # -----------------------------------------------------------------------------------------

    if output_format == "json":
        text = json.dumps(result.to_json(), indent=2, ensure_ascii=False) + "\n"
    elif output_format == "batch":
        text = result.to_batch()
    else:
        text = result.to_text()
    skipped = result.skipped_counts()
    ui.info(
        f"{result.analysis.facts.files} files read"
        + (" (skipped: " + ", ".join(f"{k} {v}" for k, v in skipped.items()) + ")"
           if skipped else "")
        + f"; {len(result.scenes)} prompt(s) of at most {result.scenes[0].cap} tokens"
        + f" ({result.tokenizer})")
    if out is not None:
        from video_gen.fsutil import atomic_write_text

        atomic_write_text(out, text)
        ui.result(str(out))
    else:
        typer.echo(text, nl=False)


def _config_tables() -> tuple[dict[str, Any], dict[str, Any]]:
    """The config file's ``[gags]`` and ``[styles]`` tables (empty when absent)."""
    from video_gen.config import Config

    config = Config.load()
    return config.table("gags"), config.table("styles")
