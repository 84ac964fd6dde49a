"""The /v1/videos client against the emulator on loopback: retries, typed errors, one create."""

from __future__ import annotations

import time

import pytest
from fakekeys import fake_key

from video_gen.client.retry import RetryPolicy
from video_gen.client.videos import Timeouts, VideosClient
from video_gen.emulator import EmulatorServer
from video_gen.errors import (
    APIConnectionError,
    AuthenticationError,
    BadRequestError,
    ModerationBlockedError,
    NotFoundError,
    RateLimitError,
    ServerError,
)

KEY = fake_key("test")
FIELDS = {
    "prompt": "a red kite over a beach",
    "model": "sora-2",
    "seconds": "4",
    "size": "720x1280",
}


def client(srv: EmulatorServer, **kw: object) -> VideosClient:
    return VideosClient(srv.base_url, KEY, **kw)  # type: ignore[arg-type]


def test_create_retrieve_list_delete(emulator: EmulatorServer) -> None:
    c = client(emulator)
    job = c.create(**FIELDS)
    assert job["status"] == "queued" and job["id"].startswith("video_")
    data, headers = c.retrieve(job["id"])
    assert data["id"] == job["id"] and headers["x-request-id"].startswith("req_")
    ids = [c.create(**{**FIELDS, "prompt": f"p{i}"})["id"] for i in range(5)]
    seen = [v["id"] for v in c.iter_videos(order="desc", page_size=2)]
    assert seen[:5] == list(reversed(ids)) and len(seen) == 6
    time.sleep(0.7)  # OpenAI deletes only finished videos
    assert c.delete(job["id"])["deleted"] is True
    with pytest.raises(NotFoundError) as err:
        c.retrieve(job["id"])
    assert err.value.status == 404 and err.value.request_id


def test_5xx_burst_is_retried_with_backoff(emulator: EmulatorServer, sleeps: list[float]) -> None:
    c = client(emulator)
    job = c.create(**FIELDS)
    emulator.faults.add("5xx", count=3, endpoint="retrieve")
    data, _ = c.retrieve(job["id"])
    assert data["id"] == job["id"]
    assert len(sleeps) == 3 and sleeps[0] <= 0.5 and sleeps[2] <= 2.0


def test_5xx_forever_gives_typed_error_after_max_retries(
    emulator: EmulatorServer, sleeps: list[float]
) -> None:
    c = client(emulator, retry=RetryPolicy(max_retries=2))
    emulator.faults.add("5xx", count=10, endpoint="list")
    with pytest.raises(ServerError) as err:
        c.list()
    assert err.value.status in (500, 502, 503) and err.value.request_id
    assert len(sleeps) == 2


def test_429_honours_retry_after(sleeps: list[float]) -> None:
    with EmulatorServer(job_seconds=0.5, faults="429@list=2,retry-after=3") as srv:
        client(srv).list()
    assert sleeps == [3.0, 3.0]


def test_429_storm_ends_in_rate_limit_error(sleeps: list[float]) -> None:
    with (
        EmulatorServer(job_seconds=0.5, faults="429@list=20,retry-after=1") as srv,
        pytest.raises(RateLimitError) as err,
    ):
        client(srv, retry=RetryPolicy(max_retries=3)).list()
    assert err.value.retry_after == 1.0 and len(sleeps) == 3


def test_dropped_connection_is_retried(emulator: EmulatorServer, sleeps: list[float]) -> None:
    emulator.faults.add("drop", count=2, endpoint="list")
    assert client(emulator).list()["object"] == "list"
    assert len(sleeps) == 2


def test_400_is_not_retried_and_is_typed(emulator: EmulatorServer, sleeps: list[float]) -> None:
    c = client(emulator)
    with pytest.raises(BadRequestError) as err:
        c.create(**{**FIELDS, "seconds": "5"})
    assert err.value.status == 400 and err.value.param == "seconds"
    assert err.value.code and err.value.request_id
    assert sleeps == [] and emulator.stats.creates_received == 1


def test_bad_key_is_typed_and_never_echoed() -> None:
    with (
        EmulatorServer(job_seconds=0.5, require_key="right-key-123456") as srv,
        pytest.raises(AuthenticationError) as err,
    ):
        client(srv).list()
    assert err.value.status == 401 and err.value.code == "invalid_api_key"
    assert KEY not in str(err.value) and KEY not in (err.value.hint or "")


def test_moderation_block_at_create(emulator: EmulatorServer) -> None:
    emulator.faults.add("moderation", endpoint="create")
    with pytest.raises(ModerationBlockedError):
        client(emulator).create(**FIELDS)
    assert emulator.stats.jobs_created == 0


@pytest.mark.parametrize("fault", ["create-500", "create-drop"])
def test_ambiguous_create_makes_exactly_one_job(
    emulator: EmulatorServer, sleeps: list[float], fault: str
) -> None:
    emulator.faults.add(fault, endpoint="create")
    job = client(emulator).create(**FIELDS)
    assert emulator.stats.creates_received == 1  # found through the list, never posted again
    assert emulator.stats.jobs_created == 1
    assert emulator.jobs.get(job["id"]) is not None


def test_ambiguous_create_does_not_take_a_job_the_caller_owns(
    emulator: EmulatorServer, sleeps: list[float]
) -> None:
    c = client(emulator)
    mine = c.create(**FIELDS)
    emulator.faults.add("5xx", endpoint="create")  # fails before making anything
    job = c.create(**FIELDS, exclude_ids=frozenset({mine["id"]}))
    assert job["id"] != mine["id"]
    assert emulator.stats.jobs_created == 2


def test_create_5xx_before_the_job_exists_posts_again(
    emulator: EmulatorServer, sleeps: list[float]
) -> None:
    emulator.faults.add("5xx", count=2, endpoint="create")
    client(emulator).create(**FIELDS)
    assert emulator.stats.creates_received == 3 and emulator.stats.jobs_created == 1


def test_read_timeout_is_a_connection_error(sleeps: list[float]) -> None:
    with EmulatorServer(job_seconds=0.5, faults="slow@list=5,slow-seconds=1.5") as srv:
        c = client(srv, timeouts=Timeouts(connect=2, read=0.3), retry=RetryPolicy(max_retries=1))
        started = time.monotonic()
        with pytest.raises(APIConnectionError):
            c.list()
    assert time.monotonic() - started < 5


def test_refused_connection_is_unavailable(sleeps: list[float]) -> None:
    c = VideosClient("http://127.0.0.1:9/v1", KEY, retry=RetryPolicy(max_retries=1))
    with pytest.raises(APIConnectionError) as err:
        c.list()
    assert getattr(err.value, "sent", None) is False


def test_content_before_completion_is_404() -> None:
    with EmulatorServer(job_seconds=30) as slow:
        c = client(slow)
        job = c.create(**FIELDS)
        with pytest.raises(NotFoundError) as err:
            c.content(job["id"])
    assert "not ready" in str(err.value).lower()


def test_multipart_without_file_falls_back_to_json_once() -> None:
    with EmulatorServer(job_seconds=0.5, profile="sglang") as srv:
        c = client(srv)
        c.create(**FIELDS)
        c.create(**{**FIELDS, "prompt": "second"})
        assert srv.stats.jobs_created == 2
        # multipart refused once, then JSON for that one and every later create
        assert srv.stats.creates_received == 3


def test_user_agent_and_auth_header(emulator: EmulatorServer) -> None:
    c = client(emulator)
    assert c.session.headers["User-Agent"].startswith("video-gen/")
    assert c.session.headers["Authorization"] == f"Bearer {KEY}"
