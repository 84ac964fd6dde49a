"""`video-gen recover`: reconcile the ledger with the server, so every paid job is accounted for."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from video_gen.cli import options as opt


def recover(
    provider: Annotated[
        str | None,
        typer.Option(
            "--provider",
            "-p",
            help="Only this provider's jobs (default: every provider with open jobs).",
            show_default=False,
        ),
    ] = None,
    dry_run: Annotated[
        bool,
        typer.Option(
            "--dry-run", help="Look on the servers and say what would be done; record nothing."
        ),
    ] = False,
    json_output: opt.Json = False,
    verbose: opt.Verbose = False,
) -> None:
    """Find the jobs of creates left without an id (a run killed while creating) and settle jobs
    the server no longer knows.

    Example: video-gen recover --dry-run
    """
    from video_gen import reconcile
    from video_gen.cli import runtime
    from video_gen.cli.ui import UI

    ui = UI(verbose=verbose, json_output=json_output)
    runtime.setup_logging(verbose)
    rt = runtime.load(ui, provider, open_remote=False)
    opened: dict[str, Any] = {}

    def provider_for(name: str) -> Any:
        if name not in opened:
            r = rt if name == rt.spec.name else runtime.load(ui, name, open_remote=False)
            runtime.open_remote_provider(r)
            opened[name] = r
        return opened[name].provider

    try:
        outcomes = reconcile.reconcile(
            rt.ledger,
            provider_for,
            provider=provider,
            sweep=True,
            dry_run=dry_run,
        )
    finally:
        for r in opened.values():
            if r is not rt and r.provider is not None:
                r.provider.close()
        rt.close()
    if json_output:
        ui.json({"dry_run": dry_run, "jobs": [o.to_json() for o in outcomes]})
        return
    if not outcomes:
        ui.result("nothing to recover: every open job has its remote id and the server knows it")
        return
    for o in outcomes:
        line = f"{o.local_id}  {o.action:<10} {o.remote_id or '-':<24} {o.detail}"
        ui.result(line + (f"; next: {o.resume}" if o.resume else ""))
