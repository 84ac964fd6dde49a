"""`video-gen gallery`: every video and film in the ledger on one self-contained HTML page."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from video_gen.cli import options as opt


def gallery(
    out: Annotated[
        Path,
        typer.Option(
            "--out",
            "-o",
            help="Where to write the page (atomically). Players link the videos by paths"
            " relative to it.",
        ),
    ] = Path("gallery.html"),
    limit: Annotated[
        int | None,
        typer.Option(
            "--limit",
            "-n",
            min=1,
            help="Only the newest N jobs (default: every job in the ledger).",
            show_default=False,
        ),
    ] = None,
    no_thumbnails: Annotated[
        bool,
        typer.Option(
            "--no-thumbnails",
            help="Skip thumbnails (faster for a large ledger; no PyAV needed).",
        ),
    ] = False,
    open_page: Annotated[
        bool, typer.Option("--open", help="Open the page in the default browser afterwards.")
    ] = False,
    quiet: opt.Quiet = False,
) -> None:
    """Write one HTML page of every video and film: thumbnail, player, prompt, cost, status.

    Filters by date, status and model in the page; no network needed to view it. Prints the
    page's path. Docs: docs/gallery.md

    Example: video-gen gallery --out review.html --open
    """
    from datetime import datetime, timezone

    from video_gen.cli.ui import UI, echo_ledger_warnings
    from video_gen.ledger import open_ledger
    from video_gen.usecases import gallery as usecase

    ui = UI(quiet=quiet)
    with open_ledger() as ledger:
        echo_ledger_warnings(ledger)
        jobs = ledger.jobs(limit=limit)
    entries, films = usecase.collect(jobs, thumbnails=not no_thumbnails)
    path = usecase.write(out, entries, films, now=datetime.now(timezone.utc))
    ui.info(f"gallery: {len(entries)} video(s), {len(films)} film(s)")
    ui.result(str(path))
    if open_page:
        import webbrowser

        webbrowser.open(path.resolve().as_uri())
