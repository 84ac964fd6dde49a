"""The retry policy as pure tables: what is retried, how long each wait is, Retry-After parsing."""

from __future__ import annotations

import email.utils

import pytest

from video_gen.client.retry import (
    RetryPolicy,
    backoff_delay,
    delay_for,
    is_retryable,
    may_have_created,
    parse_retry_after,
    wait_gen,
)
from video_gen.errors import (
    APIConnectionError,
    APITimeoutError,
    BadRequestError,
    RateLimitError,
    ServerError,
)


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        ({"retry-after-ms": "250"}, 0.25),
        ({"Retry-After": "3"}, 3.0),
        ({"retry-after": "1.5"}, 1.5),
        ({"retry-after-ms": "100", "retry-after": "9"}, 0.1),  # ms wins, as in the SDK
        ({"retry-after-ms": "junk", "retry-after": "2"}, 2.0),
        ({"retry-after": "-4"}, None),
        ({"retry-after": "soon"}, None),
        ({}, None),
    ],
)
def test_parse_retry_after(headers: dict[str, str], expected: float | None) -> None:
    assert parse_retry_after(headers) == expected


def test_parse_retry_after_http_date_with_patched_clock() -> None:
    now = 1_800_000_000.0
    header = email.utils.formatdate(now + 7, usegmt=True)
    assert parse_retry_after({"Retry-After": header}, now=now) == pytest.approx(7.0)
    past = email.utils.formatdate(now - 60, usegmt=True)
    assert parse_retry_after({"Retry-After": past}, now=now) == 0.0


@pytest.mark.parametrize(
    ("attempt", "rand", "expected"),
    [
        (0, 0.0, 0.5),
        (1, 0.0, 1.0),
        (2, 0.0, 2.0),
        (3, 0.0, 4.0),
        (4, 0.0, 8.0),
        (9, 0.0, 8.0),
        (0, 1.0, 0.375),
        (4, 1.0, 6.0),
        (2, 0.5, 1.75),
    ],
)
def test_backoff_delay_doubles_caps_and_jitters_down(
    attempt: int, rand: float, expected: float
) -> None:
    assert backoff_delay(attempt, RetryPolicy(), rand) == pytest.approx(expected)


def test_retry_after_honoured_up_to_its_ceiling() -> None:
    policy = RetryPolicy(max_retry_after=60)
    assert delay_for(RateLimitError("x", status=429, retry_after=12), 0, policy, 0.0) == 12
    # A Retry-After beyond the ceiling is not believed: normal backoff instead.
    assert delay_for(RateLimitError("x", status=429, retry_after=3600), 0, policy, 0.0) == 0.5


def test_wait_gen_drives_backoff_sequence() -> None:
    gen = wait_gen(RetryPolicy(), rand=lambda: 0.0)
    gen.send(None)  # primed the way the backoff library primes it
    waits = [gen.send(ServerError("boom", status=503)) for _ in range(5)]
    assert waits == [0.5, 1.0, 2.0, 4.0, 8.0]
    assert gen.send(RateLimitError("slow down", status=429, retry_after=2.0)) == 2.0


@pytest.mark.parametrize(
    ("exc", "retryable", "ambiguous"),
    [
        (ServerError("x", status=500), True, True),
        (ServerError("x", status=503), True, True),
        (RateLimitError("x", status=429), True, False),
        (BadRequestError("x", status=408), True, True),
        (BadRequestError("x", status=409), True, True),
        (BadRequestError("x", status=400), False, False),
        (BadRequestError("x", status=404), False, False),
        (BadRequestError("x", status=422), False, False),
    ],
)
def test_what_is_retried_and_what_may_hide_a_job(
    exc: Exception, retryable: bool, ambiguous: bool
) -> None:
    assert is_retryable(exc) is retryable
    assert may_have_created(exc) is ambiguous


def test_connection_errors_ambiguous_only_once_sent() -> None:
    refused = APIConnectionError("refused")
    refused.sent = False  # type: ignore[attr-defined]
    dropped = APIConnectionError("dropped")
    dropped.sent = True  # type: ignore[attr-defined]
    read_timeout = APITimeoutError("slow")
    read_timeout.sent = True  # type: ignore[attr-defined]
    assert is_retryable(refused) and not may_have_created(refused)
    assert may_have_created(dropped)
    assert may_have_created(read_timeout)
