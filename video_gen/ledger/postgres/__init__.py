"""The ledger in PostgreSQL (psycopg 3), shared by many machines: ``open_backend(url)``.

Imported only when a ``postgresql://`` ledger URL is used (``ledger.registry``), so psycopg
never slows down a command working on the local file.
"""

from __future__ import annotations

from video_gen.ledger.postgres.backend import PostgresLedger
from video_gen.ledger.postgres.connection import LedgerUnavailableError

__all__ = ["LedgerUnavailableError", "PostgresLedger", "open_backend"]


def open_backend(url: str) -> PostgresLedger:
    """The ledger at ``url``; ``ledger.retry_seconds`` and ``ledger.statement_timeout`` from
    the environment or the config."""
    from video_gen.config import read_value

    return PostgresLedger(
        url,
        retry_seconds=float(read_value("ledger.retry_seconds")),
        statement_timeout=float(read_value("ledger.statement_timeout")),
    )
