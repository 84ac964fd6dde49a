"""`video-gen status`, `download` and `remix`: working with a job that already exists."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from video_gen.cli import options as opt

JobId = Annotated[
    str,
    typer.Argument(
        help="Remote job id, a unique prefix of a local or remote id, or a local id's last 5"
        " characters (`video-gen history`).",
        show_default=False,
    ),
]


def _lookup(rt: Any, job_id: str) -> Any:
    """The ledger's record for ``job_id`` (local or remote prefix), or None for a foreign id."""
    from video_gen.errors import UsageError
    from video_gen.ledger import AmbiguousIdError

    try:
        return rt.ledger.get(job_id)
    except AmbiguousIdError:
        raise
    except UsageError:
        return None


def _remote_id(record: Any, job_id: str) -> str:
    """The id to send to the server: the ledger's (the newest the server used) for a recorded
    job, the argument itself for a foreign one. A recorded job without one is never sent: its
    local id means nothing to the server."""
    from video_gen.errors import UsageError

    if record is None:
        return job_id
    if record.poll_id:
        return str(record.poll_id)
    state = "in doubt" if record.in_doubt else record.status
    raise UsageError(
        f"job {record.local_id} has no remote id ({state}): its create never answered, so the"
        " server cannot be asked about it",
        hint=f"video-gen settle {record.local_id} --remote-id ID if you find its job on the"
        f" provider, or --not-charged if there is none",
    )


def _load(ui: Any, provider: str | None, job_id: str) -> tuple[Any, Any]:
    from video_gen.cli import runtime

    rt = runtime.load(ui, provider, open_remote=False)
    record = _lookup(rt, job_id)
    if (
        record is not None
        and provider is None
        and record.provider
        and record.provider != rt.spec.name
    ):
        rt = runtime.load(ui, record.provider, open_remote=False)
    runtime.open_remote_provider(rt)
    return rt, record


def _already_downloaded(record: Any, variants: tuple[str, ...]) -> list[Any] | None:
    """The files of a finished job the ledger says were saved and that are still there, one
    per asked variant (the newest); None when any is missing, so it is downloaded again."""
    if record is None or record.in_flight or not record.files:
        return None
    found = []
    for wanted in variants:
        mine = [f for f in record.files if f.variant == wanted]
        if (
            not mine
            or not mine[-1].path.is_file()
            or mine[-1].path.stat().st_size != mine[-1].bytes
        ):
            return None
        found.append(mine[-1])
    return found


def status(
    job_id: JobId,
    provider: opt.ProviderName = None,
    json_output: opt.Json = False,
    verbose: opt.Verbose = False,
) -> None:
    """Show a job's state on the server.

    Example: video-gen status video_68d7512d07848190b3e45da0ecbebcde
    """
    from video_gen.cli import runtime
    from video_gen.cli.ui import UI

    ui = UI(verbose=verbose, json_output=json_output)
    runtime.setup_logging(verbose)
    rt, record = _load(ui, provider, job_id)
    try:
        job = rt.provider.refresh(_remote_id(record, job_id))
        if record is not None and record.in_flight and job.phase.final:
            # The job ended since it was last seen: the ledger says so now (docs/commands.md).
            from video_gen.jobs import JobRunner

            JobRunner(rt.provider, rt.ledger, limits=rt.limits, price_table=rt.prices).record_end(
                record.local_id, job
            )
    finally:
        rt.close()
    if json_output:
        data = dict(job.raw)
        data["local_id"] = record.local_id if record is not None else None
        data["phase"] = job.phase.value
        ui.json(data)
        return
    pct = f" {job.progress}%" if job.progress is not None else ""
    line = f"{job.id}: {job.status}{pct}"
    details = [x for x in (job.model, f"{job.seconds}s" if job.seconds else None, job.size) if x]
    if details:
        line += f" ({', '.join(details)})"
    if job.error_message:
        line += f"; error {job.error_code or ''}: {job.error_message}"
    ui.result(line)


def download(
    job_id: JobId,
    output_dir: opt.OutputDir = None,
    name: opt.Name = None,
    provider: opt.ProviderName = None,
    thumbnail: opt.Thumbnail = False,
    spritesheet: opt.Spritesheet = False,
    variant: Annotated[
        str | None,
        typer.Option(
            "--variant",
            help="Only this variant: video, thumbnail or spritesheet.",
            show_default=False,
        ),
    ] = None,
    wait: Annotated[
        bool,
        typer.Option(
            "--wait/--no-wait", help="Wait for an unfinished job (default) or fail at once."
        ),
    ] = True,
    force: Annotated[
        bool,
        typer.Option(
            "--force",
            help="Download again even when the ledger has the files already on disk.",
        ),
    ] = False,
    timeout: opt.Timeout = None,
    poll_interval: opt.PollInterval = None,
    json_output: opt.Json = False,
    quiet: opt.Quiet = False,
    verbose: opt.Verbose = False,
) -> None:
    """Download a job's video (waiting for it to finish first): resumes after Ctrl-C or --timeout.

    Example: video-gen download video_68d7512d07848190b3e45da0ecbebcde --thumbnail
    """
    from video_gen.cli import runtime
    from video_gen.cli.progress import make_progress
    from video_gen.cli.ui import UI
    from video_gen.errors import NotFinishedError, UsageError
    from video_gen.jobs import JobRunner, UnrecordedJob
    from video_gen.types import VARIANTS, GenerationRequest

    ui = UI(quiet=quiet, verbose=verbose, json_output=json_output)
    runtime.setup_logging(verbose)
    if variant is not None and variant not in VARIANTS:
        raise UsageError(f"unknown variant {variant!r}", hint=f"use one of: {', '.join(VARIANTS)}")
    rt, record = _load(ui, provider, job_id)
    variants = (variant,) if variant else runtime.variants(thumbnail, spritesheet)
    kept = None if force else _already_downloaded(record, variants)
    if kept is not None:
        rt.close()
        for f in kept:
            ui.info(f"already downloaded: {f.variant} is {f.path} (--force downloads it again)")
        if json_output:
            ui.json(
                {
                    "job_id": record.remote_id,
                    "local_id": record.local_id,
                    "already_downloaded": True,
                    "files": [
                        {"variant": f.variant, "file": str(f.path), "sha256": f.sha256}
                        for f in kept
                    ],
                }
            )
        else:
            for f in kept:
                ui.result(str(f.path))
        return
    options = runtime.run_options(
        rt,
        command="download",
        output_dir=output_dir,
        name=name,
        timeout=timeout,
        poll_interval=poll_interval,
        variants=variants,
    )
    progress = make_progress(ui)
    rt.listeners.append(progress)
    try:
        job = None  # fetched at most once here; resume() polls from it
        if record is not None:
            remote_id, local_id = _remote_id(record, job_id), record.local_id
            request = GenerationRequest(
                prompt=record.prompt or "",
                model=record.model,
                seconds=int(record.seconds),
                size=record.size,
                provider=record.provider or rt.spec.name,
            )
            recorder: Any = rt.ledger
            already_final = not record.in_flight
            estimate = record.estimate_usd
        else:
            remote_id, local_id, recorder, already_final, estimate = (
                job_id,
                "-",
                UnrecordedJob(),
                True,
                None,
            )
            job = rt.provider.refresh(remote_id)
            request = GenerationRequest(
                prompt=job.prompt or "",
                model=job.model or "",
                seconds=int(job.seconds or 0) if (job.seconds or "").isdigit() else 0,
                size=job.size or "",
                provider=rt.spec.name,
            )
        runner = JobRunner(
            rt.provider, recorder, limits=rt.limits, price_table=rt.prices, on_event=rt.emit
        )
        if not wait:
            job = job or rt.provider.refresh(remote_id)
            if not job.phase.final:
                raise NotFinishedError(
                    f"job {remote_id} is {job.status}, not finished",
                    hint=f"wait for it: video-gen download {remote_id}",
                )
        result = runner.resume(
            local_id,
            remote_id,
            request,
            options,
            estimate_usd=estimate,
            already_final=already_final,
            job=job,
        )
    finally:
        progress.close()
        rt.close()
    if json_output:
        ui.json(result.to_json())
    else:
        for f in result.files:
            ui.result(str(f.path))


def remix(
    job_id: JobId,
    prompt: Annotated[
        str, typer.Argument(help="The change to make, e.g. 'make it night'.", show_default=False)
    ],
    output_dir: opt.OutputDir = None,
    name: opt.Name = None,
    provider: opt.ProviderName = None,
    timeout: opt.Timeout = None,
    poll_interval: opt.PollInterval = None,
    dry_run: opt.DryRun = False,
    json_output: opt.Json = False,
    quiet: opt.Quiet = False,
    verbose: opt.Verbose = False,
) -> None:
    """Make a new video from a completed one with a changed prompt (a new paid job).

    Example: video-gen remix video_68d7512d07848190b3e45da0ecbebcde "same scene, at night"
    """
    from video_gen import pricing, resolve
    from video_gen.cli import runtime
    from video_gen.cli.progress import make_progress
    from video_gen.cli.ui import UI
    from video_gen.jobs import JobRunner
    from video_gen.types import GenerationRequest

    ui = UI(quiet=quiet, verbose=verbose, json_output=json_output)
    runtime.setup_logging(verbose)
    prompt = resolve.read_prompt(prompt, None)
    rt, record = _load(ui, provider, job_id)
    try:
        remote_id = _remote_id(record, job_id)
        if record is not None:
            model, seconds, size = record.model, int(record.seconds), record.size
        else:
            src = rt.provider.refresh(remote_id)
            model, seconds, size = src.model or "", int(src.seconds or 0), src.size or ""
        request = GenerationRequest(
            prompt=prompt,
            model=model,
            seconds=seconds,
            size=size,
            provider=rt.spec.name,
            extra={"remix_of": remote_id},
        )
        estimate = pricing.estimate(
            request,
            rt.spec.kind,
            rt.prices,
            api=rt.spec.api,
            caps=rt.capabilities(request.model),
        )
        if dry_run:
            body = {
                "method": "POST",
                "url": f"{rt.spec.base_url}/videos/{remote_id}/remix",
                "body": {"prompt": prompt},
                "estimate_usd": estimate.usd,
                "price_source": estimate.source,
            }
            if json_output:
                ui.json({"dry_run": True, "request": body})
            else:
                ui.result(
                    f"POST {body['url']}\n  prompt: {prompt}\nestimated cost: "
                    f"{estimate.usd:.2f} USD ({estimate.source})\n"
                    "nothing was sent (--dry-run)"
                )
            return
        options = runtime.run_options(
            rt,
            command="remix",
            output_dir=output_dir,
            name=name,
            timeout=timeout,
            poll_interval=poll_interval,
        )
        progress = make_progress(ui)
        rt.listeners.append(progress)
        runner = JobRunner(
            rt.provider, rt.ledger, limits=rt.limits, price_table=rt.prices, on_event=rt.emit
        )
        try:
            result = runner.run(
                request, options, create=lambda: rt.provider.remix(remote_id, prompt)
            )
        finally:
            progress.close()
    finally:
        rt.close()
    if json_output:
        ui.json(result.to_json())
    else:
        ui.result(str(result.file))
