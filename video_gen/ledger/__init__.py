"""The spend ledger: every job's life as append-only records, budgets checked against it.

``open_ledger()`` is the one entry point: it picks the backend named by the ledger URL
(``VIDEO_GEN_LEDGER_URL``, else ``ledger.url`` in the config; empty means the JSON Lines file on
this machine) and returns a ``LedgerBackend``. The job layer records each step of a job through
it (the reservation first, atomically with the budget check), and ``video-gen budget`` /
``history`` read it. Formats, locks and the money rules are in docs/ledger.md.
"""

from __future__ import annotations

from video_gen.ledger.backend import AmbiguousIdError, Claim, ImportResult, LedgerBackend
from video_gen.ledger.budget import BudgetLimits, Reservation
from video_gen.ledger.jsonl import JsonlLedger
from video_gen.ledger.query import (
    DaySpend,
    FileRecord,
    JobView,
    ModelSpend,
    MonthSummary,
    month_bounds,
)
from video_gen.ledger.registry import ledger_url, open_ledger, register_backend
from video_gen.ledger.store import LedgerLockedError

# The JSON Lines backend under its historical name (tests and tools that want the local file).
Ledger = JsonlLedger

__all__ = [
    "AmbiguousIdError",
    "BudgetLimits",
    "Claim",
    "DaySpend",
    "FileRecord",
    "ImportResult",
    "JobView",
    "JsonlLedger",
    "Ledger",
    "LedgerBackend",
    "LedgerLockedError",
    "ModelSpend",
    "MonthSummary",
    "Reservation",
    "ledger_url",
    "month_bounds",
    "open_ledger",
    "register_backend",
]
