"""The ledger's interface (``LedgerBackend``) and what every backend shares (``LedgerBase``).

A backend stores records and answers a few primitive questions (append under its lock, the
money of a month, the records of some jobs, which jobs an id prefix names, jobs newest first).
Everything that gives records their meaning is written once, here and in ``records``/``query``:
which fields a reservation records, the budget check, "the first final record wins", how an id
prefix is resolved, what a month's summary says. So a new record kind, or a new rule, changes
both backends at once.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

from video_gen.errors import BudgetError, UsageError
from video_gen.ledger import records as rec
from video_gen.ledger.budget import BudgetLimits, Reservation, check
from video_gen.ledger.query import (
    JobFilter,
    JobView,
    MonthSummary,
    SpendTotals,
    committed,
    month_bounds,
    month_summary,
)
from video_gen.types import Estimate, GenerationRequest

if TYPE_CHECKING:
    from video_gen.config import Config

# Records are appended in time order, but a clock step or a caller's ``now`` can put one a
# little out of order: scans that stop at a date go this much further back before stopping.
CLOCK_SLACK = timedelta(days=1)


class AmbiguousIdError(UsageError):
    """An id prefix that matches more than one job (the message lists them)."""


@dataclass(frozen=True)
class Claim:
    """What ``claim`` decided about the jobs a lookup found for a lost create."""

    remote_id: str | None  # claimed for this create (recorded as submitted), or None
    unclaimed: int  # matching jobs no other ledger job has recorded
    pending: int  # other creates with the same parameters whose job is not yet recorded

    @property
    def ambiguous(self) -> bool:
        """Matching jobs exist, but which one is this create's cannot be told (yet)."""
        return self.remote_id is None and self.unclaimed > 0


# ``claim``'s decision, made by the shared code inside a backend's lock: given the remote ids
# the ledger knows and the "reserved" records of other open jobs with no remote id yet, the
# Claim and the "submitted" records to append, as (local id, fields) pairs.
ClaimDecision = Callable[
    [frozenset[str], list[dict[str, Any]]], tuple[Claim, list[tuple[str, dict[str, Any]]]]
]


@dataclass(frozen=True)
class ImportResult:
    """What ``import_records`` did: records added, records already there, jobs touched."""

    added: int
    skipped: int
    jobs: int


@runtime_checkable
class LedgerBackend(Protocol):
    """Everything the job layer, batch and the commands ask of a ledger, whatever stores it."""

    location: str  # where it is, for messages: a path, or a URL with its password masked

    # -- writing ---------------------------------------------------------------------------
    def reserve(
        self,
        request: GenerationRequest,
        estimate: Estimate,
        limits: BudgetLimits,
        *,
        provider_kind: str,
        command: str,
        batch_id: str | None = None,
        item_key: str | None = None,
        now: datetime | None = None,
    ) -> Reservation: ...
    def submitted(self, local_id: str, remote_id: str, status: str) -> None: ...
    def status(self, local_id: str, status: str, progress: int | None) -> None: ...
    def alias(self, local_id: str, remote_id: str) -> None: ...
    def in_doubt(self, local_id: str, reason: str) -> None: ...
    def settle(
        self, local_id: str, *, charged_usd: float, reason: str, by: str = "user"
    ) -> None: ...
    def claim(
        self,
        local_id: str,
        request: GenerationRequest,
        candidates: Iterable[tuple[str, str]],
        *,
        since: datetime,
    ) -> Claim: ...
    def claim_left(
        self,
        local_ids: list[str],
        request: GenerationRequest,
        candidates: Iterable[tuple[str, str]],
        *,
        since: datetime,
    ) -> tuple[dict[str, str], list[str], int]: ...
    def completed(self, local_id: str, actual_usd: float | None, *, free: bool = False) -> None: ...
    def failed(self, local_id: str, status: str, code: str | None, message: str | None) -> None: ...
    def released(self, local_id: str, reason: str) -> None: ...
    def downloaded(
        self, local_id: str, variant: str, path: Path, sha256: str, size: int
    ) -> None: ...
    def event(self, local_id: str, kind: str, **fields: Any) -> None: ...

    # -- reading ---------------------------------------------------------------------------
    def would_fit(
        self, estimate_usd: float, limits: BudgetLimits, *, now: datetime | None = None
    ) -> bool: ...
    def refusal(
        self,
        estimate_usd: float,
        limits: BudgetLimits,
        *,
        job: str = "dry run",
        now: datetime | None = None,
    ) -> BudgetError | None: ...
    def get(self, id_or_prefix: str) -> JobView: ...
    def find_remote(self, remote_id: str) -> JobView | None: ...
    def jobs(
        self,
        *,
        since: datetime | None = None,
        until: datetime | None = None,
        status: str | Iterable[str] | None = None,
        model: str | None = None,
        provider: str | None = None,
        search: str | None = None,
        batch: str | None = None,
        host: str | None = None,
        user: str | None = None,
        ci: str | None = None,
        limit: int | None = 20,
    ) -> list[JobView]: ...
    def known_remote_ids(self, *, since: datetime) -> frozenset[str]: ...
    def open_jobs(self, provider: str | None = None) -> list[JobView]: ...
    def month(
        self,
        month: str | None = None,
        *,
        limits: BudgetLimits | None = None,
        now: datetime | None = None,
    ) -> MonthSummary: ...
    def report(
        self,
        month: str | None = None,
        fmt: str = "md",
        *,
        limits: BudgetLimits | None = None,
        now: datetime | None = None,
    ) -> str: ...
    def warnings(self) -> list[str]: ...
    def has_records(self) -> bool: ...
    def records(self) -> Iterator[dict[str, Any]]:
        """Every record, in the order it was written (``video-gen ledger export``)."""

    # -- limits and administration ---------------------------------------------------------
    def limits(self, config: Config | None = None) -> BudgetLimits: ...
    def set_limits(self, changes: dict[str, float], config: Config) -> tuple[BudgetLimits, str]:
        """Apply ``{"monthly_usd": 100.0, ...}``; returns the limits and where they were saved."""

    def migrate(self) -> str: ...
    def import_records(self, records: Iterable[dict[str, Any]]) -> ImportResult: ...
    def close(self) -> None: ...


def reservation_fields(
    request: GenerationRequest,
    estimate: Estimate,
    limits: BudgetLimits,
    *,
    provider_kind: str,
    command: str,
    batch_id: str | None,
    item_key: str | None,
) -> dict[str, Any]:
    """The fields of a "reserved" record (docs/ledger.md)."""
    from video_gen.redact import redact

    fields: dict[str, Any] = {
        "provider": request.provider,
        "provider_kind": provider_kind,
        "model": request.model,
        "seconds": request.seconds,
        "size": request.size,
        "prompt": redact(request.prompt),
    }
    extras = {k: v for k, v in request.params().items() if k not in fields}
    if extras:
        fields["params"] = extras
    fields.update(
        estimate_usd=rec.check_usd(estimate.usd, "estimate.usd"),
        usd_per_second=estimate.usd_per_second,
        price_source=estimate.source,
        command=command,
    )
    if batch_id is not None:
        fields["batch_id"] = batch_id
    if item_key is not None:
        fields["item_key"] = item_key
    fields["limits"] = {
        "monthly_usd": limits.monthly_usd,
        "daily_usd": limits.daily_usd,
        "per_video_usd": limits.per_video_usd,
    }
    return fields


def stamped(fields: dict[str, Any]) -> dict[str, Any]:
    """``fields`` with ``origin`` (machine, user, CI job) added, unless the caller set one."""
    from video_gen.ledger.origin import stamp

    if "origin" in fields:
        return fields
    return {**fields, "origin": stamp()}


def pending_creates(
    local_id: str, request: GenerationRequest, unanswered: list[dict[str, Any]]
) -> list[str]:
    """Of the "reserved" records of open jobs with no remote id yet, the other creates with the
    same parameters as ``request`` (a create still on the wire, or one lost like this one)."""
    from video_gen.redact import redact

    wanted = (
        request.provider,
        request.model,
        request.seconds,
        request.size,
        redact(request.prompt),
    )
    return [
        r["id"]
        for r in unanswered
        if r["id"] != local_id
        and (r.get("provider"), r.get("model"), r.get("seconds"), r.get("size"), r.get("prompt"))
        == wanted
    ]


def live(reserved: dict[str, Any]) -> bool:
    """Whether the process that wrote this "reserved" record may still be creating its job."""
    from video_gen import owner

    origin = reserved.get("origin")
    host = origin.get("host") if isinstance(origin, dict) else None
    try:
        at = rec.parse_ts(reserved["ts"]) if isinstance(reserved.get("ts"), str) else None
    except ValueError:
        at = None
    token = reserved.get("owner")
    return owner.alive(token if isinstance(token, str) else None, host, at)


def final_fields(
    local_id: str,
    open_estimate: int | None,
    known: list[dict[str, Any]] | None,
    fields: dict[str, Any],
    charge: float | None,
    location: str,
) -> dict[str, Any] | None:
    """The fields of a job's final record, or None when the job already ended.

    ``open_estimate`` is the job's reservation (micro-USD) when it is in flight; otherwise
    ``known`` are its records (an empty list: a job the ledger never saw, which is an error).
    """
    if open_estimate is None:
        if not known:
            raise UsageError(
                f"no job {local_id!r} in the ledger {location}",
                hint="list recorded jobs with: video-gen history",
            )
        if any(r["kind"] in rec.FINAL_KINDS for r in known):
            return None  # the first final record fixed the charge: a repeat changes nothing
    estimate = rec.from_micro(open_estimate) if open_estimate is not None else 0.0
    if charge is not None and open_estimate is not None and fields.get("actual_usd") is not None:
        # A paid provider's 0 (or a tenth of the estimate) is not believed (records.py).
        charged, warning = rec.believed_charge(
            local_id, charge, estimate, free=bool(fields.get("free"))
        )
        if warning is not None:
            return stamped({**fields, "warning": warning, "charged_usd": charged})
    return stamped({**fields, "charged_usd": estimate if charge is None else charge})


def choose(prefix: str, matched: dict[str, bool], views: Any) -> str:
    """The local id ``prefix`` names, given ``matched`` (local id -> matched exactly).

    One exact match wins over longer ids with that start; else it must match one job. ``views``
    folds some local ids into JobViews, to list the candidates of an ambiguous prefix.
    """
    exact = [k for k, is_exact in matched.items() if is_exact]
    if len(exact) == 1:
        return exact[0]
    if len(matched) == 1:
        return next(iter(matched))
    if not matched:
        raise UsageError(
            f"no job in the ledger has an id starting (or a local id ending) with {prefix!r}",
            hint="list recorded jobs with: video-gen history --all",
        )
    shown: dict[str, JobView] = views(sorted(matched)[:10])
    listed = "; ".join(
        f"{v.local_id} ({v.remote_id or 'no remote id'}, {v.model}, {v.created_at:%Y-%m-%d %H:%M})"
        for v in sorted(shown.values(), key=lambda v: (v.created_at, v.local_id))
    )
    more = f" and {len(matched) - 10} more" if len(matched) > 10 else ""
    raise AmbiguousIdError(
        f"{prefix!r} is ambiguous: it matches {len(matched)} jobs: {listed}{more}",
        hint="give more characters of the id",
    )


class LedgerBase:
    """The semantics of the ledger on top of a backend's primitives (the ``_`` methods)."""

    location: str

    # -- primitives a backend provides -----------------------------------------------------
    def _reserve(
        self,
        fields: dict[str, Any],
        estimate: int,
        limits: BudgetLimits,
        job: str,
        moment: datetime,
    ) -> tuple[str, list[str]]:
        """Atomically: check ``estimate`` against the committed money of ``moment``'s month and
        day (``check``), then append a "reserved" record with ``fields``; the new local id."""
        raise NotImplementedError

    def _append(self, kind: str, local_id: str, fields: dict[str, Any]) -> None:
        raise NotImplementedError

    def _finish(
        self, kind: str, local_id: str, fields: dict[str, Any], charge: float | None
    ) -> None:
        """Atomically append the final record ``final_fields`` makes, or nothing."""
        raise NotImplementedError

    def _claim(self, local_id: str, since: datetime, decide: ClaimDecision) -> Claim:
        """Under the lock that orders claims and records: ``decide`` from the remote ids known
        since ``since`` (less CLOCK_SLACK) and the unanswered open jobs reserved since then;
        append the "submitted" record it returns."""
        raise NotImplementedError

    def _totals(self, month: str) -> SpendTotals:
        raise NotImplementedError

    def _id_matches(self, prefix: str) -> dict[str, bool]:
        """Local ids whose local id or any remote id starts with ``prefix`` -> matched exactly."""
        raise NotImplementedError

    def _id_tail_matches(self, tail: str) -> list[str]:
        """Local ids that end with ``tail`` (a local id's random part, its short form)."""
        raise NotImplementedError

    def _views(self, local_ids: list[str]) -> dict[str, JobView]:
        raise NotImplementedError

    def _select(self, wanted: JobFilter, limit: int | None) -> list[JobView]:
        """Jobs matching ``wanted``, newest reservation first, at most ``limit``."""
        raise NotImplementedError

    # -- writes ----------------------------------------------------------------------------
    def reserve(
        self,
        request: GenerationRequest,
        estimate: Estimate,
        limits: BudgetLimits,
        *,
        provider_kind: str,
        command: str,
        batch_id: str | None = None,
        item_key: str | None = None,
        now: datetime | None = None,
    ) -> Reservation:
        """Check the budget and record the reservation, atomically across processes.

        Raises BudgetError (with the numbers, and the command that raises the limit as its
        hint) when ``estimate`` does not fit every limit in the UTC month and day of ``now``.
        """
        fields = reservation_fields(
            request,
            estimate,
            limits,
            provider_kind=provider_kind,
            command=command,
            batch_id=batch_id,
            item_key=item_key,
        )
        from video_gen import owner

        # Who is creating it: a later process tells a create still on the wire from one left
        # by a process that died (``video-gen recover``).
        token = owner.token()
        if token is not None:
            fields["owner"] = token
        amount = fields["estimate_usd"]
        moment = rec.as_utc(now) if now is not None else rec.utcnow()
        job = f"{request.model}, {request.seconds} s, {request.size}"
        local_id, warnings = self._reserve(
            stamped(fields), rec.to_micro(amount), limits, job, moment
        )
        return Reservation(local_id=local_id, estimate_usd=amount, warnings=warnings)

    def submitted(self, local_id: str, remote_id: str, status: str) -> None:
        """The create answered: record the remote id before anything else can go wrong."""
        self._record(rec.SUBMITTED, local_id, {"remote_id": remote_id, "status": status})

    def status(self, local_id: str, status: str, progress: int | None) -> None:
        self._record(rec.STATUS, local_id, {"status": status, "progress": progress})

    def alias(self, local_id: str, remote_id: str) -> None:
        """The server now calls the job ``remote_id`` too (LiteLLM re-stamps ids)."""
        self._record(rec.ALIAS, local_id, {"remote_id": remote_id})

    def in_doubt(self, local_id: str, reason: str) -> None:
        """The create may have made a job that cannot be looked up: the job stays open, its
        reservation kept, until ``settle`` (or ``recover``) says what became of it."""
        from video_gen.redact import redact

        self._record(rec.IN_DOUBT, local_id, {"reason": redact(reason)})

    def settle(self, local_id: str, *, charged_usd: float, reason: str, by: str = "user") -> None:
        """End an open job as the user declares: charged ``charged_usd`` (0: not charged)."""
        from video_gen.redact import redact

        amount = rec.check_usd(charged_usd, "charged_usd")
        self._finish(rec.SETTLED, local_id, {"reason": redact(reason), "by": by}, amount)

    def claim(
        self,
        local_id: str,
        request: GenerationRequest,
        candidates: Iterable[tuple[str, str]],
        *,
        since: datetime,
    ) -> Claim:
        """Adopt, for the create ``local_id``, the job a lookup found, if it is certainly ours.

        ``candidates`` are ``(remote id, status)`` of server jobs matching ``request`` made since
        the create began. Under the ledger lock: jobs already recorded by any other job are
        not ours; if exactly one is left and no other create with the same parameters is still
        waiting for its answer, it is recorded as this create's (submitted, ``recovered``).
        Otherwise nothing is recorded and the caller waits or records the create in doubt: a
        concurrent create's job must never be adopted.
        """
        found = list(candidates)

        def decide(
            known: frozenset[str], unanswered: list[dict[str, Any]]
        ) -> tuple[Claim, list[tuple[str, dict[str, Any]]]]:
            unclaimed = [(rid, status) for rid, status in found if rid not in known]
            # A rival left by a dead process is not on the wire: nothing to wait for, and
            # `recover` shares out what is left once this create has taken its job.
            pending = pending_creates(local_id, request, [r for r in unanswered if live(r)])
            if len(unclaimed) == 1 and not pending:
                remote_id, status = unclaimed[0]
                fields = {"remote_id": remote_id, "status": status, "recovered": True}
                return Claim(remote_id, 0, 0), [(local_id, stamped(fields))]
            return Claim(None, len(unclaimed), len(pending)), []

        return self._claim(local_id, rec.as_utc(since), decide)

    def claim_left(
        self,
        local_ids: list[str],
        request: GenerationRequest,
        candidates: Iterable[tuple[str, str]],
        *,
        since: datetime,
    ) -> tuple[dict[str, str], list[str], int]:
        """Share out, among creates left without an id by processes that died (``recover``),
        the jobs a lookup found for their parameters since the first of them began.

        ``local_ids`` (oldest first) all have ``request``'s parameters, so they are the same
        paid job: which of them gets which job changes no amount. Under the ledger lock: jobs
        another ledger job recorded are not theirs; when another create with the same
        parameters is still pending, or more jobs match than there are creates (some are not
        theirs), nothing is decided. Otherwise the jobs found, oldest first, are recorded for
        the creates still open, oldest first, and the creates left over had no job.

        Returns ``{local id: remote id}`` adopted, the local ids the server has no job for
        (for the caller to release), and the number of matching jobs left unclaimed.
        """
        found = list(candidates)
        decided: dict[str, Any] = {"adopted": {}, "none": []}

        def decide(
            known: frozenset[str], unanswered: list[dict[str, Any]]
        ) -> tuple[Claim, list[tuple[str, dict[str, Any]]]]:
            open_ids = {r["id"] for r in unanswered}
            left = [i for i in local_ids if i in open_ids]
            unclaimed = [(rid, status) for rid, status in found if rid not in known]
            rivals = [
                i
                for i in pending_creates(left[0] if left else "", request, unanswered)
                if i not in left
            ]
            if not left or rivals or len(unclaimed) > len(left):
                return Claim(None, len(unclaimed), len(rivals)), []
            records = [
                (local_id, stamped({"remote_id": rid, "status": status, "recovered": True}))
                for local_id, (rid, status) in zip(left, unclaimed, strict=False)
            ]
            decided["adopted"] = {local_id: f["remote_id"] for local_id, f in records}
            decided["none"] = left[len(records) :]
            return Claim(None, 0, 0), records

        claim = self._claim(local_ids[0], rec.as_utc(since), decide)
        return decided["adopted"], decided["none"], claim.unclaimed

    def completed(self, local_id: str, actual_usd: float | None, *, free: bool = False) -> None:
        """The job succeeded: it is charged ``actual_usd`` if known, else its estimate.

        A reported cost that is not an amount (negative, NaN, text, absurd like 1e308) is kept
        as ``reported_usd`` and the estimate charged: the completion itself must never be lost.
        A paid provider's (not ``free``) report of 0, or below a tenth of the estimate, is kept
        as ``actual_usd`` with a ``warning``, and the estimate charged (``final_fields``).
        """
        fields: dict[str, Any] = {"actual_usd": None}
        if actual_usd is not None:
            try:
                fields["actual_usd"] = rec.check_usd(actual_usd, "actual_usd")
            except (TypeError, ValueError):
                fields["reported_usd"] = repr(actual_usd)[:40]
        if free:
            fields["free"] = True
        self._finish(rec.COMPLETED, local_id, fields, fields["actual_usd"])

    def failed(self, local_id: str, status: str, code: str | None, message: str | None) -> None:
        """The job ended failed, cancelled or expired: its reservation is released, charged 0."""
        from video_gen.redact import redact

        fields = {"status": status, "code": code, "message": redact(message) if message else None}
        self._finish(rec.FAILED, local_id, fields, 0.0)

    def released(self, local_id: str, reason: str) -> None:
        """The create was refused or never reached the server: released, charged 0."""
        from video_gen.redact import redact

        self._finish(rec.RELEASED, local_id, {"reason": redact(reason)}, 0.0)

    def downloaded(self, local_id: str, variant: str, path: Path, sha256: str, size: int) -> None:
        fields = {
            "variant": variant,
            "path": str(Path(path).absolute()),
            "sha256": sha256,
            "bytes": size,
        }
        self._record(rec.DOWNLOADED, local_id, fields)

    def event(self, local_id: str, kind: str, **fields: Any) -> None:
        """Any other step of a job's timeline, e.g. ``event(id, "timeout", after_s=1800)``."""
        self._record(rec.check_event_kind(kind), local_id, fields)

    def _record(self, kind: str, local_id: str, fields: dict[str, Any]) -> None:
        if not local_id:
            raise ValueError("a record needs the job's local id")
        rec.make(kind, local_id, rec.utcnow(), fields)  # refuses envelope keys before any I/O
        self._append(kind, local_id, stamped(fields))

    # -- reads -----------------------------------------------------------------------------
    def would_fit(
        self, estimate_usd: float, limits: BudgetLimits, *, now: datetime | None = None
    ) -> bool:
        """Whether a job of ``estimate_usd`` would be reserved now (for --dry-run; no lock, so
        only ``reserve`` itself is the promise)."""
        return self.refusal(estimate_usd, limits, now=now) is None

    def refusal(
        self,
        estimate_usd: float,
        limits: BudgetLimits,
        *,
        job: str = "dry run",
        now: datetime | None = None,
    ) -> BudgetError | None:
        """The BudgetError ``reserve`` would raise now for a job of ``estimate_usd`` (naming the
        limit and the command that raises it), or None when it fits. ``job`` describes it."""
        micro = rec.to_micro(rec.check_usd(estimate_usd, "estimate_usd"))
        moment = rec.as_utc(now) if now is not None else rec.utcnow()
        totals = self._totals(moment.strftime("%Y-%m"))
        try:
            check(micro, committed(totals, moment), limits, job)
        except BudgetError as exc:
            return exc
        return None

    def get(self, id_or_prefix: str) -> JobView:
        """The job whose local or remote id starts with ``id_or_prefix`` (UsageError unless one)."""
        prefix = id_or_prefix.strip()
        if not prefix:
            raise UsageError(
                "give a job id (or the first characters of one)",
                hint="video-gen history lists them",
            )
        matched = self._id_matches(prefix)
        if not matched and rec.is_id_tail(prefix):
            # ids begin with the time, so jobs of one day share their first characters; the
            # random end of a local id (its last 5 characters) names it on its own
            matched = {local_id: False for local_id in self._id_tail_matches(prefix.lower())}
        chosen = choose(prefix, matched, self._views)
        return self._views([chosen])[chosen]

    def jobs(
        self,
        *,
        since: datetime | None = None,
        until: datetime | None = None,
        status: str | Iterable[str] | None = None,
        model: str | None = None,
        provider: str | None = None,
        search: str | None = None,
        batch: str | None = None,
        host: str | None = None,
        user: str | None = None,
        ci: str | None = None,
        limit: int | None = 20,
    ) -> list[JobView]:
        """Jobs newest first (by reservation), filtered; ``limit=None`` for all.

        ``status`` is a status (``completed``, ``queued``, ``released`` ...), ``in-flight``, or
        ``failed`` (also cancelled/expired), or several of them; ``model``, ``host``, ``user``
        and ``ci`` may be globs; ``provider`` matches the provider's name or kind; ``search``
        is case-insensitive text of the prompt.
        """
        if isinstance(status, str):
            status = [s for s in status.split(",") if s.strip()]
        wanted = JobFilter(
            since=rec.as_utc(since) if since is not None else None,
            until=rec.as_utc(until) if until is not None else None,
            status=tuple(status or ()),
            model=model,
            provider=provider,
            search=search,
            batch=batch,
            host=host,
            user=user,
            ci=ci,
        )
        if limit is not None and limit <= 0:
            return []
        return self._select(wanted, limit)

    def open_jobs(self, provider: str | None = None) -> list[JobView]:
        """Every job still in flight (of the provider named ``provider``), oldest first: what
        ``recover`` reconciles. Every spending command asks, so a backend makes it cheap."""
        views = self.jobs(status="in-flight", limit=None)
        return [v for v in reversed(views) if provider is None or v.provider == provider]

    def month(
        self,
        month: str | None = None,
        *,
        limits: BudgetLimits | None = None,
        now: datetime | None = None,
    ) -> MonthSummary:
        """Spending of a UTC month (``2026-11``; default the current one) against the limits
        (default: ``self.limits()``, the ledger's own or the config's)."""
        moment = rec.as_utc(now) if now is not None else rec.utcnow()
        key = self._month_key(month, moment)
        if limits is None:
            limits = self.limits()
        return month_summary(self._totals(key), key, limits, moment)

    def limits(self, config: Config | None = None) -> BudgetLimits:
        """The config's ``[budget]`` (a shared backend overrides this with its own)."""
        if config is None:
            from video_gen.config import Config

            config = Config.load()
        return BudgetLimits.from_config(config)

    def set_limits(self, changes: dict[str, float], config: Config) -> tuple[BudgetLimits, str]:
        for key, value in changes.items():
            config.set(f"budget.{key}", float(value))
        limits = BudgetLimits.from_config(config)
        config.save()
        return limits, str(config.path)

    @staticmethod
    def _month_key(month: str | None, moment: datetime) -> str:
        try:
            return rec.check_month(month) if month else moment.strftime("%Y-%m")
        except ValueError as exc:
            raise UsageError(str(exc), hint="write the month as YYYY-MM, e.g. 2026-11") from None

    def report(
        self,
        month: str | None = None,
        fmt: str = "md",
        *,
        limits: BudgetLimits | None = None,
        now: datetime | None = None,
    ) -> str:
        """The month's report (``md``, ``csv`` or ``json``): every job reserved in it, totals
        and the limit, all read from one state of the ledger so the totals agree."""
        from video_gen.ledger import report

        if fmt not in report.FORMATS:
            raise UsageError(
                f"unknown report format {fmt!r}",
                hint=f"use one of: {', '.join(report.FORMATS)}",
            )
        if limits is None:
            limits = self.limits()
        with self._consistent():
            summary = self.month(month, limits=limits, now=now)
            start, end = month_bounds(summary.month)
            jobs = self._select(JobFilter(since=start, until=end), None)
        return report.render(fmt, summary, jobs)

    def _consistent(self) -> Any:
        """A context in which reads see one state of the ledger (a snapshot)."""
        raise NotImplementedError

    def warnings(self) -> list[str]:
        return []

    def migrate(self) -> str:
        return f"{self.location}: nothing to migrate (a JSON Lines file has no schema)"

    def close(self) -> None:
        return None

    def __enter__(self) -> LedgerBase:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
