"""The PostgreSQL backend: one ledger, one budget, shared by every machine pointing at it.

Writes append to ``records`` and, in the same transaction, re-fold the job's records with
``query.fold`` into its ``jobs`` row and move its share of ``spend`` (``query.job_share``): the
very code the JSON Lines backend reads with, so both backends always agree.

Check-and-reserve serialises on one transaction-scoped advisory lock (``RESERVE_LOCK``): taken
first, it makes every reservation, on every machine, read the totals after the previous one
committed and commit before the next one reads. Why not row locks: the check is over a sum (a
month's spend), not a row; an advisory lock needs no row to exist, never blocks the readers of
``budget``/``history``, and is released by the server at commit, rollback or when the session
dies, so a killed runner cannot leave it held. The transactions run at READ COMMITTED so the
statements after the lock see what the previous holder committed.
"""

from __future__ import annotations

import hashlib
import json
import threading
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from datetime import date, datetime
from typing import TYPE_CHECKING, Any, overload

from video_gen.ledger import records as rec
from video_gen.ledger.backend import (
    CLOCK_SLACK,
    Claim,
    ClaimDecision,
    ImportResult,
    LedgerBase,
    final_fields,
)
from video_gen.ledger.budget import BudgetLimits, check
from video_gen.ledger.origin import stamp
from video_gen.ledger.postgres import schema
from video_gen.ledger.postgres.connection import Attempt, Database
from video_gen.ledger.query import (
    SPEND_COLUMNS,
    JobFilter,
    JobView,
    SpendTotals,
    committed,
    fold,
    job_share,
)

if TYPE_CHECKING:
    import psycopg

    from video_gen.config import Config

    Cursor = psycopg.Cursor[Any]

_PAGE = 200  # jobs per query while listing history
_SPEND_COLUMNS = SPEND_COLUMNS  # the spend table's money columns, in this order


class PostgresLedger(LedgerBase):
    """The ledger in the database at ``url`` (created and migrated on first use)."""

    def __init__(self, url: str, *, retry_seconds: float, statement_timeout: float) -> None:
        from video_gen.redact import mask_url

        self.location = mask_url(url)
        self.db = Database(
            url,
            self.location,
            retry_seconds=retry_seconds,
            statement_timeout=statement_timeout,
        )
        self._mutex = threading.RLock()
        self._pinned: Cursor | None = None  # a report's snapshot
        self._ready = False

    # -- plumbing --------------------------------------------------------------------------
    def _ensure_schema(self) -> None:
        if self._ready:
            return
        version = self.db.run(lambda cur, _: schema.current_version(cur), what="schema check")
        if version is None or version < schema.LATEST:
            self.db.run(lambda cur, _: schema.migrate(cur, stamp()), what="migration")
        elif version > schema.LATEST:
            from video_gen.errors import ConfigError

            raise ConfigError(
                f"the ledger database {self.location} has schema version {version}, newer than"
                f" this video-gen knows ({schema.LATEST})",
                hint="upgrade video-gen on this machine (pip install -U video-gen)",
            )
        self._ready = True

    def _write(self, fn: Any, what: str) -> Any:
        with self._mutex:
            self._ensure_schema()
            return self.db.run(fn, what=what)  # READ COMMITTED: set for the session

    def _read(self, fn: Any, what: str) -> Any:
        with self._mutex:
            if self._pinned is not None:
                return fn(self._pinned, Attempt())
            self._ensure_schema()
            return self.db.run(fn, what=what)

    # -- the primitives --------------------------------------------------------------------
    def _reserve(
        self,
        fields: dict[str, Any],
        estimate: int,
        limits: BudgetLimits,
        job: str,
        moment: datetime,
    ) -> tuple[str, list[str]]:
        month = moment.strftime("%Y-%m")

        def tx(cur: Cursor, attempt: Attempt) -> tuple[str, list[str]]:
            cur.execute("SELECT pg_advisory_xact_lock(%s)", (schema.RESERVE_LOCK,))
            totals, newest = _totals(cur, month, newest=True)
            warnings = check(estimate, committed(totals, moment), limits, job)
            local_id = rec.new_local_id(after=newest)
            # A new id: nobody else can hold its row (ids are made under this lock).
            _store(cur, rec.make(rec.RESERVED, local_id, moment, fields), attempt, job={})
            attempt.result = (local_id, warnings)
            return local_id, warnings

        result: tuple[str, list[str]] = self._write(tx, "reservation")
        return result

    def _append(self, kind: str, local_id: str, fields: dict[str, Any]) -> None:
        record = rec.make(kind, local_id, rec.utcnow(), fields)

        def tx(cur: Cursor, attempt: Attempt) -> None:
            _store(cur, record, attempt, job=_lock_job(cur, local_id))

        self._write(tx, f"{kind} record")

    def _finish(
        self, kind: str, local_id: str, fields: dict[str, Any], charge: float | None
    ) -> None:
        moment = rec.utcnow()

        def tx(cur: Cursor, attempt: Attempt) -> None:
            state = _lock_job(cur, local_id)
            estimate = state["estimate"] if state["in_flight"] else None
            known = None if estimate is not None else _records_of(cur, [local_id])
            final = final_fields(local_id, estimate, known, fields, charge, self.location)
            if final is not None:
                _store(cur, rec.make(kind, local_id, moment, final), attempt, job=state)

        self._write(tx, f"{kind} record")

    def _claim(self, local_id: str, since: datetime, decide: ClaimDecision) -> Claim:
        stop = since - CLOCK_SLACK

        def tx(cur: Cursor, attempt: Attempt) -> Claim:
            cur.execute("SELECT pg_advisory_xact_lock(%s)", (schema.CLAIM_LOCK,))
            # One statement, one snapshot: a concurrent create's "submitted" is either seen as
            # a known id or its job as still unanswered, never neither.
            cur.execute(
                "SELECT remote_id, NULL::json FROM video_gen.remote_ids WHERE ts >= %(stop)s"
                " UNION ALL SELECT NULL, r.body FROM video_gen.jobs j"
                " JOIN video_gen.records r ON r.seq = j.reserved_seq"
                " WHERE j.in_flight AND j.created_at >= %(stop)s AND NOT EXISTS"
                " (SELECT 1 FROM video_gen.remote_ids x WHERE x.local_id = j.local_id)",
                {"stop": stop},
            )
            known: set[str] = set()
            unanswered: list[dict[str, Any]] = []
            for remote, body in cur.fetchall():
                if remote is not None:
                    known.add(remote)
                else:
                    unanswered.append(body)
            claim, fields = decide(frozenset(known), unanswered)
            if fields is not None:
                record = rec.make(rec.SUBMITTED, local_id, rec.utcnow(), fields)
                _store(cur, record, attempt, job=_lock_job(cur, local_id))
            attempt.result = claim
            return claim

        result: Claim = self._write(tx, "claim of a recovered job")
        return result

    def _totals(self, month: str) -> SpendTotals:
        result: SpendTotals = self._read(lambda cur, _: _totals(cur, month), "budget read")
        return result

    def _id_matches(self, prefix: str) -> dict[str, bool]:
        like = _like_prefix(prefix)

        def tx(cur: Cursor, _: Attempt) -> dict[str, bool]:
            cur.execute(
                "SELECT local_id, local_id = %(p)s FROM video_gen.jobs WHERE local_id LIKE %(l)s"
                " UNION ALL SELECT local_id, remote_id = %(p)s FROM video_gen.remote_ids"
                " WHERE remote_id LIKE %(l)s",
                {"p": prefix, "l": like},
            )
            matched: dict[str, bool] = {}
            for local_id, exact in cur.fetchall():
                matched[local_id] = matched.get(local_id, False) or bool(exact)
            return matched

        result: dict[str, bool] = self._read(tx, "job lookup")
        return result

    def _id_tail_matches(self, tail: str) -> list[str]:
        like = "%" + _like_prefix(tail)[:-1]

        def tx(cur: Cursor, _: Attempt) -> list[str]:
            cur.execute(
                "SELECT local_id FROM video_gen.jobs WHERE local_id LIKE %(l)s ORDER BY local_id",
                {"l": like},
            )
            return [row[0] for row in cur.fetchall()]

        found: list[str] = self._read(tx, "job lookup")
        return found

    def _views(self, local_ids: list[str]) -> dict[str, JobView]:
        def tx(cur: Cursor, _: Attempt) -> dict[str, JobView]:
            return fold(_records_of(cur, local_ids))

        views: dict[str, JobView] = self._read(tx, "job lookup")
        return {k: views[k] for k in local_ids if k in views}

    def _select(self, wanted: JobFilter, limit: int | None) -> list[JobView]:
        where, params = _prefilter(wanted)

        def tx(cur: Cursor, _: Attempt) -> list[JobView]:
            found: list[JobView] = []
            before: int | None = None
            page = _PAGE if limit is None else max(limit, 20)
            while True:
                bound = "" if before is None else " AND reserved_seq < %(before)s"
                cur.execute(
                    "SELECT local_id, reserved_seq FROM video_gen.jobs"
                    f" WHERE reserved_seq IS NOT NULL{where}{bound}"
                    " ORDER BY reserved_seq DESC LIMIT %(page)s",
                    {**params, "before": before, "page": page},
                )
                rows = cur.fetchall()
                if not rows:
                    return found
                views = fold(_records_of(cur, [r[0] for r in rows]))
                for local_id, _seq in rows:
                    job = views[local_id]
                    if wanted.matches(job):
                        found.append(job)
                        if limit is not None and len(found) >= limit:
                            return found
                if len(rows) < page:
                    return found
                before = rows[-1][1]
                page = min(page * 2, 5000)

        result: list[JobView] = self._read(tx, "history read")
        return result

    @contextmanager
    def _consistent(self) -> Iterator[None]:
        """Reads inside see one snapshot (a REPEATABLE READ, read-only transaction)."""
        with self._mutex:
            self._ensure_schema()
            conn = self.db.connection()
            with conn.cursor() as cur:
                cur.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY")
                self._pinned = cur
                try:
                    yield
                finally:
                    self._pinned = None
                    conn.rollback()

    # -- reads -----------------------------------------------------------------------------
    def find_remote(self, remote_id: str) -> JobView | None:
        if not remote_id:
            return None

        def tx(cur: Cursor, _: Attempt) -> str | None:
            cur.execute(
                "SELECT local_id FROM video_gen.remote_ids WHERE remote_id = %s"
                " ORDER BY seq DESC LIMIT 1",
                (remote_id,),
            )
            row = cur.fetchone()
            return None if row is None else str(row[0])

        local_id: str | None = self._read(tx, "job lookup")
        return None if local_id is None else self._views([local_id]).get(local_id)

    def known_remote_ids(self, *, since: datetime) -> frozenset[str]:
        stop = rec.as_utc(since) - CLOCK_SLACK

        def tx(cur: Cursor, _: Attempt) -> frozenset[str]:
            cur.execute(
                "SELECT DISTINCT remote_id FROM video_gen.remote_ids WHERE ts >= %s", (stop,)
            )
            return frozenset(str(r[0]) for r in cur.fetchall())

        result: frozenset[str] = self._read(tx, "lookup of known remote ids")
        return result

    def has_records(self) -> bool:
        def tx(cur: Cursor, _: Attempt) -> bool:
            cur.execute("SELECT EXISTS (SELECT 1 FROM video_gen.records)")
            row = cur.fetchone()
            return bool(row and row[0])

        result: bool = self._read(tx, "read")
        return result

    def records(self) -> Iterator[dict[str, Any]]:
        """Every record in the order it was appended, streamed (a server-side cursor)."""
        with self._mutex:
            self._ensure_schema()
            conn = self.db.connection()
            try:
                with conn.cursor(name="video_gen_export") as cur:
                    cur.itersize = 5000
                    cur.execute("SELECT body FROM video_gen.records ORDER BY seq")
                    for (body,) in cur:
                        yield body
            finally:
                conn.rollback()

    # -- limits ------------------------------------------------------------------------------
    def limits(self, config: Config | None = None) -> BudgetLimits:
        """The limits stored in the database, shared by every machine (seeded, the first time,
        from this machine's ``[budget]``; the config is read only then)."""

        def seed() -> BudgetLimits:
            return LedgerBase.limits(self, config)

        def tx(cur: Cursor, _: Attempt) -> BudgetLimits:
            return _budget_row(cur, seed)

        result: BudgetLimits = self._write(tx, "budget read")
        return result

    def set_limits(self, changes: dict[str, float], config: Config) -> tuple[BudgetLimits, str]:
        def seed() -> BudgetLimits:
            return LedgerBase.limits(self, config)

        def tx(cur: Cursor, _: Attempt) -> BudgetLimits:
            current = _budget_row(cur, seed, lock=True)
            values = {
                "monthly_usd": current.monthly_usd,
                "daily_usd": current.daily_usd or 0.0,
                "per_video_usd": current.per_video_usd or 0.0,
                "warn_ratio": current.warn_ratio,
            }
            values.update(changes)
            limits = BudgetLimits(
                monthly_usd=values["monthly_usd"],
                daily_usd=values["daily_usd"] or None,
                per_video_usd=values["per_video_usd"] or None,
                warn_ratio=values["warn_ratio"],
            )
            cur.execute(
                "UPDATE video_gen.budget SET monthly = %s, daily = %s, per_video = %s,"
                " warn_ratio = %s, updated_at = now(), updated_by = %s",
                (*_limit_micros(limits), limits.warn_ratio, json.dumps(stamp())),
            )
            return limits

        limits: BudgetLimits = self._write(tx, "budget change")
        return limits, f"the ledger database {self.location}"

    # -- administration --------------------------------------------------------------------
    def migrate(self) -> str:
        with self._mutex:
            before = self.db.run(lambda cur, _: schema.current_version(cur), what="schema check")
            applied: list[int] = self.db.run(
                lambda cur, _: schema.migrate(cur, stamp()), what="migration"
            )
            self._ready = True
        if applied:
            return (
                f"{self.location}: schema migrated from version {before or 0} to"
                f" {schema.LATEST} (applied {', '.join(map(str, applied))})"
            )
        return f"{self.location}: schema is at version {schema.LATEST}, nothing to do"

    def import_records(self, records: Iterable[dict[str, Any]]) -> ImportResult:
        from video_gen.ledger.postgres.transfer import import_into

        with self._mutex:
            self._ensure_schema()
            return import_into(self.db, records)

    def close(self) -> None:
        self.db.close()


# -- storing a record --------------------------------------------------------------------------
def line_of(record: dict[str, Any]) -> tuple[str, bytes]:
    """The record's JSON line (no newline) and its sha256."""
    line = rec.encode(record)[:-1]
    return line.decode("utf-8"), hashlib.sha256(line).digest()


def _lock_job(cur: Cursor, local_id: str) -> dict[str, Any]:
    """Take the job's row lock (creating its row), so its records fold in one order; the
    row's money state and its share of ``spend`` (what ``refold`` moves it from)."""
    cur.execute(
        "INSERT INTO video_gen.jobs (local_id) VALUES (%s) ON CONFLICT DO NOTHING", (local_id,)
    )
    cur.execute(
        "SELECT in_flight, estimate, share_day, provider, model, share FROM video_gen.jobs"
        " WHERE local_id = %s FOR UPDATE",
        (local_id,),
    )
    row = cur.fetchone()
    assert row is not None
    in_flight, estimate, day, provider, model, share = row
    return {
        "in_flight": bool(in_flight),
        "estimate": int(estimate or 0),
        "share": None if day is None else (day, provider or "", model or "", share),
    }


def _store(cur: Cursor, record: dict[str, Any], attempt: Attempt, *, job: dict[str, Any]) -> None:
    """Append ``record`` and bring its job's row and share of spend up to date. ``job`` is the
    locked row's state from ``_lock_job``, or ``{}`` for a job that has no row yet."""
    text, digest = line_of(record)
    local_id = record["id"]
    occurrence = 0
    while True:  # an identical record already there (same millisecond, same fields): n+1-th
        cur.execute(
            "INSERT INTO video_gen.records (local_id, kind, ts, digest, occurrence, body)"
            " VALUES (%s, %s, %s, %s, %s, %s::json)"
            " ON CONFLICT (digest, occurrence) DO NOTHING RETURNING seq",
            (local_id, record["kind"], rec.parse_ts(record["ts"]), digest, occurrence, text),
        )
        row = cur.fetchone()
        if row is not None:
            break
        occurrence += 1
    attempt.keys.append((digest, occurrence))
    seq = int(row[0])
    for remote in rec.remote_ids_of(record):
        cur.execute(
            "INSERT INTO video_gen.remote_ids (remote_id, local_id, seq, ts)"
            " VALUES (%s, %s, %s, %s) ON CONFLICT DO NOTHING",
            (remote, local_id, seq, rec.parse_ts(record["ts"])),
        )
    if job:
        cur.execute(
            "SELECT seq, body FROM video_gen.records WHERE local_id = %s ORDER BY seq",
            (local_id,),
        )
        rows = cur.fetchall()
    else:
        rows = [(seq, record)]  # its first record: nothing to read back
    refold(cur, local_id, rows, job.get("share"), new=not job)


def refold(cur: Cursor, local_id: str, rows: list[Any], old: Any, *, new: bool = False) -> None:
    """Recompute the job's row from all its records ``rows`` ((seq, record) in order) with the
    shared ``fold``, and move its share of ``spend`` from ``old`` to the new one."""
    view = fold([body for _, body in rows])[local_id]
    reserved_seq = next((seq for seq, body in rows if body["kind"] == rec.RESERVED), None)
    values = job_row(view, reserved_seq)
    if new:
        columns = ["local_id", *values]
        cur.execute(
            f"INSERT INTO video_gen.jobs ({', '.join(columns)}) VALUES"
            f" ({', '.join(f'%({c})s' for c in columns)})",
            {**values, "local_id": local_id},
        )
    else:
        cur.execute(
            "UPDATE video_gen.jobs SET "
            + ", ".join(f"{column} = %({column})s" for column in values)
            + " WHERE local_id = %(local_id)s",
            {**values, "local_id": local_id},
        )
    deltas: dict[tuple[date, str, str], list[int]] = {}
    if old is not None:
        _add(deltas, old[:3], [-int(v) for v in old[3]])
    if values["share_day"] is not None:
        _add(deltas, (values["share_day"], view.provider, view.model), values["share"])
    apply_spend(cur, deltas)


def job_row(view: JobView, reserved_seq: int | None) -> dict[str, Any]:
    """The ``jobs`` columns of a folded job."""
    share = job_share(view)
    return {
        "reserved_seq": reserved_seq,
        "created_at": view.created_at if reserved_seq is not None else None,
        "updated_at": view.updated_at,
        "provider": view.provider,
        "provider_kind": view.provider_kind,
        "model": view.model,
        "seconds": view.seconds,
        "estimate": rec.to_micro(view.estimate_usd),
        "charged": None if view.charged_usd is None else rec.to_micro(view.charged_usd),
        "in_flight": view.in_flight,
        "outcome": view.ended_by,
        "status": view.status,
        "remote_id": view.remote_id,
        "batch_id": view.batch_id,
        "host": view.host,
        "os_user": view.user,
        "ci": view.ci,
        "prompt": view.prompt,
        "share_day": None if share is None else date.fromisoformat(share[0]),
        "share": None if share is None else share[2],
    }


def _add(deltas: dict[tuple[date, str, str], list[int]], key: Any, row: list[int]) -> None:
    total = deltas.setdefault(key, [0] * len(_SPEND_COLUMNS))
    for i, value in enumerate(row):
        total[i] += value


def apply_spend(cur: Cursor, deltas: dict[tuple[date, str, str], list[int]]) -> None:
    for (day, provider, model), row in deltas.items():
        if not any(row):
            continue
        cur.execute(
            "INSERT INTO video_gen.spend (day, provider, model, "
            + ", ".join(_SPEND_COLUMNS)
            + ") VALUES (%s, %s, %s, "
            + ", ".join(["%s"] * len(_SPEND_COLUMNS))
            + ") ON CONFLICT (day, provider, model) DO UPDATE SET "
            + ", ".join(f"{c} = video_gen.spend.{c} + EXCLUDED.{c}" for c in _SPEND_COLUMNS),
            (day, provider, model, *row),
        )


# -- reading ---------------------------------------------------------------------------------
@overload
def _totals(cur: Cursor, month: str) -> SpendTotals: ...
@overload
def _totals(cur: Cursor, month: str, *, newest: bool) -> tuple[SpendTotals, str | None]: ...
def _totals(cur: Cursor, month: str, *, newest: bool = False) -> Any:
    """The month's ``spend``; with ``newest``, also the newest reserved local id (one query: a
    reservation holds the lock meanwhile, so every round trip counts)."""
    from video_gen.ledger.query import month_bounds

    start, end = month_bounds(month)
    spend = (
        "SELECT day, provider, model, "
        + ", ".join(_SPEND_COLUMNS)
        + " FROM video_gen.spend WHERE day >= %(start)s AND day < %(end)s"
    )
    if newest:
        spend = (
            "SELECT m.last, s.* FROM (SELECT max(local_id) AS last FROM video_gen.jobs"
            f" WHERE reserved_seq IS NOT NULL) m LEFT JOIN ({spend}) s ON true"
        )
    cur.execute(spend, {"start": start.date(), "end": end.date()})
    totals = SpendTotals(month, {}, {})
    last = None
    for row in cur.fetchall():
        if newest:
            last, row = row[0], row[1:]
        day, provider, model, *money = row
        if day is not None and any(money):
            totals.add(day.isoformat(), f"{provider}/{model}", [int(v) for v in money])
    return (totals, last) if newest else totals


def _records_of(cur: Cursor, local_ids: list[str]) -> list[dict[str, Any]]:
    cur.execute(
        "SELECT body FROM video_gen.records WHERE local_id = ANY(%s) ORDER BY seq",
        (list(local_ids),),
    )
    return [row[0] for row in cur.fetchall()]


def _like_prefix(prefix: str) -> str:
    return prefix.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def _glob_like(glob: str) -> str | None:
    """A shell glob as a LIKE pattern (lower case), or None for one LIKE cannot express."""
    if "[" in glob:
        return None
    escaped = glob.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return escaped.replace("*", "%").replace("?", "_")


def _prefilter(wanted: JobFilter) -> tuple[str, dict[str, Any]]:
    """SQL that narrows history to candidates. Every job is still checked with
    ``JobFilter.matches`` (the one definition of the filters), so this only has to keep every
    job that could match: it makes the common filters fast at a million jobs."""
    where: list[str] = []
    params: dict[str, Any] = {}
    if wanted.since is not None:
        where.append("created_at >= %(since)s")
        params["since"] = wanted.since
    if wanted.until is not None:
        where.append("created_at < %(until)s")
        params["until"] = wanted.until
    if wanted.batch is not None:
        where.append("batch_id = %(batch)s")
        params["batch"] = wanted.batch
    if wanted.provider is not None:
        where.append("(lower(provider) = %(provider)s OR lower(provider_kind) = %(provider)s)")
        params["provider"] = wanted.provider.lower()
    if wanted.status:
        alternatives = []
        plain = []
        for status in (s.strip().lower() for s in wanted.status):
            if status in ("in-flight", "in_flight", "inflight"):
                alternatives.append("in_flight")
            elif status == "failed":
                alternatives.append("outcome = 'failed'")
            else:
                plain.append(status)
        if plain:
            alternatives.append("lower(status) = ANY(%(statuses)s)")
            params["statuses"] = plain
        where.append("(" + " OR ".join(alternatives) + ")")
    for name, column, glob in (
        ("model", "model", wanted.model),
        ("host", "host", wanted.host),
        ("user", "os_user", wanted.user),
        ("ci", "ci", wanted.ci),
    ):
        like = None if glob is None else _glob_like(glob)
        if like is not None:
            where.append(f"lower(coalesce({column}, '')) LIKE %({name})s")
            params[name] = like
    if wanted.search is not None and wanted.search.isascii():
        # For ASCII text, casefold() is lower(): the database's lower() keeps every match.
        where.append("prompt ILIKE %(search)s")
        params["search"] = "%" + _like_prefix(wanted.search.lower())[:-1] + "%"
    return "".join(f" AND {w}" for w in where), params


# -- limits ----------------------------------------------------------------------------------
def _limit_micros(limits: BudgetLimits) -> tuple[int, int | None, int | None]:
    return (
        rec.to_micro(limits.monthly_usd),
        None if limits.daily_usd is None else rec.to_micro(limits.daily_usd),
        None if limits.per_video_usd is None else rec.to_micro(limits.per_video_usd),
    )


def _budget_row(
    cur: Cursor, seed: Callable[[], BudgetLimits], *, lock: bool = False
) -> BudgetLimits:
    """The shared limits; the first machine to ask stores its own ``seed()`` as them."""
    select = "SELECT monthly, daily, per_video, warn_ratio FROM video_gen.budget" + (
        " FOR UPDATE" if lock else ""
    )
    cur.execute(select)
    row = cur.fetchone()
    if row is None:
        first = seed()
        cur.execute(
            "INSERT INTO video_gen.budget (monthly, daily, per_video, warn_ratio, updated_by)"
            " VALUES (%s, %s, %s, %s, %s) ON CONFLICT DO NOTHING",
            (*_limit_micros(first), first.warn_ratio, json.dumps(stamp())),
        )
        cur.execute(select)
        row = cur.fetchone()
    assert row is not None
    monthly, daily, per_video, ratio = row
    return BudgetLimits(
        monthly_usd=rec.from_micro(int(monthly)),
        daily_usd=None if daily is None else rec.from_micro(int(daily)),
        per_video_usd=None if per_video is None else rec.from_micro(int(per_video)),
        warn_ratio=float(ratio),
    )
