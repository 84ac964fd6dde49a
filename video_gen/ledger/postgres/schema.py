"""The ledger's tables in PostgreSQL and the versioned migrations that create them.

Everything lives in the schema ``video_gen``. ``records`` is the ledger itself: the same
records as the JSON Lines file, append-only, each stored as its exact JSON text (type ``json``,
not ``jsonb``: jsonb reorders keys, and ``ledger export`` must give back the very lines that were
imported). The other tables are derived from it inside the transaction that appends each record,
by the same Python code that folds the JSONL file (``query.fold``): ``jobs`` (one row per job,
what ``history`` filters and sorts on), ``remote_ids`` (every server id of a job, for lookups by
any of them), ``spend`` (money and job counts per UTC day, provider and model: what a budget
check and ``video-gen budget`` sum). ``budget`` holds the limits every machine shares.

Money is integer micro-dollars everywhere. Migrations run in one transaction under an advisory
lock, so many runners starting at once migrate once; ``migrations`` records what was applied.
"""

from __future__ import annotations

from typing import Any

SCHEMA = "video_gen"
# pg_advisory_xact_lock keys: arbitrary constants, fixed forever ("vgmigrat", "vgreserv",
# "vgclaim!").
MIGRATE_LOCK = 0x76676D6967726174
RESERVE_LOCK = 0x7667726573657276
CLAIM_LOCK = 0x7667636C61696D21

MIGRATIONS: list[tuple[int, str, str]] = [
    (
        1,
        "records, jobs, remote ids, spend, budget",
        """
CREATE TABLE video_gen.records (
    seq bigserial PRIMARY KEY,
    local_id text COLLATE "C" NOT NULL,
    kind text NOT NULL,
    ts timestamptz NOT NULL,
    digest bytea NOT NULL,            -- sha256 of the record's JSON line
    occurrence integer NOT NULL,      -- 0, or n for the n+1-th identical line (import)
    body json NOT NULL,
    UNIQUE (digest, occurrence)
);
CREATE INDEX records_job ON video_gen.records (local_id, seq);

CREATE TABLE video_gen.jobs (
    local_id text COLLATE "C" PRIMARY KEY,
    reserved_seq bigint,              -- the "reserved" record: history's order; NULL if none
    created_at timestamptz,
    updated_at timestamptz,
    provider text,
    provider_kind text,
    model text,
    seconds integer,
    estimate bigint,                  -- micro-USD
    charged bigint,                   -- micro-USD; NULL while in flight
    in_flight boolean NOT NULL DEFAULT false,
    outcome text,                     -- the kind of the record that ended it
    status text,
    remote_id text,
    batch_id text,
    host text,
    os_user text,
    ci text,
    prompt text,
    share_day date,                   -- what the job adds to spend (NULL: nothing)
    share int8[]
);
CREATE INDEX jobs_newest ON video_gen.jobs (reserved_seq DESC) WHERE reserved_seq IS NOT NULL;
CREATE INDEX jobs_created ON video_gen.jobs (created_at);
CREATE INDEX jobs_batch ON video_gen.jobs (batch_id, reserved_seq) WHERE batch_id IS NOT NULL;
CREATE INDEX jobs_in_flight ON video_gen.jobs (reserved_seq) WHERE in_flight;

CREATE TABLE video_gen.remote_ids (
    remote_id text COLLATE "C" NOT NULL,
    local_id text COLLATE "C" NOT NULL,
    seq bigint NOT NULL,
    ts timestamptz NOT NULL,
    PRIMARY KEY (remote_id, seq)
);
CREATE INDEX remote_ids_ts ON video_gen.remote_ids (ts);

CREATE TABLE video_gen.spend (
    day date NOT NULL,
    provider text NOT NULL,
    model text NOT NULL,
    charged bigint NOT NULL DEFAULT 0,
    completed bigint NOT NULL DEFAULT 0,
    failed bigint NOT NULL DEFAULT 0,
    released bigint NOT NULL DEFAULT 0,
    seconds bigint NOT NULL DEFAULT 0,
    settled bigint NOT NULL DEFAULT 0,
    reserved bigint NOT NULL DEFAULT 0,
    in_flight bigint NOT NULL DEFAULT 0,
    PRIMARY KEY (day, provider, model)
);

CREATE TABLE video_gen.budget (
    id boolean PRIMARY KEY DEFAULT true CHECK (id),
    monthly bigint NOT NULL,          -- micro-USD
    daily bigint,                     -- NULL: no daily limit
    per_video bigint,                 -- NULL: no per-video limit
    warn_ratio double precision NOT NULL,
    updated_at timestamptz NOT NULL DEFAULT now(),
    updated_by json
);
""",
    ),
]
LATEST = MIGRATIONS[-1][0]


def current_version(cur: Any) -> int | None:
    """The schema version applied, or None when the ledger's tables do not exist yet."""
    cur.execute("SELECT to_regclass('video_gen.migrations') IS NOT NULL")
    if not cur.fetchone()[0]:
        return None
    cur.execute("SELECT coalesce(max(version), 0) FROM video_gen.migrations")
    return int(cur.fetchone()[0])


def migrate(cur: Any, applied_by: dict[str, str]) -> list[int]:
    """Apply the missing migrations (the caller commits); the versions applied."""
    import json

    cur.execute("SELECT pg_advisory_xact_lock(%s)", (MIGRATE_LOCK,))
    cur.execute(f"CREATE SCHEMA IF NOT EXISTS {SCHEMA}")
    cur.execute(
        "CREATE TABLE IF NOT EXISTS video_gen.migrations (version integer PRIMARY KEY,"
        " name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now(), applied_by json)"
    )
    cur.execute("SELECT coalesce(max(version), 0) FROM video_gen.migrations")
    have = int(cur.fetchone()[0])
    done = []
    for version, name, sql in MIGRATIONS:
        if version <= have:
            continue
        cur.execute(sql)
        cur.execute(
            "INSERT INTO video_gen.migrations (version, name, applied_by) VALUES (%s, %s, %s)",
            (version, name, json.dumps(applied_by)),
        )
        done.append(version)
    return done
