"""How a film is shown being made (``video-gen film``, ``prompt-from-repo --generate --film``).

stdout carries the film's path (or ``--json``); the clips' progress, the join and the summary go
to stderr. The clips render through ``batch_display``'s views.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import Any

from video_gen.cli import batch_display as show


def run_film(
    ui: Any,
    session: Any,
    request: Any,
    *,
    resume: Callable[[Any], str],
    dry_run: bool,
) -> int:
    """Prepare, (dry-run or) make and show a film; returns the exit code. Closes ``session``."""
    from video_gen.usecases import batch as batch_usecase
    from video_gen.usecases import film as usecase

    try:
        try:
            setup = usecase.prepare(request, session)
        except batch_usecase.InvalidBatch as exc:
            show.print_problems(ui, exc.problems, fatal=True)
            raise
        show.print_problems(ui, setup.batch.skipped, fatal=False)
        resume_cmd = resume(setup.batch)
        clips = len(setup.batch.items)
        if request.chain and clips > 1:
            ui.info(
                f"--chain: the {clips} clips are made one after another (each starts from the"
                f" last frame of the one before), so this takes about {clips} times as long as"
                " one clip; without --chain they render at once"
            )
        if dry_run:
            _dry_run(ui, session, setup).check()  # exit 9 when the budget would refuse it
            return 0
        total = len(setup.plan.parts)

        def joining(path: Any) -> None:
            ui.info(f"joining {clips} clip(s) and {len(setup.plan.cards)} card(s) into {path}")

        def progress(index: int, parts: int, what: str) -> None:
            if ui.verbose:
                ui.info(f"[film] part {index + 1}/{total}: {what}")

        outcome = usecase.make(
            setup,
            session,
            show.BatchDisplay(ui, resume_cmd),
            on_join=joining,
            on_progress=progress,
        )
    finally:
        session.close()
    result = outcome.run.result
    if outcome.film is None:
        hints = [f"the film is joined once every clip is made; resume with: {resume_cmd}"]
        _stderr(show.table_text(result.states, result.totals(), setup.batch.manifest_path, hints))
        if ui.json_output:
            ui.json(usecase.to_json(setup, outcome))
        return int(result.exit_code) or 10
    film = outcome.film
    made = sum(1 for s in result.states if s.status == "done")
    ui.info(
        f"film: {show.show_path(film.file)} ({film.duration_s:.2f} s: {clips} clip(s),"
        f" {len(setup.plan.cards)} card(s); {made} clip(s) made this run;"
        f" clips cost {usecase.cost_of(result.states):.2f} USD in all)"
    )
    if ui.json_output:
        ui.json(usecase.to_json(setup, outcome))
    else:
        ui.result(str(film.file))
    return 0


def _dry_run(ui: Any, session: Any, setup: Any) -> Any:
    """Show the film's plan and the batch's; returns the forecast (the caller checks it)."""
    from video_gen.film.deps import INSTALL_LINE, available
    from video_gen.usecases import film as usecase

    decisions, forecast = usecase.plan(setup, session)
    if not available():
        ui.warn(f"joining needs PyAV and Pillow: {INSTALL_LINE} (before the real run)")
    plan = setup.plan
    if ui.json_output:
        ui.json(
            {
                "dry_run": True,
                "film": {**plan.to_json(), "file": str(setup.out)},
                "batch_id": setup.batch.batch_id,
                "items": [
                    {
                        "line": d.item.line,
                        "name": d.item.name,
                        "action": d.action.value,
                        "provider": d.item.request.provider,
                        "model": d.item.request.model,
                        "seconds": d.item.request.seconds,
                        "size": d.item.request.size,
                        "estimate_usd": d.item.estimate.usd,
                    }
                    for d in decisions
                ],
                "total_usd": forecast.total_usd,
                "budget": forecast.to_json(),
                "chain": setup.request.chain,
            }
        )
        return forecast
    lines = [
        f"film {show.show_path(setup.out)}: {plan.size} at {plan.fps} fps ({plan.fit}),"
        f" style {plan.look.style}, transitions {plan.look.transition}"
    ]
    for part in plan.parts:
        if part.to_json()["type"] == "card":
            text = " / ".join(part.text.split("\n\n"))  # type: ignore[union-attr]
            shown = text if len(text) <= 60 else text[:59] + "…"
            lines.append(f"  {part.seconds:5.2f} s  {part.kind} card: {shown}")  # type: ignore[union-attr]
        else:
            label = f"{part.line}" + (f" {part.name}" if part.name else "")  # type: ignore[union-attr]
            lines.append(f"  {part.seconds:5.2f} s  clip {label}")
    lines.append(f"expected length: {plan.expected_seconds:.2f} s")
    ui.result("\n".join(lines))
    show.print_dry_run(
        ui,
        setup.batch.batch_id,
        decisions,
        forecast,
        setup.batch.output_dir,
        setup.batch.manifest_path,
        setup.batch.skipped,
    )
    return forecast


def _stderr(text: str) -> None:
    sys.stderr.write(text + "\n")
    sys.stderr.flush()
