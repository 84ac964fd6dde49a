"""``video-gen ledger import``: a JSON Lines ledger moved into the database, in bulk, idempotently.

Records are streamed into a temporary table with COPY, numbered like normal writes number them
(the n-th identical line of a file is occurrence n-1 of its digest) and inserted in file order
with ``ON CONFLICT DO NOTHING``: importing the same file twice adds nothing, and an export of the
database imported back adds nothing either. The jobs that gained records are then re-folded in
pages with the shared ``query.fold`` and their share of ``spend`` moved, all in one transaction
that holds the reservation lock (so no budget check sees half an import).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from typing import TYPE_CHECKING, Any

from video_gen.ledger import records as rec
from video_gen.ledger.backend import ImportResult
from video_gen.ledger.postgres import schema
from video_gen.ledger.postgres.backend import _add, apply_spend, job_row, line_of
from video_gen.ledger.postgres.connection import Attempt, Database
from video_gen.ledger.query import fold

if TYPE_CHECKING:
    import psycopg

_PAGE = 5000  # jobs re-folded per round trip
_JOB_COLUMNS = (  # the columns job_row fills
    "reserved_seq",
    "created_at",
    "updated_at",
    "provider",
    "provider_kind",
    "model",
    "seconds",
    "estimate",
    "charged",
    "in_flight",
    "outcome",
    "status",
    "remote_id",
    "batch_id",
    "host",
    "os_user",
    "ci",
    "prompt",
    "share_day",
    "share",
)


def import_into(db: Database, records: Iterable[dict[str, Any]]) -> ImportResult:
    def tx(cur: psycopg.Cursor[Any], _: Attempt) -> ImportResult:
        # An import of a big ledger runs for minutes: no statement or idle timeout inside it.
        cur.execute("SET LOCAL statement_timeout = 0")
        cur.execute("SET LOCAL idle_in_transaction_session_timeout = 0")
        cur.execute("SELECT pg_advisory_xact_lock(%s)", (schema.RESERVE_LOCK,))
        cur.execute(
            'CREATE TEMP TABLE import_stage (pos bigint, local_id text COLLATE "C", kind text,'
            " ts timestamptz, digest bytea, body text, remote_ids text[]) ON COMMIT DROP"
        )
        total = 0
        with cur.copy(
            "COPY import_stage (pos, local_id, kind, ts, digest, body, remote_ids) FROM STDIN"
        ) as copy:
            for record in records:
                text, digest = line_of(record)
                copy.write_row(
                    (
                        total,
                        record["id"],
                        record["kind"],
                        rec.parse_ts(record["ts"]),
                        digest,
                        text,
                        rec.remote_ids_of(record),
                    )
                )
                total += 1
        cur.execute("SELECT coalesce(max(seq), 0) FROM video_gen.records")
        before = int(cur.fetchone()[0])  # type: ignore[index]
        cur.execute(
            "CREATE TEMP TABLE import_ready ON COMMIT DROP AS SELECT *, (row_number() OVER"
            " (PARTITION BY digest ORDER BY pos) - 1)::int AS occurrence FROM import_stage"
        )
        cur.execute(
            "INSERT INTO video_gen.records (local_id, kind, ts, digest, occurrence, body)"
            " SELECT local_id, kind, ts, digest, occurrence, body::json FROM import_ready"
            " ORDER BY pos ON CONFLICT (digest, occurrence) DO NOTHING"
        )
        added = max(cur.rowcount, 0)
        if added == 0:
            return ImportResult(added=0, skipped=total, jobs=0)
        cur.execute(
            "INSERT INTO video_gen.remote_ids (remote_id, local_id, seq, ts)"
            " SELECT u.remote_id, r.local_id, r.seq, r.ts FROM video_gen.records r"
            " JOIN import_ready s ON s.digest = r.digest AND s.occurrence = r.occurrence"
            " CROSS JOIN unnest(s.remote_ids) AS u(remote_id)"
            " WHERE r.seq > %s ON CONFLICT DO NOTHING",
            (before,),
        )
        cur.execute(
            "CREATE TEMP TABLE import_touched ON COMMIT DROP AS SELECT DISTINCT local_id"
            " FROM video_gen.records WHERE seq > %s",
            (before,),
        )
        cur.execute("CREATE INDEX ON import_touched (local_id)")
        cur.execute("ANALYZE import_touched")
        cur.execute(
            "INSERT INTO video_gen.jobs (local_id) SELECT local_id FROM import_touched"
            " ON CONFLICT DO NOTHING"
        )
        jobs = _refold_all(cur)
        return ImportResult(added=added, skipped=total - added, jobs=jobs)

    return db.run(tx, what="import")


def _refold_all(cur: psycopg.Cursor[Any]) -> int:
    """Re-fold every job in ``import_touched`` (locking its row) and move its spend share."""
    deltas: dict[tuple[date, str, str], list[int]] = {}
    done = 0
    after = ""
    cur.execute(
        'CREATE TEMP TABLE import_jobs (local_id text COLLATE "C", '
        + ", ".join(f"{c} {t}" for c, t in _column_types())
        + ") ON COMMIT DROP"
    )
    while True:
        cur.execute(
            "SELECT j.local_id, j.share_day, j.provider, j.model, j.share FROM video_gen.jobs j"
            " WHERE j.local_id IN (SELECT local_id FROM import_touched WHERE local_id > %s"
            " ORDER BY local_id LIMIT %s) ORDER BY j.local_id FOR UPDATE",
            (after, _PAGE),
        )
        page = cur.fetchall()
        if not page:
            break
        ids = [row[0] for row in page]
        for _, day, provider, model, share in page:
            if day is not None:
                _add(deltas, (day, provider or "", model or ""), [-int(v) for v in share])
        cur.execute(
            "SELECT seq, body FROM video_gen.records WHERE local_id = ANY(%s) ORDER BY seq",
            (ids,),
        )
        bodies = cur.fetchall()
        views = fold([body for _, body in bodies])
        reserved: dict[str, int] = {}
        for seq, body in bodies:
            if body["kind"] == rec.RESERVED:
                reserved.setdefault(body["id"], seq)
        cur.execute("TRUNCATE import_jobs")
        with cur.copy(
            "COPY import_jobs (local_id, " + ", ".join(_JOB_COLUMNS) + ") FROM STDIN"
        ) as copy:
            for local_id in ids:
                view = views[local_id]
                values = job_row(view, reserved.get(local_id))
                if values["share_day"] is not None:
                    _add(deltas, (values["share_day"], view.provider, view.model), values["share"])
                copy.write_row((local_id, *(values[c] for c in _JOB_COLUMNS)))
        cur.execute(
            "UPDATE video_gen.jobs j SET "
            + ", ".join(f"{c} = s.{c}" for c in _JOB_COLUMNS)
            + " FROM import_jobs s WHERE j.local_id = s.local_id"
        )
        done += len(ids)
        after = ids[-1]
    apply_spend(cur, deltas)
    return done


def _column_types() -> list[tuple[str, str]]:
    types = {
        "reserved_seq": "bigint",
        "created_at": "timestamptz",
        "updated_at": "timestamptz",
        "seconds": "integer",
        "estimate": "bigint",
        "charged": "bigint",
        "in_flight": "boolean",
        "share_day": "date",
        "share": "int8[]",
    }
    return [(c, types.get(c, "text")) for c in _JOB_COLUMNS]
