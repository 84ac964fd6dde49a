"""`video-gen prompt-from-repo`: a repository's own story, written as video prompts."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from video_gen.cli import options as opt

FORMATS = ("text", "json", "batch")


def prompt_from_repo(
    path: Annotated[
        Path, typer.Argument(help="The repository to read (nothing in it is imported or run).")
    ] = Path("."),
    level: Annotated[
        str,
        typer.Option(
            "--level",
            "-l",
            envvar="VIDEO_GEN_PROMPT_LEVEL",
            help="Token budget per prompt (o200k_base): ultra-low 120, low 250, medium 500,"
            " high 1000.",
        ),
    ] = "low",
    style: Annotated[
        str,
        typer.Option(
            "--style",
            envvar="VIDEO_GEN_PROMPT_STYLE",
            help="Story template: chaplin, noir, keystone, documentary, or one of the config's"
            " own styles.",
        ),
    ] = "chaplin",
    scenes: Annotated[
        int,
        typer.Option(
            "--scenes", "-n", help="Clips in the storyboard (1-12); each is a complete prompt."
        ),
    ] = 1,
    seconds: Annotated[
        int, typer.Option("--seconds", "-s", help="Length of each clip in seconds: 4, 8 or 12.")
    ] = 12,
    output_format: Annotated[
        str,
        typer.Option(
            "--format",
            "-f",
            help="text: the prompt(s); json: prompts plus the project's kind, world, cast with"
            " evidence, token counts; batch: JSONL for `video-gen batch`, one line per scene.",
        ),
    ] = "text",
    out: Annotated[
        Path | None,
        typer.Option(
            "--out",
            "-o",
            help="Write the result to FILE (atomically) instead of stdout; print its path.",
            show_default=False,
        ),
    ] = None,
    workers: Annotated[
        int,
        typer.Option(
            "--workers",
            "-j",
            envvar="VIDEO_GEN_PROMPT_WORKERS",
            help="Processes for extraction (0 = automatic). Never changes the output.",
        ),
    ] = 0,
    no_cache: Annotated[
        bool, typer.Option("--no-cache", help="Neither read nor write the extraction cache.")
    ] = False,
    generate: Annotated[
        bool,
        typer.Option(
            "--generate",
            help="Also render each scene now, through `video-gen batch` (cost estimate"
            " and budget check first; a re-run resumes and never pays twice).",
        ),
    ] = False,
    film: Annotated[
        bool,
        typer.Option(
            "--film",
            help="With --generate: also join the clips into one film with title cards (as"
            " `video-gen film` does; needs pip install 'video-gen[film]').",
        ),
    ] = False,
    provider: opt.ProviderName = None,
    model: opt.Model = None,
    size: opt.Size = None,
    # Not opt.OutputDir: its short "-o" is this command's --out (as documented).
    output_dir: Annotated[
        Path | None,
        typer.Option(
            "--output-dir",
            envvar="VIDEO_GEN_OUTPUT_DIR",
            help="With --generate: folder for the clips (default: config output.dir, else"
            " ./videos).",
            show_default=False,
        ),
    ] = None,
    concurrency: Annotated[
        int | None,
        typer.Option(
            "--concurrency",
            help="With --generate: clips rendered at once (default: config).",
            show_default=False,
        ),
    ] = None,
    max_cost: Annotated[
        float | None,
        typer.Option(
            "--max-cost",
            help="With --generate: refuse to start above this many USD in total.",
            show_default=False,
        ),
    ] = None,
    dry_run: Annotated[
        bool,
        typer.Option(
            "--dry-run", help="With --generate: show each clip's parameters and cost; send nothing."
        ),
    ] = False,
    cancel_on_interrupt: opt.CancelOnInterrupt = False,
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
        raise UsageError(
            f"{path}: no such directory", hint="pass the path of a repository, or run inside one"
        )
    extra_styles = _config_styles()
    result = build(
        path,
        level=level,
        style=style,
        scenes=scenes,
        seconds=seconds,
        workers=workers,
        use_cache=not no_cache,
        extra_styles=extra_styles,
    )
    for warning in result.warnings:
        ui.warn(warning)

    if not generate and (dry_run or film or max_cost is not None or concurrency is not None):
        raise UsageError(
            "--dry-run, --film, --max-cost and --concurrency go with --generate",
            hint="add --generate to render the scenes",
        )

    if output_format == "json":
        text = json.dumps(result.to_json(), indent=2, ensure_ascii=False) + "\n"
    elif output_format == "batch":
        text = result.to_batch()
    else:
        text = result.to_text()
    skipped = result.skipped_counts()
    ui.info(
        f"{result.analysis.facts.files} files read"
        + (
            " (skipped: " + ", ".join(f"{k} {v}" for k, v in skipped.items()) + ")"
            if skipped
            else ""
        )
        + f"; {len(result.scenes)} prompt(s) of at most {result.scenes[0].cap} tokens"
        + f" ({result.tokenizer})"
    )
    if generate:
        if out is not None:
            from video_gen.fsutil import atomic_write_text

            atomic_write_text(out, text)
        _render(
            result,
            style=style,
            provider=provider,
            model=model,
            size=size,
            output_dir=output_dir,
            concurrency=concurrency,
            max_cost=max_cost,
            dry_run=dry_run,
            quiet=quiet,
            film=film,
            extra_styles=extra_styles,
            cancel_on_interrupt=cancel_on_interrupt,
        )
        return
    if out is not None:
        from video_gen.fsutil import atomic_write_text

        atomic_write_text(out, text)
        ui.result(str(out))
    else:
        typer.echo(text, nl=False)


def _render(
    result: Any,
    *,
    style: str,
    provider: str | None,
    model: str | None,
    size: str | None,
    output_dir: Path | None,
    concurrency: int | None,
    max_cost: float | None,
    dry_run: bool,
    quiet: bool,
    film: bool = False,
    extra_styles: Any = None,
    cancel_on_interrupt: bool = False,
) -> None:
    """Render the storyboard with the batch use case: pre-flight estimate, budget, resume;
    with ``film``, through the film use case, which also joins the clips."""
    from dataclasses import replace

    from video_gen import resolve
    from video_gen.batch.validate import Defaults
    from video_gen.cli import batch_display as show
    from video_gen.cli.session import CliSession
    from video_gen.cli.ui import UI
    from video_gen.config import Config
    from video_gen.usecases.batch import BatchRequest
    from video_gen.usecases.storyboard import write_storyboard

    ui = UI(quiet=quiet)
    from video_gen import preflight

    folder = resolve.output_dir(Config.load(), output_dir)
    preflight.check_folder(folder)  # the storyboard is written there first: a named error
    board = write_storyboard(result, style, folder)
    ui.info(f"storyboard: {board} ({len(result.scenes)} clip(s)); rendering it")
    request = BatchRequest(
        file=str(board),
        defaults=Defaults(model=model, size=size),
        output_dir=folder,
        concurrency=concurrency,
        max_cost=max_cost,
        cancel_on_interrupt=cancel_on_interrupt,
    )
    flags = {
        "--provider": provider,
        "--model": model,
        "--size": size,
        "--output-dir": folder,
        "--concurrency": concurrency,
        "--max-cost": max_cost,
    }
    if film:
        from video_gen.cli import film_display
        from video_gen.usecases.film import FilmRequest

        code = film_display.run_film(
            ui,
            CliSession(ui, provider, first_run=not dry_run),
            FilmRequest(
                batch=replace(request, command="film"),
                style=style,
                extra_styles=extra_styles or {},
            ),
            resume=lambda loaded: show.resume_command(
                "film", str(board), loaded, {**flags, "--style": style}, switches=[]
            ),
            dry_run=dry_run,
        )
    else:
        code = show.run_batch(
            ui,
            CliSession(ui, provider, first_run=not dry_run),
            request,
            resume=lambda loaded: show.resume_command(
                "batch", str(board), loaded, flags, switches=[]
            ),
            dry_run=dry_run,
        )
    if code:
        raise typer.Exit(code)


def _config_styles() -> dict[str, Any]:
    """The config file's ``[styles]`` table (empty when absent)."""
    from video_gen.config import Config

    config = Config.load()
    return config.table("styles")
