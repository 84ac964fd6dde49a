"""`video-gen settle`: say what became of a job the ledger cannot settle on its own."""

from __future__ import annotations

from typing import Annotated

import typer

from video_gen.cli import options as opt


def settle(
    job_id: Annotated[
        str,
        typer.Argument(
            help="Local or remote id (or a unique prefix) from `video-gen history`.",
            show_default=False,
        ),
    ],
    remote_id: Annotated[
        str | None,
        typer.Option(
            "--remote-id",
            help="The job found on the provider for a create left in doubt: it is adopted,"
            " then followed and downloaded as usual (`video-gen download ID`).",
            show_default=False,
        ),
    ] = None,
    charged: Annotated[
        bool,
        typer.Option("--charged", help="The provider charged for it: the budget counts it."),
    ] = False,
    not_charged: Annotated[
        bool,
        typer.Option(
            "--not-charged", help="No job was made or it was not billed: the reservation is freed."
        ),
    ] = False,
    amount: Annotated[
        float | None,
        typer.Option(
            "--amount",
            min=0.0,
            metavar="USD",
            help="With --charged: what the provider billed (default: the job's estimate).",
            show_default=False,
        ),
    ] = None,
    reason: Annotated[
        str | None,
        typer.Option(
            "--reason", help="Why, for the ledger (default: what was declared).", show_default=False
        ),
    ] = None,
    provider: opt.ProviderName = None,
    json_output: opt.Json = False,
    verbose: opt.Verbose = False,
) -> None:
    """Settle a job left in doubt, or one the server no longer knows: adopt its remote job, or
    declare it charged or not. The ledger records it with the reason; the budget follows.

    Example: video-gen settle j0kq3v8m2xa --not-charged --reason "no job in the provider's log"
    """
    from video_gen import settlement
    from video_gen.cli import runtime
    from video_gen.cli.ui import UI
    from video_gen.errors import UsageError

    ui = UI(verbose=verbose, json_output=json_output)
    runtime.setup_logging(verbose)
    chosen = [
        n
        for n, on in (
            ("--remote-id", remote_id),
            ("--charged", charged),
            ("--not-charged", not_charged),
        )
        if on
    ]
    if len(chosen) != 1:
        raise UsageError(
            "say what became of the job with exactly one of --remote-id ID, --charged or"
            " --not-charged",
            hint="e.g. video-gen settle ID --not-charged --reason 'no job on the provider'",
        )
    if amount is not None and not charged:
        raise UsageError(
            "--amount goes with --charged", hint="video-gen settle ID --charged --amount 0.40"
        )
    if amount is not None:
        import math

        from video_gen.ledger.records import MAX_RECORD_USD

        if not (math.isfinite(amount) and 0 <= amount <= MAX_RECORD_USD):
            raise UsageError(
                f"--amount {amount!r} is not an amount from 0 to {MAX_RECORD_USD:,.0f} USD",
                hint="video-gen settle ID --charged --amount 0.40",
            )
    rt = runtime.load(ui, provider, open_remote=False)
    job = rt.ledger.get(job_id)
    remote_status = None
    if remote_id:
        # Look the job up first: adopting a mistyped id would follow a job that is not ours.
        if provider is None and job.provider and job.provider != rt.spec.name:
            rt = runtime.load(ui, job.provider, open_remote=False)
        runtime.open_remote_provider(rt)
        try:
            remote_status = rt.provider.refresh(remote_id).status
        finally:
            rt.close()
    outcome = (
        settlement.ADOPT if remote_id else settlement.CHARGED if charged else settlement.NOT_CHARGED
    )
    done = settlement.settle(
        rt.ledger,
        job,
        outcome=outcome,
        amount_usd=amount,
        remote_id=remote_id,
        remote_status=remote_status,
        reason=reason,
    )
    if json_output:
        ui.json(done.to_json())
    elif done.outcome == settlement.ADOPT:
        ui.result(
            f"{done.local_id}: adopted {done.remote_id} ({remote_status}); follow it with:"
            f" video-gen download {done.local_id}"
        )
    else:
        ui.result(
            f"{done.local_id}: settled {done.outcome}, {done.charged_usd or 0:.2f} USD"
            f" ({done.reason})"
        )
