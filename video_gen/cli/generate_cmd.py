"""`video-gen generate`: one video, from prompt to a named file on disk."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from video_gen.cli import options as opt


def generate(
    prompt: Annotated[
        str | None,
        typer.Argument(help="What the video shows. '-' reads it from stdin.", show_default=False),
    ] = None,
    prompt_file: opt.PromptFile = None,
    model: opt.Model = None,
    seconds: opt.Seconds = None,
    size: opt.Size = None,
    input_reference: opt.InputReference = None,
    output_dir: opt.OutputDir = None,
    name: opt.Name = None,
    provider: opt.ProviderName = None,
    timeout: opt.Timeout = None,
    poll_interval: opt.PollInterval = None,
    thumbnail: opt.Thumbnail = False,
    spritesheet: opt.Spritesheet = False,
    from_id: Annotated[
        str | None,
        typer.Option(
            "--from",
            help="Re-run a past generation's parameters (local or remote id prefix from"
            " `video-gen history`); other flags override them.",
            show_default=False,
        ),
    ] = None,
    dry_run: opt.DryRun = False,
    json_output: opt.Json = False,
    quiet: opt.Quiet = False,
    verbose: opt.Verbose = False,
) -> None:
    """Generate one video and save it.

    Example: video-gen generate "a paper boat sailing down a rainy street" --seconds 8
    """
    from video_gen import resolve
    from video_gen.cli import runtime
    from video_gen.cli.progress import make_progress
    from video_gen.cli.ui import UI
    from video_gen.jobs import JobRunner

    ui = UI(quiet=quiet, verbose=verbose, json_output=json_output)
    runtime.setup_logging(verbose)
    rt = runtime.load(ui, provider, open_remote=False)
    if from_id is not None:
        past = rt.ledger.get(from_id)
        prompt_text = (
            past.prompt
            if prompt is None and prompt_file is None
            else resolve.read_prompt(prompt, prompt_file)
        )
        model = model or past.model
        seconds = seconds if seconds is not None else past.seconds
        size = size or past.size
        ref = past.params.get("input_reference")
        if input_reference is None and ref:
            input_reference = Path(ref)
        if provider is None and past.provider and past.provider != rt.spec.name:
            rt = runtime.load(ui, past.provider, open_remote=False)
    else:
        prompt_text = resolve.read_prompt(prompt, prompt_file)
    request = resolve.request(
        rt.config,
        rt.spec,
        prompt_text,
        model=model,
        seconds=seconds,
        size=size,
        input_reference=input_reference,
    )
    options = runtime.run_options(
        rt,
        command="generate",
        output_dir=output_dir,
        name=name,
        timeout=timeout,
        poll_interval=poll_interval,
        variants=runtime.variants(thumbnail, spritesheet),
    )
    from video_gen import capabilities, naming, pricing

    naming.check_template(options.name_template)
    capabilities.validate(request, rt.capabilities(request.model))
    estimate = pricing.estimate(request, rt.spec.kind, rt.prices, api=rt.spec.api)
    if dry_run:
        _print_dry_run(ui, rt, request, estimate, options)
        return
    runtime.open_remote_provider(rt)
    progress = make_progress(ui)
    rt.listeners.append(progress)
    runner = JobRunner(
        rt.provider, rt.ledger, limits=rt.limits, price_table=rt.prices, on_event=rt.emit
    )
    try:
        result = runner.run(request, options)
    finally:
        progress.close()
        rt.close()
    if json_output:
        ui.json(result.to_json())
    else:
        ui.result(str(result.file))


def _print_dry_run(ui, rt, request, estimate, options) -> None:  # type: ignore[no-untyped-def]
    from video_gen.capabilities import sniff_image

    body: dict[str, object]
    if rt.spec.api == "openrouter":
        from video_gen.providers.openrouter import request_body

        body = request_body(request)
        if "frame_images" in body:  # a data URL of the whole image is no use on a terminal
            body["frame_images"] = [f"@{request.input_reference} (first frame)"]
    else:
        body = {
            "prompt": request.prompt,
            "model": request.model,
            "seconds": str(request.seconds),
            "size": request.size,
        }
        if request.input_reference is not None:
            body["input_reference"] = (
                f"@{request.input_reference} ({sniff_image(request.input_reference)})"
            )
    month = rt.ledger.month(limits=rt.limits)
    fits = rt.ledger.would_fit(estimate.usd, rt.limits)
    url = f"{rt.spec.base_url.rstrip('/')}/videos"
    if ui.json_output:
        ui.json(
            {
                "dry_run": True,
                "provider": rt.spec.name,
                "kind": rt.spec.kind,
                "request": {"method": "POST", "url": url, "body": body},
                "estimate_usd": estimate.usd,
                "usd_per_second": estimate.usd_per_second,
                "price_source": estimate.source,
                "budget": {
                    "month": month.month,
                    "spent_usd": month.spent_usd,
                    "reserved_usd": month.reserved_usd,
                    "limit_usd": month.limit_usd,
                    "fits": fits,
                },
                "output_dir": str(options.output_dir),
            }
        )
        return
    lines = [f"POST {url}  (provider {rt.spec.name}, {rt.spec.kind})"]
    lines += [f"  {k}: {v}" for k, v in body.items()]
    lines.append(
        f"estimated cost: {estimate.usd:.2f} USD ({request.seconds} s x "
        f"{estimate.usd_per_second:.2f} USD/s; {estimate.source})"
    )
    lines.append(
        f"budget {month.month}: {month.spent_usd:.2f} spent + {month.reserved_usd:.2f}"
        f" reserved of {month.limit_usd:.2f} USD"
        + ("" if fits is None else ("; this job fits" if fits else "; this job would be REFUSED"))
    )
    lines.append(f"would save to: {options.output_dir}")
    lines.append("nothing was sent (--dry-run)")
    ui.result("\n".join(lines))
