"""`video-gen film`: a storyboard (or any batch file) rendered and joined into one MP4."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from video_gen.cli import options as opt


def film(
    plan: Annotated[
        str,
        typer.Argument(
            help="The plan: a storyboard (`prompt-from-repo --format batch`) or any batch file"
            " (.jsonl, .txt, .csv; an item may carry its own `intertitle`); '-' reads stdin.",
            show_default=False,
        ),
    ],
    style: Annotated[
        str | None,
        typer.Option(
            "--style",
            help="Look of the cards and transitions: chaplin, noir, keystone, documentary or a"
            " config style (default: recognised from the prompts, else chaplin).",
            show_default=False,
        ),
    ] = None,
    title: Annotated[
        str | None,
        typer.Option(
            "--title",
            help="Opening card (default: the storyboard's title card, else the plan's name).",
            show_default=False,
        ),
    ] = None,
    film_size: Annotated[
        str | None,
        typer.Option(
            "--film-size",
            help="The film's WIDTHxHEIGHT (default: the first clip's size). Clips of another"
            " shape are letterboxed or cropped (--fit), never stretched.",
            show_default=False,
        ),
    ] = None,
    fps: Annotated[
        int | None,
        typer.Option(
            "--fps", help="The film's frame rate (default: the style's, 24).", show_default=False
        ),
    ] = None,
    fit: Annotated[
        str,
        typer.Option(
            "--fit", help="letterbox (pad with black) or crop (fill), for clips of another shape."
        ),
    ] = "letterbox",
    out: Annotated[
        Path | None,
        typer.Option(
            "--out",
            help="Where to write the film (default: OUTPUT_DIR/<plan name>.film.mp4).",
            show_default=False,
        ),
    ] = None,
    chain: Annotated[
        bool,
        typer.Option(
            "--chain",
            help="Continuity: make clips in order, each starting from the last frame of the one"
            " before (its reference image). Clips become sequential; refused on models that take"
            " no image.",
        ),
    ] = False,
    input_format: Annotated[
        str | None,
        typer.Option(
            "--format", help="txt, jsonl or csv (default: from the extension).", show_default=False
        ),
    ] = None,
    model: opt.Model = None,
    seconds: opt.Seconds = None,
    size: opt.Size = None,
    provider: opt.ProviderName = None,
    output_dir: opt.OutputDir = None,
    concurrency: opt.Concurrency = None,
    max_cost: opt.MaxCost = None,
    retry_failed: opt.RetryFailed = False,
    timeout: opt.Timeout = None,
    poll_interval: opt.PollInterval = None,
    cancel_on_interrupt: opt.CancelOnInterrupt = False,
    dry_run: Annotated[
        bool,
        typer.Option(
            "--dry-run",
            help="Show the film's parts, its expected length and the clips' cost; send nothing.",
        ),
    ] = False,
    json_output: opt.Json = False,
    quiet: opt.Quiet = False,
    verbose: opt.Verbose = False,
) -> None:
    """Render a storyboard's clips and join them into one film with title cards.

    Budget first, clips made once (a re-run resumes and writes the same film bytes). Needs the
    `film` extra: pip install 'video-gen[film]'. Docs: docs/film.md

    Example: video-gen film story.jsonl --provider emulator --output-dir clips
    """
    from video_gen.batch.validate import Defaults
    from video_gen.cli import batch_display as show
    from video_gen.cli import film_display, runtime
    from video_gen.cli.session import CliSession
    from video_gen.cli.ui import UI
    from video_gen.config import Config
    from video_gen.usecases.batch import BatchRequest
    from video_gen.usecases.film import FilmRequest

    ui = UI(quiet=quiet, verbose=verbose, json_output=json_output)
    runtime.setup_logging(verbose)
    request = FilmRequest(
        batch=BatchRequest(
            file=plan,
            input_format=input_format,
            defaults=Defaults(model=model, seconds=seconds, size=size),
            output_dir=output_dir,
            concurrency=concurrency,
            max_cost=max_cost,
            retry_failed=retry_failed,
            timeout=timeout,
            poll_interval=poll_interval,
            command="film",
            cancel_on_interrupt=cancel_on_interrupt,
        ),
        style=style,
        title=title,
        size=film_size,
        fps=fps,
        fit=fit,
        out=out,
        chain=chain,
        extra_styles=Config.load().table("styles"),
    )
    flags = {
        "--style": style,
        "--title": title,
        "--film-size": film_size,
        "--fps": fps,
        "--fit": fit if fit != "letterbox" else None,
        "--out": out,
        "--format": input_format,
        "--model": model,
        "--seconds": seconds,
        "--size": size,
        "--provider": provider,
        "--output-dir": output_dir,
        "--concurrency": concurrency,
        "--max-cost": max_cost,
        "--timeout": timeout,
        "--poll-interval": poll_interval,
    }
    code = film_display.run_film(
        ui,
        CliSession(ui, provider, first_run=not dry_run),
        request,
        resume=lambda loaded: show.resume_command(
            "film", plan, loaded, flags, switches=["--chain"] if chain else []
        ),
        dry_run=dry_run,
    )
    if code:
        raise typer.Exit(code)
