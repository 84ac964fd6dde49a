"""The ledger's record format: one JSON object per line, schema version 1 (docs/ledger.md).

Every record carries ``v`` (schema version), ``ts`` (ISO-8601 UTC with ``Z``), ``kind`` and
``id`` (the job's local id). Money is stored in USD rounded to micro-dollars and summed as
integer micro-dollars, so totals never drift by float error.
"""

from __future__ import annotations

import json
import math
import re
import secrets
import time
from collections.abc import Mapping
from datetime import date, datetime, timezone
from pathlib import Path
from typing import Any

SCHEMA_VERSION = 1

# The kinds the money rules know. Any other kind is a timeline event (``Ledger.event``).
RESERVED = "reserved"
SUBMITTED = "submitted"
STATUS = "status"
COMPLETED = "completed"
FAILED = "failed"
RELEASED = "released"
DOWNLOADED = "downloaded"
# A create that may have made a job which cannot be looked up: the job stays open (its
# reservation kept) until ``video-gen settle`` (or ``recover``) says what became of it.
IN_DOUBT = "in_doubt"
# Another id the server used for the same job (LiteLLM re-stamps ids): lookups by it find it.
ALIAS = "alias"
# A final record the user declared (``video-gen settle``): charged or not, with the reason.
SETTLED = "settled"
FINAL_KINDS = frozenset({COMPLETED, FAILED, RELEASED, SETTLED})
KNOWN_KINDS = frozenset(
    {RESERVED, SUBMITTED, STATUS, COMPLETED, FAILED, RELEASED, DOWNLOADED, IN_DOUBT, ALIAS, SETTLED}
)
ENVELOPE = ("v", "ts", "kind", "id")

_EVENT_KIND = re.compile(r"^[a-z][a-z0-9_-]{0,39}$")

MICRO = 1_000_000
# The most one record may say a job cost (or was estimated at). A bigger amount is not a price
# but corruption, or a server's bogus report (``usage.cost: 1e308``): it would overflow every
# sum, so such a line is skipped like any corrupt one, and such a report is not recorded.
MAX_RECORD_USD = 1_000_000.0
# A paid provider's reported cost below this share of the estimate (0 included) is recorded but
# not believed: the estimate is charged instead, unless the provider is declared free.
IMPLAUSIBLE_SHARE = 0.10
_MONEY_FIELDS = ("estimate_usd", "charged_usd", "actual_usd", "usd_per_second")


# -- money -----------------------------------------------------------------------------------
def to_micro(usd: float) -> int:
    """USD as integer micro-dollars (the unit every sum and comparison uses)."""
    return round(usd * MICRO)


def from_micro(micro: int) -> float:
    return micro / MICRO


def check_usd(value: float, what: str) -> float:
    """A finite, non-negative amount rounded to micro-dollars (NaN would make invalid JSON), at
    most ``MAX_RECORD_USD``."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise TypeError(f"{what} must be a number, not {value!r}")
    if not math.isfinite(value) or value < 0:
        raise ValueError(f"{what} must be a finite amount >= 0, not {value!r}")
    if value > MAX_RECORD_USD:
        raise ValueError(f"{what} of {value!r} USD is not a plausible amount")
    return round(float(value), 6)


def usd_text(usd: float) -> str:
    """Two decimals, more only when the amount has them: 0.40, 41.20, 0.125."""
    text = f"{usd:.6f}".rstrip("0")
    whole, _, frac = text.partition(".")
    return f"{whole}.{frac.ljust(2, '0')}"


# -- time ------------------------------------------------------------------------------------
def utcnow() -> datetime:
    return datetime.now(timezone.utc)


def as_utc(moment: datetime) -> datetime:
    if moment.tzinfo is None:
        raise ValueError(f"a timezone-aware datetime is required, not {moment!r}")
    return moment.astimezone(timezone.utc)


def format_ts(moment: datetime) -> str:
    """``2026-11-21T10:02:03.123Z``: UTC, millisecond precision, sortable as text."""
    moment = as_utc(moment)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def parse_ts(text: str) -> datetime:
    """The inverse of ``format_ts``; also accepts any ISO-8601 with an offset."""
    value = datetime.fromisoformat(text[:-1] + "+00:00" if text.endswith("Z") else text)
    if value.tzinfo is None:
        value = value.replace(tzinfo=timezone.utc)
    return value.astimezone(timezone.utc)


def day_of(ts: str) -> str:
    """The UTC day (``2026-11-21``) of a record timestamp."""
    if len(ts) >= 20 and ts.endswith("Z"):
        return ts[:10]
    return parse_ts(ts).date().isoformat()


def month_of(day: str) -> str:
    return day[:7]


def month_label(month: str) -> str:
    """``2026-11`` -> ``November 2026``."""
    return date.fromisoformat(month + "-01").strftime("%B %Y")


def check_month(month: str) -> str:
    """Validate ``YYYY-MM``; raises ValueError otherwise."""
    if not re.fullmatch(r"\d{4}-(0[1-9]|1[0-2])", month):
        raise ValueError(f"a month is written YYYY-MM (e.g. 2026-11), not {month!r}")
    return month


# -- ids -------------------------------------------------------------------------------------
# Crockford's base32 in lower case: ASCII order equals numeric order, so ids sort by time.
_B32 = "0123456789abcdefghjkmnpqrstvwxyz"
_TIME_CHARS = 9  # 45 bits of milliseconds: good until the year 3084
_RANDOM_CHARS = 5


def _b32(number: int, width: int) -> str:
    out = []
    for _ in range(width):
        number, digit = divmod(number, 32)
        out.append(_B32[digit])
    return "".join(reversed(out))


def new_local_id(after: str | None = None, *, at: datetime | None = None) -> str:
    """``j`` + base32 milliseconds + base32 random: short, sortable, unique.

    ``after`` is the newest id already in the ledger; the new id is made greater than it (by
    incrementing it when the clock has not moved on), so ids are unique and increase along the
    file even with many processes in the same millisecond (callers hold the ledger lock).
    ``at`` replaces the clock (for generated test ledgers).
    """
    millis = time.time_ns() // 1_000_000 if at is None else int(at.timestamp() * 1000)
    candidate = (
        "j"
        + _b32(millis, _TIME_CHARS)
        + "".join(secrets.choice(_B32) for _ in range(_RANDOM_CHARS))
    )
    if after is None or candidate > after or not _is_local_id(after):
        return candidate
    return "j" + _b32(_b32_value(after[1:]) + 1 + secrets.randbelow(1024), len(after) - 1)


def is_id_tail(text: str) -> bool:
    """Whether ``text`` can be the end of a local id: 4 or more of its base32 characters."""
    return 4 <= len(text) <= _TIME_CHARS + _RANDOM_CHARS and all(c in _B32 for c in text.lower())


def short_id(local_id: str) -> str:
    """A local id's short form: its random end (the time part is shared by jobs of one day)."""
    return local_id[-_RANDOM_CHARS:] if _is_local_id(local_id) else local_id


def _is_local_id(value: str) -> bool:
    return (
        len(value) == 1 + _TIME_CHARS + _RANDOM_CHARS
        and value[0] == "j"
        and all(c in _B32 for c in value[1:])
    )


def _b32_value(text: str) -> int:
    number = 0
    for char in text:
        number = number * 32 + _B32.index(char)
    return number


# -- encoding --------------------------------------------------------------------------------
def _json_default(value: Any) -> Any:
    if isinstance(value, Path):
        return str(value)
    if isinstance(value, datetime):
        return format_ts(value)
    if isinstance(value, Mapping):
        return dict(value)
    if isinstance(value, (set, frozenset, tuple)):
        return list(value)
    raise TypeError(f"cannot record a {type(value).__name__} in the ledger: {value!r}")


def make(kind: str, local_id: str, ts: datetime, fields: Mapping[str, Any]) -> dict[str, Any]:
    record: dict[str, Any] = {
        "v": SCHEMA_VERSION,
        "ts": format_ts(ts),
        "kind": kind,
        "id": local_id,
    }
    for key, value in fields.items():
        if key in ENVELOPE:
            raise ValueError(f"{key!r} is part of every record's envelope, not a field")
        record[key] = value
    return record


def encode(record: Mapping[str, Any]) -> bytes:
    """One line: compact JSON, UTF-8, ``\\n``-terminated; never NaN (invalid JSON)."""
    text = json.dumps(
        record, separators=(",", ":"), ensure_ascii=False, allow_nan=False, default=_json_default
    )
    return text.encode("utf-8") + b"\n"


def charge_of(record: Mapping[str, Any], estimate: int) -> int:
    """Micro-USD a job's final record charges: completed = actual if known else the estimate;
    settled = what the user declared; failed and released charge nothing (the reservation is
    released)."""
    if record["kind"] == SETTLED:
        value = record.get("charged_usd")
        if isinstance(value, (int, float)) and not isinstance(value, bool) and value >= 0:
            return to_micro(value)
        return estimate
    if record["kind"] != COMPLETED:
        return 0
    for key in ("charged_usd", "actual_usd"):
        value = record.get(key)
        if isinstance(value, (int, float)) and not isinstance(value, bool) and value >= 0:
            return to_micro(value)
    return estimate


def outcome_of(record: Mapping[str, Any]) -> str:
    """Which count of a month's jobs a final record adds to (``query.SPEND_COLUMNS``): its kind
    (completed, failed, released, settled)."""
    return str(record["kind"])


def remote_ids_of(record: Mapping[str, Any]) -> list[str]:
    """The server's ids for the job that a record names (lookups by any of them find it)."""
    remote = record.get("remote_id")
    return [remote] if isinstance(remote, str) and remote else []


def check_event_kind(kind: str) -> str:
    if kind in KNOWN_KINDS:
        raise ValueError(f"{kind!r} has its own Ledger method; event() is for other kinds")
    if not _EVENT_KIND.match(kind):
        raise ValueError(f"an event kind is a short lower-case name like 'timeout', not {kind!r}")
    return kind


def decode(line: bytes) -> tuple[dict[str, Any] | None, str | None]:
    """``(record, None)`` for a valid record, else ``(None, reason)``."""
    try:
        obj = json.loads(line)
    except RecursionError:
        return None, "not a record (nested too deeply to read)"
    except UnicodeDecodeError:
        return None, "not UTF-8 text"
    except json.JSONDecodeError as exc:
        detail = exc.msg.removesuffix(" at")
        return None, f"not valid JSON at column {exc.colno} ({detail.lower()})"
    except ValueError as exc:
        return None, f"not valid JSON ({exc})"
    return validate(obj)


def _is_number(value: Any) -> bool:
    return (
        isinstance(value, (int, float))
        and not isinstance(value, bool)
        and math.isfinite(value)
        and 0 <= value <= MAX_RECORD_USD
    )


def validate(obj: Any) -> tuple[dict[str, Any] | None, str | None]:
    if not isinstance(obj, dict):
        return None, "not a JSON object"
    version = obj.get("v")
    if isinstance(version, bool) or not isinstance(version, int):
        return None, "no schema version ('v')"
    if version > SCHEMA_VERSION:
        return None, (
            f"schema version {version} is newer than this video-gen reads ({SCHEMA_VERSION}):"
            " upgrade video-gen"
        )
    kind, local_id, ts = obj.get("kind"), obj.get("id"), obj.get("ts")
    if not isinstance(kind, str) or not kind:
        return None, "no 'kind'"
    if not isinstance(local_id, str) or not local_id:
        return None, "no job 'id'"
    if not isinstance(ts, str):
        return None, "no timestamp ('ts')"
    try:
        parse_ts(ts)
    except ValueError:
        return None, f"bad timestamp {ts!r}"
    if kind == RESERVED and not (
        _is_number(obj.get("estimate_usd"))
        and isinstance(obj.get("model"), str)
        and isinstance(obj.get("provider"), str)
    ):
        return None, "a 'reserved' record without estimate_usd, provider and model"
    for field in _MONEY_FIELDS:
        value = obj.get(field)
        if value is not None and not _is_number(value):
            return None, f"a {kind!r} record with a bad {field} ({_short(value)})"
    if kind == DOWNLOADED and not (
        isinstance(obj.get("variant", "video"), str)
        and isinstance(obj.get("path"), str)
        and isinstance(obj.get("sha256", ""), str)
        and isinstance(obj.get("bytes", 0), int)
        and not isinstance(obj.get("bytes", 0), bool)
        and obj.get("bytes", 0) >= 0
    ):
        return None, "a 'downloaded' record with a bad variant, path, sha256 or bytes"
    if kind == SUBMITTED and not isinstance(obj.get("remote_id", ""), (str, type(None))):
        return None, "a 'submitted' record with a bad remote_id"
    return obj, None


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:39] + "…"


def plausible_charge(actual_usd: float, estimate_usd: float, *, free: bool) -> bool:
    """Whether a reported cost is believed: a free provider's always; a paid one's unless it is
    below ``IMPLAUSIBLE_SHARE`` of the estimate (0, or a unit mix-up)."""
    return free or estimate_usd <= 0 or actual_usd >= estimate_usd * IMPLAUSIBLE_SHARE


def believed_charge(
    local_id: str, reported: Any, estimate_usd: float, *, free: bool
) -> tuple[float, str | None]:
    """What a completed job is charged given the provider's report, and the warning to show
    when the report is not believed: not an amount (NaN, negative, text, over
    ``MAX_RECORD_USD`` such as 1e308), or a paid provider's 0 or below a tenth of the estimate
    (a missing or mis-scaled usage report, not a gift: believing it lets the budget overspend).
    ``reported`` None (the provider reports no cost) is the estimate, without a warning."""
    if reported is None:
        return estimate_usd, None
    try:
        actual = check_usd(reported, "the reported cost")
    except (TypeError, ValueError):
        return estimate_usd, (
            f"job {local_id}: the provider reported a cost of {str(reported)[:20]!s}, which is not"
            f" an amount; the estimate of {usd_text(estimate_usd)} USD is charged to the budget"
        )
    if plausible_charge(actual, estimate_usd, free=free):
        return actual, None
    return estimate_usd, (
        f"job {local_id}: the provider reported a cost of {usd_text(actual)} USD for a job"
        f" estimated at {usd_text(estimate_usd)} USD; the estimate is charged to the budget"
        " (declare the provider free = true if it really costs nothing)"
    )
