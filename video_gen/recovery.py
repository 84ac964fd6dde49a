"""Lost creates: finding the job a failed create may have made, or recording it in doubt.

A create that failed after it may have reached the server (a 5xx, a read timeout, a connection
dropped after sending) may have made a paid job. Posting again blindly pays twice; giving up
silently loses a paid job. The rule, for every provider kind:

1. Ask the server for jobs matching the request made since the create began
   (``Provider.find_recent``).
2. Claim one under the ledger lock (``Ledger.claim``): never a job another ledger job recorded,
   and only when no other create with the same parameters is still waiting for its answer
   (that job may be the other create's). While such creates are pending, wait a little for them
   to record theirs.
3. Nothing found: the server certainly has no job, so the create may be posted again.
4. **The job may exist and cannot be looked up** (no job list, a failing list, job objects
   without the fields to match) or cannot be told apart: never post again. The create is
   recorded *in doubt*, its reservation kept, and ``CreateInDoubtError`` (exit 7) says exactly
   what to check and how to settle it (``video-gen settle``).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import datetime, timezone
from typing import Any

from video_gen.errors import CreateInDoubtError, LookupUnavailableError
from video_gen.providers.base import Provider
from video_gen.types import GenerationRequest, RemoteJob

CLAIM_WAIT = 10.0  # seconds to wait for concurrent creates with the same parameters to record
_CLAIM_POLL = 0.5


def recover(
    provider: Provider,
    ledger: Any,
    local_id: str,
    request: GenerationRequest,
    *,
    since: float,
    cause: BaseException,
    wait: float | None = None,
    sleep: Callable[[float], None] | None = None,
    clock: Callable[[], float] | None = None,
) -> RemoteJob | None:
    """The job this create made (now recorded), or None when the server certainly has none.

    Raises ``CreateInDoubtError`` (after recording the create in doubt) when that cannot be
    known. ``since`` is the unix time the create began.
    """
    began = datetime.fromtimestamp(since, tz=timezone.utc)
    sleep = sleep or time.sleep
    clock = clock or time.monotonic
    give_up = clock() + (CLAIM_WAIT if wait is None else wait)
    while True:
        try:
            found = provider.find_recent(request, since=since)
        except LookupUnavailableError as why:
            raise in_doubt(ledger, local_id, provider, request, cause, why.message) from None
        claim = ledger.claim(local_id, request, [(j.id, j.status) for j in found], since=began)
        if claim.remote_id is not None:
            return next(j for j in found if j.id == claim.remote_id)
        if not claim.ambiguous:
            return None
        if claim.pending == 0 or clock() >= give_up:
            reason = (
                f"{claim.unclaimed} jobs on the server match it"
                + (
                    f" and {claim.pending} other create(s) with the same parameters are unresolved"
                    if claim.pending
                    else ""
                )
                + ", so which one it made cannot be told"
            )
            raise in_doubt(ledger, local_id, provider, request, cause, reason)
        sleep(_CLAIM_POLL)


def in_doubt(
    ledger: Any,
    local_id: str,
    provider: Provider,
    request: GenerationRequest,
    cause: BaseException,
    why: str,
) -> CreateInDoubtError:
    """Record the create in doubt and build the error that says what to check."""
    when = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    ledger.in_doubt(local_id, f"{cause}; {why}")
    return CreateInDoubtError(
        local_id,
        f"the create may have made a paid job on provider {provider.name!r} ({cause}), and"
        f" it cannot be looked up: {why}. It was NOT sent again; the job is recorded in doubt"
        f" as {local_id} with its reservation kept",
        hint=f"check {provider.name}'s dashboard or logs for a job ({request.model},"
        f" {request.seconds} s) made around {when}; then `video-gen settle {local_id}"
        f" --remote-id ID` if you find it (video-gen then follows and downloads it), or"
        f" `video-gen settle {local_id} --not-charged` if there is none; `video-gen recover`"
        " looks again once no create with the same parameters is running",
    )
