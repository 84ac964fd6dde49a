"""`video-gen batch`: many videos from one file, concurrent, resumable, within budget.

This module parses the command line, calls the batch use case (``video_gen/usecases/batch.py``)
and renders through ``cli/batch_display.py``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from video_gen.cli import options as opt

Format = Annotated[
    str | None,
    typer.Option(
        "--format",
        help="txt, jsonl or csv (default: from the extension; for stdin, jsonl when the"
        " text starts with '{', else txt).",
        show_default=False,
    ),
]
BatchName = Annotated[
    str | None,
    typer.Option(
        "--name",
        envvar="VIDEO_GEN_NAME",
        help="File name template: {n} (line number, 001) {name} (the item's name, else n-slug)"
        " {slug} {date} {time} {id} {model} {seconds} {size}. Default: {name}.",
        show_default=False,
    ),
]
SkipInvalid = Annotated[
    bool,
    typer.Option(
        "--skip-invalid",
        help="Run the valid items and skip invalid ones (default: any invalid"
        " item stops the batch before anything is sent, exit 2).",
    ),
]
BatchId = Annotated[
    str | None,
    typer.Option(
        "--batch-id",
        help="Name the batch yourself (default: derived from the file's absolute"
        " path; for stdin, from its text). Re-runs with the same id resume.",
        show_default=False,
    ),
]
ManifestPath = Annotated[
    Path | None,
    typer.Option(
        "--manifest",
        help="Where to write the manifest (default: OUTPUT_DIR/<file stem>.manifest.json).",
        show_default=False,
    ),
]


def batch(
    file: Annotated[
        str,
        typer.Argument(
            help="The batch file: .txt (a prompt per line), .jsonl or .csv (fields prompt, name,"
            " model, seconds, size, input_reference, provider); '-' reads stdin.",
            show_default=False,
        ),
    ],
    input_format: Format = None,
    model: opt.Model = None,
    seconds: opt.Seconds = None,
    size: opt.Size = None,
    input_reference: opt.InputReference = None,
    provider: opt.ProviderName = None,
    output_dir: opt.OutputDir = None,
    name: BatchName = None,
    concurrency: opt.Concurrency = None,
    max_cost: opt.MaxCost = None,
    retry_failed: opt.RetryFailed = False,
    skip_invalid: SkipInvalid = False,
    batch_id: BatchId = None,
    manifest: ManifestPath = None,
    timeout: opt.BatchTimeout = None,
    poll_interval: opt.PollInterval = None,
    cancel_on_interrupt: opt.CancelOnInterrupt = False,
    dry_run: opt.DryRun = False,
    json_output: opt.Json = False,
    quiet: opt.Quiet = False,
    verbose: opt.Verbose = False,
) -> None:
    """Generate many videos from a file: concurrent, resumable, within budget.

    A re-run never pays twice for a line: finished items are skipped, running jobs re-attached.
    Exit 0 all made, 10 some failed, 9 over budget, 2 invalid input, 130 Ctrl-C.

    Example: video-gen batch prompts.txt --concurrency 4 --seconds 8 --output-dir clips
    """
    from video_gen.batch.validate import Defaults
    from video_gen.cli import batch_display as show
    from video_gen.cli import runtime
    from video_gen.cli.session import CliSession
    from video_gen.cli.ui import UI
    from video_gen.usecases import batch as usecase

    ui = UI(quiet=quiet, verbose=verbose, json_output=json_output)
    runtime.setup_logging(verbose)
    request = usecase.BatchRequest(
        file=file,
        input_format=input_format,
        defaults=Defaults(model=model, seconds=seconds, size=size, input_reference=input_reference),
        output_dir=output_dir,
        name=name,
        concurrency=concurrency,
        max_cost=max_cost,
        retry_failed=retry_failed,
        skip_invalid=skip_invalid,
        batch_id=batch_id,
        manifest=manifest,
        timeout=timeout,
        poll_interval=poll_interval,
        cancel_on_interrupt=cancel_on_interrupt,
    )
    flags = {
        "--format": input_format,
        "--model": model,
        "--seconds": seconds,
        "--size": size,
        "--input-reference": input_reference,
        "--provider": provider,
        "--output-dir": output_dir,
        "--name": name,
        "--concurrency": concurrency,
        "--max-cost": max_cost,
        "--batch-id": batch_id,
        "--manifest": manifest,
        "--timeout": timeout,
        "--poll-interval": poll_interval,
    }
    code = show.run_batch(
        ui,
        CliSession(ui, provider, first_run=not dry_run),
        request,
        resume=lambda loaded: show.resume_command(
            "batch", file, loaded, flags, switches=["--skip-invalid"] if skip_invalid else []
        ),
        dry_run=dry_run,
    )
    if code:
        raise typer.Exit(code)
