"""Settling a job the ledger cannot settle on its own (``video-gen settle``).

Two kinds of job stay open with their reservation held until a person says what became of them:

* a create left **in doubt** (it may have made a paid job that could not be looked up): either
  its job is found on the provider (``--remote-id``: adopted, then followed and downloaded like
  any job), or it is declared not charged, or charged;
* a job the server **no longer knows** (404 after it was recorded: expired, deleted elsewhere):
  declared charged (by default its estimate, or the amount the provider's bill shows) or not.

The ledger records the declaration with its reason, and the budget follows it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from video_gen.errors import UsageError

ADOPT, CHARGED, NOT_CHARGED = "adopted", "charged", "not charged"


@dataclass(frozen=True)
class Settled:
    local_id: str
    outcome: str  # adopted, charged, not charged
    charged_usd: float | None  # None when adopted (the job runs on and is charged when it ends)
    remote_id: str | None
    reason: str

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.local_id,
            "outcome": self.outcome,
            "charged_usd": self.charged_usd,
            "remote_id": self.remote_id,
            "reason": self.reason,
        }


def settle(
    ledger: Any,
    job: Any,
    *,
    outcome: str,
    amount_usd: float | None = None,
    remote_id: str | None = None,
    remote_status: str | None = None,
    reason: str | None = None,
) -> Settled:
    """Record what became of ``job`` (a ``JobView``). ``remote_status``: what the provider says
    of ``remote_id`` (the caller looked it up, so a typo is not adopted)."""
    if not job.in_flight:
        raise UsageError(
            f"job {job.local_id} already ended ({job.status}, charged"
            f" {job.charged_usd or 0:.2f} USD): there is nothing to settle",
            hint=f"see it with: video-gen history show {job.local_id}",
        )
    if outcome == ADOPT:
        if not remote_id:
            raise UsageError(
                "--remote-id needs the job's id on the provider",
                hint="video-gen settle ID --remote-id video_... (the id the provider shows)",
            )
        if job.remote_id:
            raise UsageError(
                f"job {job.local_id} already has its remote id {job.remote_id}",
                hint=f"follow it with: video-gen download {job.local_id}",
            )
        owner = ledger.find_remote(remote_id)
        if owner is not None and owner.local_id != job.local_id:
            raise UsageError(
                f"{remote_id} is already recorded for job {owner.local_id}: one paid job cannot"
                " be two jobs' result",
                hint=f"settle {job.local_id} --not-charged if no other job exists for it",
            )
        ledger.submitted(job.local_id, remote_id, remote_status or "adopted")
        ledger.event(job.local_id, "settled-adopt", remote_id=remote_id, reason=reason or "")
        return Settled(job.local_id, ADOPT, None, remote_id, reason or "")
    if outcome == CHARGED:
        charged = job.estimate_usd if amount_usd is None else amount_usd
        text = reason or ("declared charged" + (" (the estimate)" if amount_usd is None else ""))
    elif outcome == NOT_CHARGED:
        charged, text = 0.0, reason or "declared not charged"
    else:
        raise UsageError(
            f"unknown settlement {outcome!r}",
            hint="use --charged, --not-charged or --remote-id ID",
        )
    ledger.settle(job.local_id, charged_usd=charged, reason=text)
    return Settled(job.local_id, outcome, charged, job.remote_id, text)
