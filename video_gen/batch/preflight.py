"""The budget pre-flight: will the whole batch fit, before its first create?

A batch that cannot finish within the budget should not start (half a storyboard is worth
little). This is a forecast from the ledger as it is now; each item still reserves through the
ledger as it is submitted (atomically, under its lock), which is what actually stops two
batches running in parallel from overspending together.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from video_gen.batch.state import Decision
from video_gen.errors import BudgetError
from video_gen.ledger import BudgetLimits, MonthSummary
from video_gen.ledger.records import usd_text


@dataclass(frozen=True)
class Forecast:
    new_jobs: int
    total_usd: float  # estimate of the new jobs
    month: str  # label, e.g. "November 2026"
    month_remaining_usd: float
    day_remaining_usd: float | None
    per_video_usd: float | None
    max_cost_usd: float | None
    refusal: str | None  # why it does not fit, or None
    hint: str | None

    @property
    def fits(self) -> bool:
        return self.refusal is None

    def to_json(self) -> dict[str, Any]:
        return {
            "new_jobs": self.new_jobs,
            "estimate_usd": self.total_usd,
            "month": self.month,
            "month_remaining_usd": self.month_remaining_usd,
            "day_remaining_usd": self.day_remaining_usd,
            "per_video_limit_usd": self.per_video_usd,
            "max_cost_usd": self.max_cost_usd,
            "fits": self.fits,
            "refusal": self.refusal,
        }

    def check(self) -> None:
        """Raise BudgetError (exit 9) when the batch does not fit."""
        if self.refusal is not None:
            raise BudgetError(self.refusal, hint=self.hint)


def forecast(
    decisions: Sequence[Decision],
    month: MonthSummary,
    limits: BudgetLimits,
    *,
    max_cost: float | None = None,
) -> Forecast:
    new = [d for d in decisions if d.action.spends]
    micro = sum(round(d.item.estimate.usd * 1_000_000) for d in new)
    total = micro / 1_000_000
    day_remaining = None
    if limits.daily_usd is not None and month.today is not None:
        day_remaining = round(
            limits.daily_usd - month.today.charged_usd - month.today.reserved_usd, 6
        )
    refusal, hint = None, None
    videos = f"{len(new)} new video{'s' if len(new) != 1 else ''}"
    priciest = max(new, key=lambda d: d.item.estimate.usd, default=None)
    if max_cost is not None and total > max_cost + 1e-9:
        refusal = (
            f"refused: this batch's {videos} are estimated at {usd_text(total)} USD,"
            f" over --max-cost {usd_text(max_cost)}"
        )
        hint = f"raise --max-cost to {usd_text(total)}, or run fewer items"
    elif (
        priciest is not None
        and limits.per_video_usd is not None
        and priciest.item.estimate.usd > limits.per_video_usd + 1e-9
    ):
        refusal = (
            f"refused: item {priciest.item.label} is estimated at"
            f" {usd_text(priciest.item.estimate.usd)} USD, over the per-video limit of"
            f" {usd_text(limits.per_video_usd)} USD"
        )
        hint = f"video-gen budget set --per-video {_round_up(priciest.item.estimate.usd)}"
    elif new and total > month.remaining_usd + 1e-9:
        refusal = (
            f"refused: this batch's {videos} are estimated at {usd_text(total)} USD, but"
            f" {month.label} has {usd_text(max(month.remaining_usd, 0.0))} USD left of"
            f" the {usd_text(month.limit_usd)} USD monthly limit (spent"
            f" {usd_text(month.spent_usd)}, reserved {usd_text(month.reserved_usd)})"
        )
        needed = month.limit_usd + total - month.remaining_usd
        hint = f"video-gen budget set --monthly {_round_up(needed)}, or run fewer items"
    elif new and day_remaining is not None and total > day_remaining + 1e-9:
        refusal = (
            f"refused: this batch's {videos} are estimated at {usd_text(total)} USD, but"
            f" today has {usd_text(max(day_remaining, 0.0))} USD left of the daily limit"
            f" of {usd_text(limits.daily_usd or 0.0)} USD"
        )
        needed = (limits.daily_usd or 0.0) + total - day_remaining
        hint = f"video-gen budget set --daily {_round_up(needed)}, or run fewer items"
    return Forecast(
        new_jobs=len(new),
        total_usd=total,
        month=month.label,
        month_remaining_usd=month.remaining_usd,
        day_remaining_usd=day_remaining,
        per_video_usd=limits.per_video_usd,
        max_cost_usd=max_cost,
        refusal=refusal,
        hint=hint,
    )


def _round_up(usd: float) -> str:
    """A round limit that covers ``usd``: whole dollars from 1, cents below."""
    import math

    if usd >= 1:
        return str(math.ceil(usd - 1e-9))
    return f"{math.ceil(usd * 100 - 1e-9) / 100:.2f}"
