"""Options shared by several commands, declared once (``Annotated`` types for Typer)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

PromptFile = Annotated[
    Path | None,
    typer.Option("--prompt-file", help="Read the prompt from this UTF-8 file.", show_default=False),
]
Model = Annotated[
    str | None,
    typer.Option(
        "--model",
        "-m",
        envvar="VIDEO_GEN_MODEL",
        help="Model (default: config, else sora-2).",
        show_default=False,
    ),
]
Seconds = Annotated[
    int | None,
    typer.Option(
        "--seconds",
        "-s",
        envvar="VIDEO_GEN_SECONDS",
        help="Clip length in seconds (sora-2: 4, 8 or 12; default 4).",
        show_default=False,
    ),
]
Size = Annotated[
    str | None,
    typer.Option(
        "--size",
        envvar="VIDEO_GEN_SIZE",
        help="WIDTHxHEIGHT: 720x1280 (default), 1280x720; sora-2-pro also 1024x1792, 1792x1024.",
        show_default=False,
    ),
]
InputReference = Annotated[
    Path | None,
    typer.Option(
        "--input-reference",
        "-i",
        help="First-frame image (JPEG, PNG or WebP) of exactly the video's pixel size.",
        show_default=False,
    ),
]
OutputDir = Annotated[
    Path | None,
    typer.Option(
        "--output-dir",
        "-o",
        envvar="VIDEO_GEN_OUTPUT_DIR",
        help="Folder for the files (default: config output.dir, else ./videos).",
        show_default=False,
    ),
]
Name = Annotated[
    str | None,
    typer.Option(
        "--name",
        envvar="VIDEO_GEN_NAME",
        help="File name template: {date} {time} {slug} {id} {model} {seconds} {size}"
        " (default {date}-{time}-{slug}).",
        show_default=False,
    ),
]
ProviderName = Annotated[
    str | None,
    typer.Option(
        "--provider",
        "-p",
        envvar="VIDEO_GEN_PROVIDER",
        help="Provider name: openai, emulator (built in, no key, no cost) or one from the config.",
        show_default=False,
    ),
]
Timeout = Annotated[
    float | None,
    typer.Option(
        "--timeout",
        envvar="VIDEO_GEN_TIMEOUT",
        help="Overall deadline in seconds, create to download (default 1800). Exit 6 when passed.",
        show_default=False,
    ),
]
BatchTimeout = Annotated[
    float | None,
    typer.Option(
        "--timeout",
        envvar="VIDEO_GEN_TIMEOUT",
        help="Deadline in seconds per job, create to download (default 1800). A job past it"
        " keeps running (unfinished; a re-run re-attaches) and the batch exits 10.",
        show_default=False,
    ),
]
PollInterval = Annotated[
    float | None,
    typer.Option(
        "--poll-interval",
        envvar="VIDEO_GEN_POLL_INTERVAL",
        help="Fixed seconds between status checks (default: adaptive).",
        show_default=False,
    ),
]
DryRun = Annotated[
    bool,
    typer.Option(
        "--dry-run", help="Validate and show the request and its estimated cost; send nothing."
    ),
]
Json = Annotated[bool, typer.Option("--json", help="Print the result as JSON on stdout.")]
Quiet = Annotated[bool, typer.Option("--quiet", "-q", help="No progress output on stderr.")]
Verbose = Annotated[
    bool,
    typer.Option(
        "--verbose", "-v", help="Debug output on stderr (HTTP calls, retries; secrets masked)."
    ),
]
Thumbnail = Annotated[bool, typer.Option("--thumbnail", help="Also download the WebP thumbnail.")]
Spritesheet = Annotated[
    bool, typer.Option("--spritesheet", help="Also download the JPEG spritesheet.")
]
Audio = Annotated[
    bool | None,
    typer.Option(
        "--audio/--no-audio",
        help="Make sound, or not (default: the model's own; Veo makes and bills sound unless"
        " --no-audio). Refused by models without sound.",
        show_default=False,
    ),
]
Seed = Annotated[
    int | None,
    typer.Option(
        "--seed",
        help="Seed for a repeatable result, on models that take one.",
        show_default=False,
    ),
]
LastFrame = Annotated[
    Path | None,
    typer.Option(
        "--last-frame",
        help="Last-frame image (JPEG, PNG or WebP), on models that take one (Veo on OpenRouter).",
        show_default=False,
    ),
]

Concurrency = Annotated[
    int | None,
    typer.Option(
        "--concurrency",
        "-c",
        envvar="VIDEO_GEN_CONCURRENCY",
        min=1,
        max=64,
        help="Jobs in flight at once (default: config defaults.concurrency, else 2). Lowered"
        " automatically while the server answers 429, raised again when it keeps up.",
        show_default=False,
    ),
]

MaxCost = Annotated[
    float | None,
    typer.Option(
        "--max-cost",
        min=0.0,
        metavar="USD",
        help="Refuse to start (exit 9) when the batch's new jobs are estimated above this.",
        show_default=False,
    ),
]

RetryFailed = Annotated[
    bool,
    typer.Option(
        "--retry-failed", help="Submit items that failed in an earlier run again (a new paid job)."
    ),
]

CancelOnInterrupt = Annotated[
    bool,
    typer.Option(
        "--cancel-on-interrupt",
        envvar="VIDEO_GEN_CANCEL_ON_INTERRUPT",
        help="On Ctrl-C, cancel the remote job (default: it keeps running, and the resume"
        " command is printed).",
    ),
]
