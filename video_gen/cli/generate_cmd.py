"""`video-gen generate`: one video, from prompt to a named file on disk."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from video_gen.cli import options as opt

if TYPE_CHECKING:
    from video_gen.cli.runtime import Runtime
    from video_gen.cli.ui import UI
    from video_gen.jobs import RunOptions
    from video_gen.types import Estimate, GenerationRequest


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
    last_frame: opt.LastFrame = None,
    audio: opt.Audio = None,
    seed: opt.Seed = None,
    output_dir: opt.OutputDir = None,
    name: opt.Name = None,
    provider: opt.ProviderName = None,
    timeout: opt.Timeout = None,
    poll_interval: opt.PollInterval = None,
    thumbnail: opt.Thumbnail = False,
    spritesheet: opt.Spritesheet = False,
    cancel_on_interrupt: opt.CancelOnInterrupt = False,
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
    guided = prompt is None and prompt_file is None and from_id is None
    if guided and not (runtime.stdin_is_terminal() and runtime.stderr_is_terminal()):
        from video_gen.errors import UsageError

        raise UsageError(
            "a prompt is required (the guided flow asks only on a terminal)",
            hint='video-gen generate "a paper boat in the rain" (or --prompt-file FILE, or -'
            " to read stdin)",
        )
    rt = runtime.load(ui, provider, open_remote=False, first_run=not dry_run)
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
        if last_frame is None and past.params.get("last_frame"):
            last_frame = Path(past.params["last_frame"])
        if audio is None and isinstance(past.params.get("audio"), bool):
            audio = past.params["audio"]
        if seed is None and isinstance(past.params.get("seed"), int):
            seed = past.params["seed"]
        if provider is None and past.provider and past.provider != rt.spec.name:
            rt = runtime.load(ui, past.provider, open_remote=False)
    elif guided:
        answers = _ask(ui, rt, model, seconds, size, input_reference, output_dir)
        prompt_text = answers["prompt"]
        input_reference = answers.get("input_reference", input_reference)
        output_dir = answers.get("output_dir", output_dir)
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
        audio=audio,
        seed=seed,
        last_frame=last_frame,
    )
    options = runtime.run_options(
        rt,
        command="generate",
        output_dir=output_dir,
        name=name,
        timeout=timeout,
        poll_interval=poll_interval,
        variants=runtime.variants(thumbnail, spritesheet),
        cancel_on_interrupt=cancel_on_interrupt,
    )
    from video_gen import naming, pricing
    from video_gen.providers import validate_request

    # {n} and {name} are a batch item's: refused in --name (a shared config template may
    # carry them for batch; they are empty for one video).
    naming.check_template(options.name_template, batch=name is None)
    caps = rt.capabilities(request.model)
    validate_request(rt.spec.api, request, caps)
    estimate = pricing.estimate(request, rt.spec.kind, rt.prices, api=rt.spec.api, caps=caps)
    if dry_run:
        refusal = _print_dry_run(ui, rt, request, estimate, options)
        if refusal is not None:
            raise refusal  # exit 9, naming the limit: a run would be refused the same way
        from video_gen import preflight

        preflight.probe_folder(options.output_dir)  # exit 13 as the run would; nothing made
        return
    if guided and not _confirm(ui, rt, request, estimate, options):
        rt.close()
        ui.err.print("not generated: nothing was sent", markup=False)
        return
    runtime.open_remote_provider(rt)
    left = _left_for(rt, request, runtime.recover_left(rt))
    progress = make_progress(ui)
    rt.listeners.append(progress)
    runner = JobRunner(
        rt.provider, rt.ledger, limits=rt.limits, price_table=rt.prices, on_event=rt.emit
    )
    closing = None
    try:
        if left is not None:
            # A killed run of this same request made a job: follow it, never pay again.
            result = runner.resume(
                left.local_id,
                str(left.poll_id),
                request,
                options,
                estimate_usd=left.estimate_usd,
            )
        else:
            result = runner.run(request, options)
        if guided and result.file is not None:
            from video_gen import guided as flow

            closing = flow.closing(result.file, result.cost_usd or 0.0, _budget_left(rt))
    finally:
        progress.close()
        rt.close()
    if closing:
        ui.err.print(closing, markup=False)
    if json_output:
        ui.json(result.to_json())
    else:
        ui.result(str(result.file))


def _left_for(rt, request, outcomes):  # type: ignore[no-untyped-def]
    """The job ``recover_left`` just adopted for exactly this request, if any (oldest)."""
    from video_gen import reconcile

    for outcome in outcomes:
        if outcome.action == reconcile.ADOPTED:
            view = rt.ledger.get(outcome.local_id)
            if view.in_flight and reconcile.same_request(view, request):
                return view
    return None


def _ask(
    ui: UI,
    rt: Runtime,
    model: str | None,
    seconds: int | None,
    size: str | None,
    input_reference: Path | None,
    output_dir: Path | None,
) -> dict[str, Any]:
    """The guided flow's questions (video_gen/guided.py says what, checks and defaults), each
    asked again after a bad answer; flags already given are not asked."""
    from video_gen import guided, resolve
    from video_gen.cli import prompts
    from video_gen.cli.ui import print_error
    from video_gen.errors import UsageError
    from video_gen.providers import validate_request

    def validate_reference(path: Path) -> None:
        probe = resolve.request(
            rt.config, rt.spec, "-", model=model, seconds=seconds, size=size, input_reference=path
        )
        validate_request(rt.spec.api, probe, rt.capabilities(probe.model))

    given = {"input_reference": input_reference, "output_dir": output_dir}
    answers: dict[str, Any] = {}
    default_dir = resolve.output_dir(rt.config, None)
    for step in guided.steps(default_dir, validate_reference):
        if given.get(step.name) is not None:
            continue
        while True:
            answer = prompts.ask(
                ui, step.question, default=step.default, show_default=step.show_default
            )
            try:
                answers[step.name] = step.check(answer)
                break
            except UsageError as exc:
                print_error(str(exc), exc.hint)
    return answers


def _budget_left(rt: Runtime) -> float | None:
    month = rt.ledger.month(limits=rt.limits)
    return float(month.remaining_usd) if month.limit_usd > 0 else None


def _confirm(
    ui: UI, rt: Runtime, request: GenerationRequest, estimate: Estimate, options: RunOptions
) -> bool:
    from video_gen import guided
    from video_gen.cli import prompts

    lines = guided.summary(
        provider=rt.spec.name,
        kind=rt.spec.kind,
        model=request.model,
        seconds=request.seconds,
        size=request.size,
        reference=request.input_reference,
        output_dir=options.output_dir,
        estimate_usd=estimate.usd,
        budget_left_usd=_budget_left(rt),
        emulated=rt.spec.emulated,
    )
    for line in lines:
        ui.err.print(line, markup=False)
    return prompts.confirm(ui, "Generate?", default=True)


def _print_dry_run(ui, rt, request, estimate, options):  # type: ignore[no-untyped-def]
    """Show what would be sent; returns the budget's refusal (a BudgetError) or None."""
    from video_gen.providers import preview

    sent = preview(rt.spec, request)
    month = rt.ledger.month(limits=rt.limits)
    refusal = rt.ledger.refusal(
        estimate.usd, rt.limits, job=f"{request.model}, {request.seconds} s, {request.size}"
    )
    fits = refusal is None
    if ui.json_output:
        ui.json(
            {
                "dry_run": True,
                "provider": rt.spec.name,
                "kind": rt.spec.kind,
                "request": {"method": sent.method, "url": sent.url, "body": dict(sent.body)},
                "estimate_usd": estimate.usd,
                "usd_per_second": estimate.usd_per_second,
                "price_source": estimate.source,
                "budget": {
                    "month": month.month,
                    "spent_usd": month.spent_usd,
                    "reserved_usd": month.reserved_usd,
                    "limit_usd": month.limit_usd,
                    "fits": fits,
                    "refusal": None if refusal is None else refusal.message,
                },
                "output_dir": str(options.output_dir),
            }
        )
        return refusal
    lines = [f"{sent.method} {sent.url}  (provider {rt.spec.name}, {rt.spec.kind})"]
    lines += [f"  {k}: {v}" for k, v in sent.body.items()]
    lines.append(
        f"estimated cost: {estimate.usd:.2f} USD ({request.seconds} s x "
        f"{estimate.usd_per_second:.2f} USD/s; {estimate.source})"
    )
    lines.append(
        f"budget {month.month}: {month.spent_usd:.2f} spent + {month.reserved_usd:.2f}"
        f" reserved of {month.limit_usd:.2f} USD"
        + ("; this job fits" if fits else "; this job would be refused (below)")
    )
    lines.append(f"would save to: {options.output_dir}")
    lines.append("nothing was sent (--dry-run)")
    ui.result("\n".join(lines))
    return refusal
