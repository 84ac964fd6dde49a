"""The /v1/videos client against the emulator on loopback: retries, typed errors, one create."""

from __future__ import annotations

import time

import pytest
from fakekeys import fake_key

from video_gen.client.retry import RetryPolicy
from video_gen.client.transport import Timeouts
from video_gen.client.videos import VideosClient
from video_gen.emulator import EmulatorServer
from video_gen.errors import (
    AmbiguousCreateError,
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
    return VideosClient.connect(srv.base_url, KEY, **kw)


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
def test_ambiguous_create_is_never_posted_again_by_the_client(
    emulator: EmulatorServer, sleeps: list[float], fault: str
) -> None:
    """A create that may have made a job raises for the job layer to look; the client itself
    never sends it twice."""
    emulator.faults.add(fault, endpoint="create")
    began = time.time()
    with pytest.raises(AmbiguousCreateError) as err:
        client(emulator).create(**FIELDS)
    assert err.value.cause.status in (500, None)
    assert emulator.stats.creates_received == 1 and emulator.stats.jobs_created == 1
    found = client(emulator).candidates(FIELDS, since=began)
    assert [j["id"] for j in found] == [next(iter(emulator.jobs)).id]


def test_candidates_match_every_field_and_stop_at_the_horizon(emulator: EmulatorServer) -> None:
    c = client(emulator)
    began = time.time()
    mine = c.create(**FIELDS)
    c.create(**{**FIELDS, "prompt": "another prompt"})
    c.create(**{**FIELDS, "size": "1280x720"})
    assert [j["id"] for j in c.candidates(FIELDS, since=began)] == [mine["id"]]
    assert c.candidates(FIELDS, since=time.time() + 3600) == []


def test_a_refused_or_rate_limited_create_is_retried_by_the_client(sleeps: list[float]) -> None:
    """A 429 (or a refused connection) made no job: sending it again cannot pay twice."""
    with EmulatorServer(job_seconds=0.5, faults="429@create=2,retry-after=1") as srv:
        client(srv).create(**FIELDS)
        assert srv.stats.creates_received == 3 and srv.stats.jobs_created == 1
    assert sleeps == [1.0, 1.0]


def test_read_timeout_is_a_connection_error(sleeps: list[float]) -> None:
    with EmulatorServer(job_seconds=0.5, faults="slow@list=5,slow-seconds=1.5") as srv:
        c = client(srv, timeouts=Timeouts(connect=2, read=0.3), retry=RetryPolicy(max_retries=1))
        started = time.monotonic()
        with pytest.raises(APIConnectionError):
            c.list()
    assert time.monotonic() - started < 5


def test_refused_connection_is_unavailable(sleeps: list[float]) -> None:
    c = VideosClient.connect("http://127.0.0.1:9/v1", KEY, retry=RetryPolicy(max_retries=1))
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
