"""Spending limits and the check a reservation must pass (run by ``Ledger.reserve`` under the lock).

A job fits when, in integer micro-USD, ``spent + reserved + this job <= limit`` for the UTC month
and the UTC day it is reserved in, and ``this job <= per-video limit``. A job counts in the
month and day of its reservation from "reserved" to its end (see docs/ledger.md).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from video_gen.errors import BudgetError, ConfigError
from video_gen.ledger.records import from_micro, month_label, to_micro, usd_text

if TYPE_CHECKING:
    from video_gen.config import Config


@dataclass(frozen=True)
class BudgetLimits:
    """Limits in USD; None means no daily or per-video limit (0 in the config)."""

    monthly_usd: float
    daily_usd: float | None = None
    per_video_usd: float | None = None
    warn_ratio: float = 0.8

    def __post_init__(self) -> None:
        for name in ("monthly_usd", "daily_usd", "per_video_usd"):
            value = getattr(self, name)
            if value is not None and not (math.isfinite(value) and value >= 0):
                raise ValueError(f"{name} must be a finite amount >= 0, not {value!r}")
        if not 0 <= self.warn_ratio <= 1:
            raise ValueError(f"warn_ratio must be between 0 and 1, not {self.warn_ratio!r}")

    @classmethod
    def from_config(cls, config: Config) -> BudgetLimits:
        """The ``[budget]`` table; 0 means none for the daily and per-video limits."""
        values: dict[str, float] = {}
        for key, flag in (
            ("monthly_usd", "--monthly 50"),
            ("daily_usd", "--daily 0"),
            ("per_video_usd", "--per-video 0"),
        ):
            value = float(config.value(f"budget.{key}"))
            if not (math.isfinite(value) and value >= 0):
                raise ConfigError(
                    f"budget.{key} in {config.path} is {value!r}: a limit is an amount >= 0",
                    hint=f"video-gen budget set {flag}",
                )
            values[key] = value
        ratio = float(config.value("budget.warn_ratio"))
        if not 0 <= ratio <= 1:
            raise ConfigError(
                f"budget.warn_ratio in {config.path} is {ratio!r}: a share between 0 and 1",
                hint="video-gen budget set --warn-ratio 0.8",
            )
        return cls(
            monthly_usd=values["monthly_usd"],
            daily_usd=values["daily_usd"] or None,
            per_video_usd=values["per_video_usd"] or None,
            warn_ratio=ratio,
        )


@dataclass(frozen=True)
class Reservation:
    """What ``Ledger.reserve`` answers: the new job's local id, its estimate, and warnings."""

    local_id: str
    estimate_usd: float
    warnings: list[str]


@dataclass(frozen=True)
class Committed:
    """Money already spent and reserved (micro-USD) in the month and day of a new job."""

    moment: datetime
    month: str
    day: str
    month_charged: int
    month_reserved: int
    month_in_flight: int
    day_charged: int
    day_reserved: int
    day_in_flight: int


def check(estimate: int, committed: Committed, limits: BudgetLimits, job: str) -> list[str]:
    """Raise BudgetError when the job does not fit a limit; else the warnings to show.

    ``estimate`` is in micro-USD; ``job`` describes it for messages (``sora-2, 8 s, 720x1280``).
    """
    this = f"this job ({job}) is estimated at {usd_text(from_micro(estimate))} USD"
    if limits.per_video_usd is not None and estimate > to_micro(limits.per_video_usd):
        raise BudgetError(
            f"refused: {this}, over the per-video limit of {usd_text(limits.per_video_usd)} USD",
            hint=f"video-gen budget set --per-video {_raise_to(estimate)}",
        )
    label = month_label(committed.month)
    _fit(
        estimate,
        committed.month_charged,
        committed.month_reserved,
        committed.month_in_flight,
        to_micro(limits.monthly_usd),
        this=this,
        period=label,
        limit_name="monthly",
        flag="--monthly",
    )
    if limits.daily_usd is not None:
        _fit(
            estimate,
            committed.day_charged,
            committed.day_reserved,
            committed.day_in_flight,
            to_micro(limits.daily_usd),
            this=this,
            period=f"{committed.day} (UTC)",
            limit_name="daily",
            flag="--daily",
        )
    warnings = []
    for period, before, limit, name in (
        (label, committed.month_charged + committed.month_reserved, limits.monthly_usd, "monthly"),
        (
            committed.day,
            committed.day_charged + committed.day_reserved,
            limits.daily_usd,
            "daily",
        ),
    ):
        if limit is None or limit <= 0 or limits.warn_ratio <= 0:
            continue
        threshold = to_micro(limit) * limits.warn_ratio
        after = before + estimate
        if before < threshold <= after:
            warnings.append(
                f"this job takes {period} past {limits.warn_ratio * 100:g}% of the {name} limit"
                f" ({usd_text(from_micro(after))} of {usd_text(limit)} USD)"
            )
    return warnings


def _fit(
    estimate: int,
    charged: int,
    reserved: int,
    in_flight: int,
    limit: int,
    *,
    this: str,
    period: str,
    limit_name: str,
    flag: str,
) -> None:
    total = charged + reserved + estimate
    if total <= limit:
        return
    jobs = "job" if in_flight == 1 else "jobs"
    raise BudgetError(
        f"refused: {this}, which would take {period} to {usd_text(from_micro(total))} USD, over"
        f" the {limit_name} limit of {usd_text(from_micro(limit))} USD (spent"
        f" {usd_text(from_micro(charged))}, reserved {usd_text(from_micro(reserved))} by"
        f" {in_flight} {jobs} in flight, this job {usd_text(from_micro(estimate))})",
        hint=f"video-gen budget set {flag} {_raise_to(total)}",
    )


def _raise_to(needed: int) -> str:
    """The smallest round limit that fits ``needed`` micro-USD: whole dollars, cents below 1."""
    if needed >= 1_000_000:
        return str(-(-needed // 1_000_000))
    cents = -(-needed // 10_000)
    return f"0.{cents:02d}" if cents < 100 else "1"
