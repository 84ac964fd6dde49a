"""Reconciling the ledger with the server (``video-gen recover``): every paid job accounted for.

Two things can leave the ledger out of step with what the provider has made and bills:

* **a create left without an id**: its process was killed (or ran out of disk) while the create
  was on the wire, or it was recorded in doubt. Once its owner process is gone (``owner``), the
  server is asked for matching jobs made since the create began, and the claim rule
  (``Ledger.claim_left``) shares them out under the ledger lock: never a job another ledger job
  recorded, nothing while a create with the same parameters is pending in a live process, and
  nothing when more jobs match than there are creates. Adopted creates are then followed like
  any job; a create the server certainly has no job for is released; one that cannot be looked
  up stays (in doubt) for ``video-gen settle``.
* **a recorded job the server no longer knows** (404: expired or deleted there): settled as
  charged its estimate, the safe side for the budget (``sweep``, the full ``recover`` only).

Every spending command runs the cheap part first (``sweep=False``: the creates left on its own
provider, no per-job calls), so a re-run never pays again for a job a killed run made.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from video_gen import owner
from video_gen.errors import LookupUnavailableError, NotFoundError, VideoGenError
from video_gen.ledger import records as rec
from video_gen.types import GenerationRequest

ADOPTED, RELEASED, UNRESOLVED, PENDING, FORGOTTEN = (
    "adopted",
    "released",
    "unresolved",
    "pending",
    "forgotten",
)


@dataclass(frozen=True)
class Outcome:
    """What ``reconcile`` found (or, with ``dry_run``, would do) for one ledger job."""

    local_id: str
    action: str  # adopted, released, unresolved, pending (owner alive), forgotten (404)
    remote_id: str | None
    detail: str
    resume: str | None = None  # the command that finishes it
    known: bool = False  # already in doubt before, and still: nothing new to say

    def to_json(self) -> dict[str, Any]:
        return {
            "local_id": self.local_id,
            "action": self.action,
            "remote_id": self.remote_id,
            "detail": self.detail,
            "resume": self.resume,
            "was_in_doubt": self.known,
        }


def _reserved(view: Any) -> dict[str, Any]:
    return next((e for e in view.events if e.get("kind") == rec.RESERVED), {})


def request_of(view: Any) -> GenerationRequest:
    """The request a ledger job was reserved for (what ``find_recent`` matches)."""
    params = view.params or {}
    extra = params.get("extra")
    return GenerationRequest(
        prompt=view.prompt or "",
        model=view.model,
        seconds=int(view.seconds),
        size=view.size,
        provider=view.provider,
        extra=dict(extra) if isinstance(extra, dict) else {},
        audio=params["audio"] if isinstance(params.get("audio"), bool) else None,
        seed=params["seed"] if isinstance(params.get("seed"), int) else None,
    )


def same_request(view: Any, request: GenerationRequest) -> bool:
    """Whether ledger job ``view`` was reserved for exactly ``request`` (the same paid job)."""
    from video_gen.redact import redact

    core = ("provider", "model", "seconds", "size", "prompt")
    extras = {k: v for k, v in request.params().items() if k not in core}
    return (view.provider, view.model, view.seconds, view.size, view.prompt) == (
        request.provider,
        request.model,
        request.seconds,
        request.size,
        redact(request.prompt),
    ) and {k: v for k, v in (view.params or {}).items() if k not in core} == extras


def left_creates(ledger: Any, provider: str | None = None) -> tuple[list[Any], list[Any]]:
    """Open jobs with no remote id: (those whose owner process is gone, those still owned)."""
    gone: list[Any] = []
    owned: list[Any] = []
    for view in ledger.open_jobs(provider):
        if view.remote_id is not None:
            continue
        reserved = _reserved(view)
        live = owner.alive(reserved.get("owner"), view.host, view.created_at)
        (owned if live else gone).append(view)
    return gone, owned


def reconcile(
    ledger: Any,
    provider_for: Callable[[str], Any],
    *,
    provider: str | None = None,
    sweep: bool = True,
    dry_run: bool = False,
) -> list[Outcome]:
    """Reconcile the ledger's open jobs (of ``provider``, or all) with their servers.

    ``provider_for(name)`` opens a provider by name. ``sweep`` also asks the server about every
    open job that has a remote id (404: settled). ``dry_run`` looks but records nothing.
    """
    outcomes: list[Outcome] = []
    gone, owned = left_creates(ledger, provider)
    outcomes += [
        Outcome(v.local_id, PENDING, None, "its create is still in progress in a live process")
        for v in owned
    ]
    groups: dict[tuple[Any, ...], list[Any]] = {}
    for view in sorted(gone, key=lambda v: (v.created_at, v.local_id)):
        key = (view.provider, view.model, view.seconds, view.size, view.prompt)
        groups.setdefault((*key, json.dumps(view.params, sort_keys=True, default=str)), []).append(
            view
        )
    for views in groups.values():
        try:
            remote = provider_for(views[0].provider)
        except VideoGenError as exc:  # no key here, an unknown provider: say so, touch nothing
            outcomes += [
                Outcome(v.local_id, UNRESOLVED, None, f"provider not available: {exc.message}")
                for v in views
            ]
            continue
        outcomes += _adopt_left(ledger, remote, views, dry_run)
    if sweep:
        outcomes += _sweep(ledger, provider_for, provider, dry_run)
    return outcomes


def _adopt_left(ledger: Any, remote: Any, views: list[Any], dry_run: bool) -> list[Outcome]:
    ids = [v.local_id for v in views]
    request = request_of(views[0])
    began: datetime = views[0].created_at
    try:
        found = remote.find_recent(request, since=began.timestamp())
    except (LookupUnavailableError, VideoGenError) as exc:
        reason = exc.message
        out = []
        for v in views:
            if not dry_run and not v.in_doubt:
                ledger.in_doubt(v.local_id, f"left without an id; the lookup failed: {reason}")
            out.append(_unresolved(v.local_id, f"cannot be looked up: {reason}", v.in_doubt))
        return out
    candidates = [(j.id, j.status) for j in reversed(found)]  # oldest first
    if dry_run:
        known = ledger.known_remote_ids(since=began)
        free = [c for c in candidates if c[0] not in known]
        if len(free) > len(ids):
            return [_unresolved(i, f"{len(free)} jobs match {len(ids)} create(s)") for i in ids]
        out = [
            Outcome(i, ADOPTED, rid, "would adopt (dry run)", f"video-gen download {i}")
            for i, (rid, _) in zip(ids, free, strict=False)
        ]
        out += [
            Outcome(i, RELEASED, None, "would release: the server has no job for it (dry run)")
            for i in ids[len(free) :]
        ]
        return out
    adopted, nothing, unclaimed = ledger.claim_left(ids, request, candidates, since=began)
    out = []
    for v in views:
        rid = adopted.get(v.local_id)
        if rid is not None:
            ledger.event(v.local_id, "recovered", remote_id=rid)
            out.append(
                Outcome(
                    v.local_id,
                    ADOPTED,
                    rid,
                    "its create made this job: adopted",
                    f"video-gen download {v.local_id}",
                )
            )
        elif v.local_id in nothing:
            ledger.released(v.local_id, "recover: the server has no job for this create")
            out.append(Outcome(v.local_id, RELEASED, None, "the server has no job for it"))
        elif not adopted and not nothing:  # nothing could be decided
            why = f"{unclaimed} matching jobs for {len(views)} create(s), or a live create pending"
            if not v.in_doubt:
                ledger.in_doubt(v.local_id, f"left without an id; {why}")
            out.append(_unresolved(v.local_id, why, v.in_doubt))
    return out


def _unresolved(local_id: str, why: str, known: bool = False) -> Outcome:
    return Outcome(
        local_id,
        UNRESOLVED,
        None,
        f"{why}; kept in doubt",
        f"video-gen settle {local_id} --remote-id ID  (or --not-charged)",
        known,
    )


def _sweep(
    ledger: Any, provider_for: Callable[[str], Any], provider: str | None, dry_run: bool
) -> list[Outcome]:
    out = []
    for view in ledger.open_jobs(provider):
        if view.poll_id is None:
            continue
        try:
            provider_for(view.provider).refresh(view.poll_id)
        except NotFoundError:
            if not dry_run:
                ledger.settle(
                    view.local_id,
                    charged_usd=view.estimate_usd,
                    reason="recover: the server no longer knows the job (404); charged its"
                    " estimate, the safe side for the budget",
                    by="recover",
                )
            out.append(
                Outcome(
                    view.local_id,
                    FORGOTTEN,
                    view.poll_id,
                    "the server no longer knows it (404): settled as charged its estimate"
                    + (" (dry run: nothing recorded)" if dry_run else ""),
                )
            )
        except VideoGenError:
            continue  # unreachable now: nothing to conclude
    return out


def summary(outcomes: list[Outcome]) -> str | None:
    """The one line a spending command prints about what the cheap part found (None: nothing)."""
    acted = [o for o in outcomes if o.action in (ADOPTED, RELEASED, UNRESOLVED) and not o.known]
    if not acted:
        return None
    counts = {a: sum(1 for o in acted if o.action == a) for a in (ADOPTED, RELEASED, UNRESOLVED)}
    parts = [f"{n} {a}" for a, n in counts.items() if n]
    adopted = [o.local_id for o in acted if o.action == ADOPTED]
    tail = f"; download with: video-gen download {adopted[0]}" if len(adopted) == 1 else ""
    if len(adopted) > 1:
        tail = "; see them with: video-gen recover --dry-run"
    return (
        f"recovered creates left by a stopped run: {', '.join(parts)}{tail}"
        if counts[ADOPTED] or counts[RELEASED]
        else f"{counts[UNRESOLVED]} create(s) left by a stopped run cannot be matched to a job:"
        " see video-gen recover"
    )
