"""The retry policy: which failures are retried, and how long to wait between tries.

It follows the official SDK: connection errors, 408, 409, 429 and >= 500 are retried with
exponential backoff (0.5 s doubling, capped at 8 s, up to 25% jitter) unless the server says how
long to wait (``retry-after-ms``, then ``Retry-After`` in seconds or as an HTTP date), which is
honoured up to a ceiling. Other 4xx are final. The wait generator plugs into ``backoff``.
"""

from __future__ import annotations

import email.utils
import random
import time
from collections.abc import Callable, Generator, Mapping
from dataclasses import dataclass

from video_gen.errors import APIConnectionError, APIError


@dataclass(frozen=True)
class RetryPolicy:
    max_retries: int = 4
    base_delay: float = 0.5
    max_delay: float = 8.0
    jitter: float = 0.25
    # A Retry-After beyond this is not believed (a misconfigured proxy can say an hour): the
    # normal backoff is used instead, as the SDK does.
    max_retry_after: float = 120.0


def is_retryable_status(status: int) -> bool:
    return status in (408, 409, 429) or status >= 500


def is_retryable(exc: BaseException) -> bool:
    if isinstance(exc, APIConnectionError):
        return True
    if isinstance(exc, APIError) and exc.status is not None:
        return is_retryable_status(exc.status)
    return False


def may_have_created(exc: BaseException) -> bool:
    """Could a failed create have made a job anyway? Then look before posting again.

    A 5xx, 408 or 409, a read timeout or a connection dropped after the request went out may all
    hide a job the server made. A refused connection or a 429 did not reach the job store.
    """
    if isinstance(exc, APIConnectionError):
        return exc.sent
    if isinstance(exc, APIError) and exc.status is not None:
        return exc.status >= 500 or exc.status in (408, 409)
    return False


# LiteLLM's proxy passes the upstream's headers on renamed with this prefix (its own 429s
# carry ``llm_provider-retry-after``), so a hint may arrive under either name.
_FORWARDED = "llm_provider-"


def parse_retry_after(headers: Mapping[str, str], *, now: float | None = None) -> float | None:
    """Seconds to wait from ``retry-after-ms`` or ``Retry-After`` (seconds or HTTP date), also
    as forwarded by a proxy (``llm_provider-retry-after``)."""
    lowered = {k.lower(): v for k, v in headers.items()}
    for prefix in ("", _FORWARDED):
        ms = lowered.get(prefix + "retry-after-ms")
        if ms is not None:
            try:
                value = float(ms) / 1000.0
                if value >= 0:
                    return value
            except ValueError:
                pass
        ra = lowered.get(prefix + "retry-after")
        if ra is not None:
            found = _retry_after_value(ra.strip(), now)
            if found is not None:
                return found
    return None


def _retry_after_value(ra: str, now: float | None) -> float | None:
    try:
        value = float(ra)
        return value if value >= 0 else None
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(ra)
    except (TypeError, ValueError):
        return None
    if when is None:
        return None
    now = time.time() if now is None else now
    return max(0.0, when.timestamp() - now)


def backoff_delay(attempt: int, policy: RetryPolicy, rand: float) -> float:
    """Exponential delay for retry number ``attempt`` (0-based), jitter taken off the top."""
    delay = min(policy.base_delay * (2.0**attempt), policy.max_delay)
    return delay * (1.0 - policy.jitter * rand)


def delay_for(exc: BaseException, attempt: int, policy: RetryPolicy, rand: float) -> float:
    hint = getattr(exc, "retry_after", None)
    if isinstance(hint, (int, float)) and 0 <= hint <= policy.max_retry_after:
        return float(hint)
    return backoff_delay(attempt, policy, rand)


def wait_gen(
    policy: RetryPolicy, rand: Callable[[], float] = random.random
) -> Generator[float, BaseException, None]:
    """A ``backoff`` wait generator: receives each exception, yields the delay before retrying."""
    exc = yield  # type: ignore[misc]  # backoff primes the generator with next() first
    attempt = 0
    while True:
        exc = yield delay_for(exc, attempt, policy, rand())
        attempt += 1
