"""One connection to the ledger database, transactions retried across lost connections.

Every ledger operation is one transaction run by ``Database.run``. When the connection is lost
or a statement times out, it reconnects with exponential backoff (the ``backoff`` library, full
jitter, capped at 2 s between tries) and runs the transaction again, for up to
``ledger.retry_seconds``; then it fails closed with ``LedgerUnavailableError`` (exit 7).

Re-running is only safe if the first run did not commit. A connection can die after the server
committed but before the client heard so; so each transaction notes the records it inserted
(their digest and occurrence, unique in ``records``) and, before running again, the retry looks
them up: found means it committed, and its result is returned instead of appending twice.
"""

from __future__ import annotations

import contextlib
import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

import psycopg
from psycopg import errors as pg_errors

from video_gen.errors import ConfigError, VideoGenError
from video_gen.exit_codes import ExitCode
from video_gen.ledger.postgres import schema

T = TypeVar("T")
log = logging.getLogger("video_gen.ledger.postgres")

CONNECT_TIMEOUT = 5  # seconds, unless the URL says otherwise
# A client that stops mid-transaction (hung, paused in a debugger) must not hold the
# reservation lock for ever: the server ends its session after this long idle in a transaction.
IDLE_IN_TRANSACTION_MS = 60_000
_RETRYABLE = (psycopg.OperationalError, psycopg.InterfaceError)
# SQLSTATEs no retry can fix: bad credentials, a missing database, no permission.
_FATAL = {"28P01": "password", "28000": "access", "3D000": "database", "42501": "permission"}


class LedgerUnavailableError(VideoGenError):
    """The ledger database could not be reached (or kept timing out) for retry_seconds."""

    exit_code = ExitCode.UNAVAILABLE


@dataclass
class Attempt:
    """What one run of a transaction inserted, to tell after a lost connection if it landed."""

    keys: list[tuple[bytes, int]] = field(default_factory=list)
    result: Any = None


class Database:
    """A connection to ``url`` shared by a process's threads, one transaction at a time."""

    def __init__(
        self,
        url: str,
        location: str,
        *,
        retry_seconds: float,
        statement_timeout: float,
    ) -> None:
        self.url = url
        self.location = location
        self.retry_seconds = retry_seconds
        self.statement_timeout = statement_timeout
        self._conn: psycopg.Connection[Any] | None = None
        self._lock = threading.RLock()
        self.on_connect: Callable[[psycopg.Cursor[Any]], None] | None = None

    # -- connecting ------------------------------------------------------------------------
    def _connect(self) -> psycopg.Connection[Any]:
        from psycopg.conninfo import conninfo_to_dict, make_conninfo

        params = conninfo_to_dict(self.url)
        params.setdefault("connect_timeout", CONNECT_TIMEOUT)
        params.setdefault("application_name", "video-gen")
        # Keepalives: a server that vanished (a cable, a VM) is noticed in seconds, not hours.
        for key, value in (
            ("keepalives", 1),
            ("keepalives_idle", 10),
            ("keepalives_interval", 5),
            ("keepalives_count", 3),
        ):
            params.setdefault(key, value)
        conn = psycopg.connect(make_conninfo("", **params))
        try:
            timeout_ms = max(1, round(self.statement_timeout * 1000))
            with conn.cursor() as cur:
                cur.execute(
                    f"SET statement_timeout = {timeout_ms};"
                    f" SET lock_timeout = {timeout_ms};"
                    f" SET idle_in_transaction_session_timeout = {IDLE_IN_TRANSACTION_MS};"
                    # Each statement of a reservation must see what the previous holder of
                    # the lock committed: READ COMMITTED, whatever the server's default.
                    " SET default_transaction_isolation = 'read committed';"
                    " SET TIME ZONE 'UTC'"
                )
                if self.on_connect is not None:
                    self.on_connect(cur)
            conn.commit()
        except BaseException:
            conn.close()
            raise
        return conn

    def connection(self) -> psycopg.Connection[Any]:
        with self._lock:
            if self._conn is None or self._conn.closed or self._conn.broken:
                self._drop()
                self._conn = self._connect()
            return self._conn

    def _drop(self) -> None:
        conn, self._conn = self._conn, None
        if conn is not None:
            with contextlib.suppress(psycopg.Error):
                conn.close()

    def close(self) -> None:
        with self._lock:
            self._drop()

    # -- transactions ----------------------------------------------------------------------
    def run(
        self,
        fn: Callable[[psycopg.Cursor[Any], Attempt], T],
        *,
        what: str,
        isolation: str | None = None,
    ) -> T:
        """``fn(cursor, attempt)`` in one transaction, committed; retried as the module says.

        Errors ``fn`` raises itself (a BudgetError, a UsageError) roll back and pass through.
        """
        import backoff

        attempt = Attempt()
        tried = False

        def once() -> T:
            nonlocal tried
            with self._lock:
                conn = self.connection()
                if tried and attempt.keys and self._landed(conn, attempt.keys):
                    log.debug("ledger: the %s committed before the connection was lost", what)
                    return attempt.result  # type: ignore[no-any-return]
                tried = True
                attempt.keys.clear()
                try:
                    with conn.cursor() as cur:
                        if isolation:
                            cur.execute(f"SET TRANSACTION ISOLATION LEVEL {isolation}")
                        result = fn(cur, attempt)
                    conn.commit()
                except _RETRYABLE:
                    self._drop()  # whatever state it is in, the next try starts afresh
                    raise
                except BaseException:
                    self._rollback(conn)
                    raise
                return result

        def on_backoff(details: Any) -> None:
            exc = details.get("exception")
            log.debug(
                "ledger database %s: %s during the %s; try %d in %.1fs",
                self.location,
                _reason(exc),
                what,
                details["tries"] + 1,
                details["wait"],
            )

        retried = backoff.on_exception(
            backoff.expo,
            _RETRYABLE,
            max_time=self.retry_seconds,
            max_value=2.0,
            jitter=backoff.full_jitter,
            giveup=_fatal,
            on_backoff=on_backoff,
            logger=None,
        )(once)
        try:
            return retried()
        except _RETRYABLE as exc:
            raise self._error(exc, what) from None

    def _landed(self, conn: psycopg.Connection[Any], keys: list[tuple[bytes, int]]) -> bool:
        with conn.cursor() as cur:
            cur.execute(
                "SELECT count(*) FROM video_gen.records r"
                " JOIN unnest(%s::bytea[], %s::int[]) AS k(digest, occurrence)"
                " ON r.digest = k.digest AND r.occurrence = k.occurrence",
                ([k[0] for k in keys], [k[1] for k in keys]),
            )
            found = int(cur.fetchone()[0])  # type: ignore[index]
        conn.commit()
        return found == len(keys)

    def _rollback(self, conn: psycopg.Connection[Any]) -> None:
        try:
            conn.rollback()
        except psycopg.Error:
            self._drop()

    def _error(self, exc: BaseException, what: str) -> VideoGenError:
        state = getattr(exc, "sqlstate", None) or _sqlstate_in(exc)
        if state in _FATAL:
            return ConfigError(
                f"the ledger database {self.location} refused the connection: {_reason(exc)}",
                hint="check the user, password and database name in VIDEO_GEN_LEDGER_URL (or"
                " ledger.url); the database must exist and the user may create tables in it",
            )
        return LedgerUnavailableError(
            f"the ledger database {self.location} could not be reached for the {what} within"
            f" {self.retry_seconds:g}s ({_reason(exc)}): nothing was created or recorded by"
            " this step (fail closed)",
            hint="check that the database is up and reachable from here, then run the command"
            " again; a job already created keeps its reservation (video-gen history --status"
            " in-flight)",
        )


def _sqlstate_in(exc: BaseException) -> str | None:
    """A connection refused for credentials carries no sqlstate in psycopg: read libpq's text."""
    text = str(exc)
    if "password authentication failed" in text:
        return "28P01"
    if "does not exist" in text and "database" in text:
        return "3D000"
    if "no pg_hba.conf entry" in text:
        return "28000"
    return None


def _fatal(exc: BaseException) -> bool:
    return (getattr(exc, "sqlstate", None) or _sqlstate_in(exc)) in _FATAL


def _reason(exc: BaseException | None) -> str:
    from video_gen.redact import redact

    if exc is None:
        return "unknown error"
    if isinstance(exc, pg_errors.QueryCanceled):
        return "a statement timed out (ledger.statement_timeout)"
    if isinstance(exc, pg_errors.LockNotAvailable):
        return "a lock wait timed out (ledger.statement_timeout)"
    text = " ".join(str(exc).split()) or type(exc).__name__
    return redact(text[:300])


def schema_version(db: Database) -> int | None:
    return db.run(lambda cur, _: schema.current_version(cur), what="schema check")
