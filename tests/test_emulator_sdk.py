"""Fidelity of the emulator, proven with the official `openai` SDK pointed at it.

If the SDK's own parsing, pagination, polling and error classes work against the emulator, a
client written for the real API works against it too (and vice versa).
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterator

import openai
import pytest
from fakekeys import fake_key
from PIL import Image

from video_gen.emulator import EmulatorServer

# The SDK marks the Videos API deprecated (Sora is switched off); the shape is what we test.
pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")

POLL_MS = 20


@pytest.fixture
def srv() -> Iterator[EmulatorServer]:
    with EmulatorServer(job_seconds=0.4) as server:
        yield server


@pytest.fixture
def client(srv: EmulatorServer) -> openai.OpenAI:
    return openai.OpenAI(base_url=srv.base_url, api_key="test-key", max_retries=0)


@pytest.fixture
def slow_client() -> Iterator[openai.OpenAI]:
    """Jobs that stay unfinished for the whole test, however slow the machine."""
    with EmulatorServer(job_seconds=60, queue_seconds=0) as server:
        yield openai.OpenAI(base_url=server.base_url, api_key="test-key", max_retries=0)


def png(width: int, height: int) -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (width, height), (30, 120, 200)).save(buf, "PNG")
    return buf.getvalue()


def test_create_and_poll_completes_with_the_full_video_object(client: openai.OpenAI) -> None:
    video = client.videos.create_and_poll(prompt="a calico cat", poll_interval_ms=POLL_MS)
    assert re.fullmatch(r"video_[0-9a-f]{32}", video.id)
    assert video.object == "video"
    assert video.status == "completed"
    assert video.progress == 100
    assert (video.model, video.seconds, video.size) == ("sora-2", "4", "720x1280")
    assert video.prompt == "a calico cat"
    assert video.error is None
    assert video.remixed_from_video_id is None
    assert video.completed_at is not None and video.completed_at >= video.created_at
    assert video.expires_at == video.completed_at + 3600


def test_create_answers_a_running_job(slow_client: openai.OpenAI) -> None:
    video = slow_client.videos.create(prompt="p", model="sora-2-pro", seconds="8", size="1792x1024")
    assert video.status == "in_progress"  # no queue time on this server
    assert (video.model, video.seconds, video.size) == ("sora-2-pro", "8", "1792x1024")
    assert 0 <= video.progress < 100


@pytest.mark.parametrize(
    ("variant", "check"),
    [
        ("video", lambda b: b[4:8] == b"ftyp"),
        ("thumbnail", lambda b: b[:4] == b"RIFF" and b[8:12] == b"WEBP"),
        ("spritesheet", lambda b: b[:2] == b"\xff\xd8"),
    ],
)
def test_download_content_each_variant(client: openai.OpenAI, variant: str, check: object) -> None:
    video = client.videos.create_and_poll(prompt="p", poll_interval_ms=POLL_MS)
    data = client.videos.download_content(video.id, variant=variant).content  # type: ignore[arg-type]
    assert callable(check) and check(data)
    assert 1000 < len(data) < 2_000_000  # a real 4 s clip per job, not a padded blob


def test_download_default_variant_is_mp4(client: openai.OpenAI) -> None:
    video = client.videos.create_and_poll(prompt="p", poll_interval_ms=POLL_MS)
    response = client.videos.with_raw_response.download_content(video.id)
    assert response.headers["content-type"] == "video/mp4"
    assert response.headers["accept-ranges"] == "bytes"
    assert response.headers["x-request-id"].startswith("req_")
    assert response.content[4:8] == b"ftyp"


def test_list_paginates_with_after(client: openai.OpenAI) -> None:
    ids = [client.videos.create(prompt=f"p{i}").id for i in range(5)]
    page = client.videos.list(limit=2)
    assert [v.id for v in page.data] == ids[::-1][:2]  # newest first by default
    assert page.has_more is True
    second = client.videos.list(limit=2, after=page.data[-1].id)
    assert [v.id for v in second.data] == ids[::-1][2:4]
    # The SDK's auto-pagination follows last_id until has_more is false.
    assert [v.id for v in client.videos.list(limit=2)] == ids[::-1]
    assert [v.id for v in client.videos.list(limit=3, order="asc")] == ids
    last = client.videos.list(limit=2, after=ids[1], order="desc")
    assert [v.id for v in last.data] == [ids[0]]
    assert last.has_more is False


def test_remix_makes_a_new_job_from_a_completed_one(client: openai.OpenAI) -> None:
    source = client.videos.create_and_poll(
        prompt="a cat", seconds="8", size="1280x720", poll_interval_ms=POLL_MS
    )
    remix = client.videos.remix(source.id, prompt="the cat takes a bow")
    assert remix.id != source.id
    assert remix.remixed_from_video_id == source.id
    assert (remix.seconds, remix.size, remix.prompt) == ("8", "1280x720", "the cat takes a bow")
    done = client.videos.poll(remix.id, poll_interval_ms=POLL_MS)
    assert done.status == "completed"


def test_remix_of_an_unfinished_job_is_refused(slow_client: openai.OpenAI) -> None:
    source = slow_client.videos.create(prompt="a cat")
    with pytest.raises(openai.BadRequestError) as err:
        slow_client.videos.remix(source.id, prompt="again")
    assert err.value.param == "video_id"


def test_delete_then_retrieve_is_not_found(client: openai.OpenAI) -> None:
    video = client.videos.create_and_poll(prompt="p", poll_interval_ms=POLL_MS)
    deleted = client.videos.delete(video.id)
    assert (deleted.id, deleted.object, deleted.deleted) == (video.id, "video.deleted", True)
    with pytest.raises(openai.NotFoundError) as err:
        client.videos.retrieve(video.id)
    assert err.value.code == "video_not_found"
    assert err.value.request_id and err.value.request_id.startswith("req_")


@pytest.mark.parametrize(
    ("kwargs", "param", "code"),
    [
        ({"seconds": "5"}, "seconds", "invalid_value"),
        ({"size": "1024x1792"}, "size", "invalid_value"),  # sora-2 has only the 720p sizes
        ({"model": "sora-3"}, "model", "invalid_value"),
        ({"prompt": ""}, "prompt", "string_below_min_length"),
        ({"prompt": "x" * 32001}, "prompt", "string_above_max_length"),
    ],
)
def test_bad_input_raises_bad_request(
    client: openai.OpenAI, kwargs: dict[str, str], param: str, code: str
) -> None:
    args = {"prompt": "p", **kwargs}
    with pytest.raises(openai.BadRequestError) as err:
        client.videos.create(**args)  # type: ignore[arg-type]
    assert err.value.status_code == 400
    assert (err.value.param, err.value.code) == (param, code)
    assert err.value.type == "invalid_request_error"


def test_reference_image_must_match_size(client: openai.OpenAI, srv: EmulatorServer) -> None:
    ok = client.videos.create(
        prompt="p", size="1280x720", input_reference=("r.png", png(1280, 720))
    )
    assert ok.status in ("queued", "in_progress")
    with pytest.raises(openai.BadRequestError) as err:
        client.videos.create(prompt="p", size="720x1280", input_reference=("r.png", png(720, 720)))
    assert "Inpaint image must match the requested width and height" in err.value.message
    assert err.value.param == "input_reference"
    with pytest.raises(openai.BadRequestError) as err:
        client.videos.create(prompt="p", input_reference=("r.gif", b"GIF89a" + bytes(20)))
    assert err.value.param == "input_reference"
    assert srv.stats.jobs_created == 1


def test_webp_and_jpeg_references_are_accepted(client: openai.OpenAI) -> None:
    for fmt in ("WEBP", "JPEG"):
        buf = io.BytesIO()
        Image.new("RGB", (720, 1280)).save(buf, fmt)
        video = client.videos.create(prompt="p", input_reference=("ref", buf.getvalue()))
        assert video.id.startswith("video_") and video.status == "queued", fmt


def test_require_key_gives_authentication_error() -> None:
    with EmulatorServer(job_seconds=0.2, require_key=fake_key("right", "key-0123456789")) as srv:
        bad = openai.OpenAI(
            base_url=srv.base_url, api_key=fake_key("wrong", "key-0123456789"), max_retries=0
        )
        with pytest.raises(openai.AuthenticationError) as err:
            bad.videos.list()
        assert err.value.code == "invalid_api_key"
        assert fake_key("wrong", "key-0123456789") not in err.value.message
        assert "sk-wr***89" in err.value.message
        good = openai.OpenAI(
            base_url=srv.base_url, api_key=fake_key("right", "key-0123456789"), max_retries=0
        )
        assert good.videos.list().data == []


def test_not_found_for_unknown_id_and_for_unready_content(slow_client: openai.OpenAI) -> None:
    with pytest.raises(openai.NotFoundError):
        slow_client.videos.retrieve("video_" + "0" * 32)
    with pytest.raises(openai.NotFoundError):
        slow_client.videos.download_content("video_" + "0" * 32)
    video = slow_client.videos.create(prompt="p")
    with pytest.raises(openai.NotFoundError) as err:
        slow_client.videos.download_content(video.id)
    assert "not ready" in err.value.message


def test_failed_job_reports_error_through_poll() -> None:
    with EmulatorServer(job_seconds=0.3, faults="fail") as srv:
        c = openai.OpenAI(base_url=srv.base_url, api_key="k", max_retries=0)
        video = c.videos.create_and_poll(prompt="p", poll_interval_ms=POLL_MS)
        assert video.status == "failed"
        assert video.error is not None and video.error.code == "internal_error"
        again = c.videos.create_and_poll(prompt="p", poll_interval_ms=POLL_MS)
        assert again.status == "completed"  # the fault was used up


def test_sdk_follows_the_poll_hint_header() -> None:
    with EmulatorServer(job_seconds=0.5, poll_hint_ms=25) as srv:
        c = openai.OpenAI(base_url=srv.base_url, api_key="k", max_retries=0)
        raw = c.videos.with_raw_response.retrieve(c.videos.create(prompt="p").id)
        assert raw.headers["openai-poll-after-ms"] == "25"
        c.videos.create_and_poll(prompt="p")  # no interval given: the header sets it
        # At the SDK's 1000 ms default there would be 2 polls; at 25 ms there are many.
        assert srv.stats.requests[("GET", "retrieve")] > 5


def test_sdk_retries_on_5xx_and_429_and_a_create_is_made_once() -> None:
    with EmulatorServer(job_seconds=0.2, faults="5xx@create,429@create,retry-after=0.01") as srv:
        c = openai.OpenAI(base_url=srv.base_url, api_key="k", max_retries=2)
        c.videos.create(prompt="p")
        assert srv.stats.creates_received == 3
        assert srv.stats.jobs_created == 1


def test_create_500_shows_the_double_charge_trap_of_blind_retries() -> None:
    # The SDK retries a 500 blindly: the first job exists already, so the user pays twice.
    with EmulatorServer(job_seconds=0.2, faults="create-500") as srv:
        c = openai.OpenAI(base_url=srv.base_url, api_key="k", max_retries=1)
        c.videos.create(prompt="p")
        assert srv.stats.creates_received == 2
        assert srv.stats.jobs_created == 2
        assert len(c.videos.list().data) == 2


def test_dropped_connection_is_a_connection_error(srv: EmulatorServer) -> None:
    c = openai.OpenAI(base_url=srv.base_url, api_key="k", max_retries=0)
    srv.faults.add("create-drop")
    with pytest.raises(openai.APIConnectionError):
        c.videos.create(prompt="p")
    assert srv.stats.jobs_created == 1  # the ambiguous create did make a job
    assert len(c.videos.list().data) == 1
