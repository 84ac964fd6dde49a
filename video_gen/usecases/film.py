"""The film use case: a plan -> its clips through the batch engine -> one joined MP4.

Money safety is the batch use case's: every clip is estimated and the whole plan checked
against the budget before the first create, a re-run skips made clips and re-attaches running
jobs, and nothing is paid twice. The join runs only when every clip is made; it is
deterministic, so a re-run with the same clips writes the same film bytes. Each clip's ledger
job records the film it went into (an event ``film``), which ``video-gen gallery`` reads.

``--chain`` renders the clips one after another instead, each starting from the previous
clip's last frame (``film/chain.py``).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from video_gen import capabilities
from video_gen.batch import lock
from video_gen.batch.manifest import Manifest
from video_gen.batch.preflight import Forecast
from video_gen.batch.runner import (
    PENDING,
    SUCCEEDED,
    BatchResult,
    ItemState,
    totals,
)
from video_gen.batch.state import Action, Decision
from video_gen.batch.validate import Item
from video_gen.errors import UsageError
from video_gen.film import plan as film_plan
from video_gen.film.look import FilmLook, check_fps, load_look
from video_gen.usecases import batch as batch_usecase
from video_gen.usecases.batch import BatchRequest, BatchRun, Display, LoadedBatch, Session

FILM_EVENT = "film"  # the ledger event on each clip's job


@dataclass(frozen=True)
class FilmRequest:
    batch: BatchRequest
    style: str | None = None  # None: recognised from the prompts, else the default style
    title: str | None = None  # the opening card; None: the plan's own title card, else its name
    size: str | None = None  # the film's WIDTHxHEIGHT; None: the first clip's
    fps: int | None = None  # None: the style's
    fit: str = "letterbox"
    out: Path | None = None  # None: <output dir>/<plan name>.film.mp4
    chain: bool = False
    extra_styles: Mapping[str, Any] = field(default_factory=dict)


@dataclass
class FilmSetup:
    """A plan loaded and checked, its film planned: what --dry-run shows. Nothing sent."""

    request: FilmRequest
    batch: LoadedBatch
    plan: film_plan.FilmPlan
    out: Path
    scenes: list[film_plan.Scene]

    @property
    def look(self) -> FilmLook:
        return self.plan.look


@dataclass
class Film:
    """The joined film."""

    file: Path
    sha256: str
    bytes: int
    duration_s: float
    parts: list[dict[str, Any]]


@dataclass
class FilmOutcome:
    run: BatchRun
    film: Film | None  # None when some clip is not made (the batch's exit code says why)

    @property
    def states(self) -> list[ItemState]:
        return self.run.result.states


def prepare(request: FilmRequest, session: Session) -> FilmSetup:
    """Load and check the plan, choose the look and size, plan the film's parts."""
    from video_gen.repoprompt.styles import DEFAULT_STYLE

    loaded = batch_usecase.load(request.batch, session)
    if request.fit not in film_plan.FITS:
        raise UsageError(
            f"--fit {request.fit!r} is not a way to fit", hint="use --fit letterbox or --fit crop"
        )
    style = request.style or recognise_style(loaded.items, request.extra_styles) or DEFAULT_STYLE
    look = load_look(style, request.extra_styles)
    fps = check_fps(request.fps) if request.fps is not None else look.fps
    width, height = _film_size(request.size or loaded.items[0].request.size)
    intertitle_of = {raw.line: raw.intertitle for raw in loaded.raw}
    scenes = [
        film_plan.Scene(
            line=item.line,
            name=item.name,
            prompt=item.request.prompt,
            seconds=item.request.seconds,
            intertitle=intertitle_of.get(item.line),
        )
        for item in loaded.items
    ]
    name = plan_name(loaded)
    title = request.title or film_plan.opening_title(scenes, name.replace("-", " "))
    planned = film_plan.build(
        scenes, look, width=width, height=height, fps=fps, fit=request.fit, title=title
    )
    out = request.out if request.out is not None else loaded.output_dir / f"{name}.film.mp4"
    if request.chain:
        _check_chain(loaded, session)
    return FilmSetup(request, loaded, planned, out, scenes)


def check_film_out(out: Path) -> None:
    """The film's file can be written (before its clips are paid for): not an existing folder
    or device, in a folder that can be written (``video_gen.preflight``)."""
    from video_gen import preflight
    from video_gen.errors import LocalFilesError

    if out.exists() and not out.is_file():
        raise LocalFilesError(
            f"the film's file {out} is {preflight.describe_path(out)}, not a file",
            hint="choose another --out (a .mp4 file)",
        )
    preflight.check_folder(out.parent, what="film's folder", flag="--out")


def plan_name(loaded: LoadedBatch) -> str:
    """The plan file's name without extensions (``demo-chaplin-1a2b.storyboard.jsonl`` ->
    ``demo-chaplin-1a2b``); stdin: the batch id."""
    if loaded.path is None:
        return loaded.batch_id
    stem = loaded.path.stem
    return stem.removesuffix(".storyboard") or loaded.batch_id


def recognise_style(items: Sequence[Item], extra: Mapping[str, Any] | None) -> str | None:
    """The style whose look sentence opens the first prompt (prompt-from-repo writes it)."""
    from video_gen.errors import VideoGenError
    from video_gen.repoprompt.styles import available_styles, load_style

    if not items:
        return None
    prompt = items[0].request.prompt
    for name in available_styles(extra):
        try:
            if load_style(name, extra).look in prompt:
                return name
        except VideoGenError:
            continue  # a broken config style is reported when it is chosen, not here
    return None


def _film_size(size: str) -> tuple[int, int]:
    width, height = capabilities.parse_size(size)
    if width % 2 or height % 2:
        raise UsageError(
            f"--size {size}: the film's width and height must be even (H.264 4:2:0)",
            hint=f"use --size {width + width % 2}x{height + height % 2}",
        )
    return width, height


# -- planning (also what --dry-run shows) -----------------------------------------------------
def plan(setup: FilmSetup, session: Session) -> tuple[list[Decision], Forecast]:
    """Each clip's decision and the forecast; with --chain, references that can be known now
    (the previous clip is already made) are taken into account."""
    if not setup.request.chain:
        return batch_usecase.plan(setup.batch, session)
    decisions: list[Decision] = []
    previous: Path | None = None
    for index in range(len(setup.batch.items)):
        item = _chained_item(setup, session, index, previous)
        decision = batch_usecase.plan(setup.batch, session, [item])[0][0]
        decisions.append(decision)
        previous = decision.file if decision.action is Action.SKIP else None
        if previous is None and index + 1 < len(setup.batch.items):
            # The rest cannot be known before this clip is made: counted as new jobs.
            decisions += [Decision(item, Action.SUBMIT) for item in setup.batch.items[index + 1 :]]
            break
    from video_gen.batch import preflight

    forecast = preflight.forecast(
        decisions,
        session.ledger.month(limits=session.limits),
        session.limits,
        max_cost=setup.batch.request.max_cost,
    )
    return decisions, forecast


# -- making -----------------------------------------------------------------------------------
Progress = Callable[[int, int, str], None]


def make(
    setup: FilmSetup,
    session: Session,
    display: Display,
    *,
    on_join: Callable[[Path], None] | None = None,
    on_progress: Progress | None = None,
) -> FilmOutcome:
    """Render every clip (budget first), then join them; the film is None if a clip is missing."""
    from video_gen.film.deps import require_av, require_pillow

    # Before anything is paid: a film that cannot be joined is not worth its clips.
    require_av()
    require_pillow()
    check_film_out(setup.out)
    if setup.request.chain:
        run = _run_chain(setup, session, display)
    else:
        run = batch_usecase.run(setup.batch, session, display)
    if run.result.exit_code or not all(s.status in SUCCEEDED for s in run.result.states):
        return FilmOutcome(run, None)
    film = join(setup, run.result.states, on_join=on_join, on_progress=on_progress)
    record(session, setup, run.result.states, film)
    return FilmOutcome(run, film)


def join(
    setup: FilmSetup,
    states: Sequence[ItemState],
    *,
    on_join: Callable[[Path], None] | None = None,
    on_progress: Progress | None = None,
) -> Film:
    from video_gen.film.join import join as join_parts

    ordered = sorted(states, key=lambda s: s.line)
    files = [Path(s.file) for s in ordered if s.file is not None]
    if on_join is not None:
        on_join(setup.out)
    joined = join_parts(setup.plan, files, setup.out, on_progress=on_progress)
    return Film(
        file=joined.written.path,
        sha256=joined.written.sha256,
        bytes=joined.written.bytes,
        duration_s=joined.duration_s,
        parts=joined.parts,
    )


def record(session: Session, setup: FilmSetup, states: Sequence[ItemState], film: Film) -> None:
    """Note on each clip's job which film it is in (the gallery groups clips by it)."""
    ordered = sorted(states, key=lambda s: s.line)
    source = setup.batch.path
    for position, s in enumerate(ordered):
        if s.local_id is None:
            continue
        session.ledger.event(
            s.local_id,
            FILM_EVENT,
            file=str(film.file.resolve()),
            sha256=film.sha256,
            position=position,
            clips=len(ordered),
            duration_s=round(film.duration_s, 3),
            plan=str(source.resolve()) if source is not None else None,
            style=setup.look.style,
            title=setup.plan.parts[0].text if setup.plan.parts else None,  # type: ignore[union-attr]
        )


def cost_of(states: Sequence[ItemState]) -> float:
    """What the film's clips cost, whenever they were made."""
    return round(sum(s.cost_usd or 0.0 for s in states if s.status in SUCCEEDED), 6)


def to_json(setup: FilmSetup, outcome: FilmOutcome) -> dict[str, Any]:
    states = sorted(outcome.states, key=lambda s: s.line)
    film = outcome.film
    return {
        "file": str(film.file) if film else None,
        "duration_s": round(film.duration_s, 3) if film else None,
        "sha256": film.sha256 if film else None,
        "bytes": film.bytes if film else None,
        "cost_usd": cost_of(states),
        "spent_usd": totals(states)["spent_usd"],
        "status": "made" if film else "clips unfinished",
        "exit_code": int(outcome.run.result.exit_code),
        "plan": setup.batch.source,
        "batch_id": setup.batch.batch_id,
        "style": setup.look.style,
        "size": setup.plan.size,
        "fps": setup.plan.fps,
        "fit": setup.plan.fit,
        "chain": setup.request.chain,
        "expected_seconds": setup.plan.expected_seconds,
        "clips": [
            {
                "position": i,
                "line": s.line,
                "name": s.name,
                "job_id": s.job_id,
                "local_id": s.local_id,
                "status": s.status,
                "file": str(s.file) if s.file else None,
                "sha256": s.sha256,
                "cost_usd": s.cost_usd,
                "provider": s.item.request.provider if s.item else None,
                "model": s.item.request.model if s.item else None,
                "seconds": s.item.request.seconds if s.item else None,
                "size": s.item.request.size if s.item else None,
            }
            for i, s in enumerate(states)
        ],
        "parts": film.parts if film else [p.to_json() for p in setup.plan.parts],
    }


# -- --chain ------------------------------------------------------------------------------------
def _check_chain(loaded: LoadedBatch, session: Session) -> None:
    """Refuse before anything is paid: a model that takes no image, or a clip after the first
    with its own reference image (the chain gives it one)."""
    for item in loaded.items[1:]:
        request = item.request
        caps = session.provider_info(request.provider).capabilities(request.model)
        if caps is not None and not caps.input_reference:
            raise UsageError(
                f"--chain: {request.model} on {request.provider} takes no reference image"
                f" (line {item.line}), so a clip cannot start from the one before it",
                hint="choose a model that takes an input reference, or drop --chain",
            )
        if request.input_reference is not None:
            raise UsageError(
                f"--chain: line {item.line} has its own input_reference; the chain gives every"
                " clip after the first the last frame of the clip before it",
                hint="remove input_reference from that line, or drop --chain",
            )


def _chain_reference(setup: FilmSetup, index: int) -> Path:
    return setup.batch.output_dir / f"{plan_name(setup.batch)}.chain" / f"clip-{index + 1:03d}.png"


def _chained_item(setup: FilmSetup, session: Session, index: int, previous: Path | None) -> Item:
    """Item ``index``, with the previous clip's last frame as its reference when known."""
    from video_gen.film.chain import reference_for

    item = setup.batch.items[index]
    if index == 0 or previous is None:
        return item
    width, height = capabilities.parse_size(item.request.size)
    reference = reference_for(
        previous, width, height, setup.plan.fit, _chain_reference(setup, index)
    )
    raw = next(r for r in setup.batch.raw if r.line == item.line)
    checked, problems = batch_usecase.check_items(
        [replace(raw, input_reference=str(reference.resolve()))],
        setup.batch.request.defaults,
        session,
        source=setup.batch.source,
        base_dir=Path.cwd(),
    )
    if problems or not checked:
        raise UsageError(
            str(problems[0]) if problems else "the chained clip cannot be checked",
            hint="fix the plan's line, then run the same command again (nothing was sent)",
        )
    return replace(checked[0], n=item.n)


class _ChainManifest(Manifest):
    """One manifest for a chain run clip by clip: earlier clips' entries are kept."""

    def __init__(self, path: Path, header: Mapping[str, Any], total: int) -> None:
        super().__init__(path, header)
        self.kept: dict[int, Mapping[str, Any]] = {}
        self.total = total
        self._guard = threading.Lock()

    def write(
        self,
        items: Sequence[Mapping[str, Any]],
        totals_: Mapping[str, Any],
        *,
        finished: bool = False,
    ) -> None:
        with self._guard:
            for entry in items:
                self.kept[int(entry["line"])] = entry
            merged = [self.kept[k] for k in sorted(self.kept)]
            counts: dict[str, Any] = {"items": self.total}
            for entry in merged:
                counts[entry["status"]] = counts.get(entry["status"], 0) + 1
            super().write(merged, counts, finished=finished and len(merged) == self.total)


def _run_chain(setup: FilmSetup, session: Session, display: Display) -> BatchRun:
    """Clip by clip, in order: each waits for the previous one's last frame."""
    loaded = setup.batch
    with lock.exclusive(loaded.batch_id):
        decisions, forecast = plan(setup, session)
        display.planned(loaded, decisions, forecast)
        forecast.check()
        batch_usecase.check_local(loaded, decisions)
        manifest = _ChainManifest(loaded.manifest_path, loaded.header, len(loaded.items))
        states: list[ItemState] = []
        previous: Path | None = None
        interrupted = False
        for index in range(len(loaded.items)):
            item = _chained_item(setup, session, index, previous)
            step, _ = batch_usecase.plan(loaded, session, [item])
            result = batch_usecase.run_engine(
                loaded, session, display, step, concurrency=1, manifest=manifest
            )
            states += result.states
            done = result.states[0]
            if result.interrupted or done.status not in SUCCEEDED or done.file is None:
                interrupted = result.interrupted
                for later in loaded.items[index + 1 :]:
                    states.append(
                        ItemState(
                            line=later.line,
                            name=later.name,
                            key=later.key,
                            status=PENDING,
                            item=later,
                            error=f"not started: clip {done.label} before it is not made",
                        )
                    )
                break
            previous = done.file
    return BatchRun(BatchResult(states, interrupted=interrupted), decisions, forecast)
