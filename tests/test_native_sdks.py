"""Fidelity of the gemini, fal and replicate emulator profiles, proven with each API's official
Python SDK pointed at them: a full create, poll and download, and the SDK's own error classes on
a bad key and a bad input. What the SDKs leave out of their retries (and video-gen's Transport
covers) is shown with the SDKs themselves.

How each SDK is pointed at a loopback server: google-genai takes ``HttpOptions(base_url,
api_version)``; replicate takes ``Client(base_url=...)`` (or ``REPLICATE_BASE_URL``); fal-client
builds ``https://`` + ``FAL_QUEUE_RUN_HOST`` and so cannot speak plain HTTP: its module constant
``QUEUE_URL_FORMAT`` is set to the emulator's URL for the test.
"""

from __future__ import annotations

import base64
import hashlib
import time
from collections.abc import Iterator

import fal_client
import httpx
import pytest
import replicate
from fakekeys import fake_key
from google import genai
from google.genai import types as genai_types

from video_gen.emulator import EmulatorServer
from video_gen.emulator.content import make_body

KEY = fake_key("sdk")
SAMPLE = make_body("video").read_all()


def server(profile: str) -> EmulatorServer:
    return EmulatorServer(job_seconds=0.4, profile=profile, require_key=KEY)


# -- google-genai: the Interactions API ---------------------------------------------------------


@pytest.fixture
def gemini() -> Iterator[tuple[EmulatorServer, object]]:
    with server("gemini") as srv:
        root = srv.base_url.removesuffix("/v1beta")
        options = genai_types.HttpOptions(base_url=root, api_version="v1beta")
        yield srv, genai.Client(api_key=KEY, http_options=options)


def _wait(get: object, iid: str) -> object:
    for _ in range(200):
        found = get(iid)  # type: ignore[operator]
        if found.status != "in_progress":
            return found
        time.sleep(0.05)
    raise AssertionError("the interaction never ended")


def test_genai_interaction_inline_video(gemini: tuple[EmulatorServer, object]) -> None:
    _srv, client = gemini
    created = client.interactions.create(  # type: ignore[attr-defined]
        model="gemini-omni-1.1-flash",
        input="a paper boat",
        response_format={
            "type": "video",
            "resolution": "720p",
            "aspect_ratio": "9:16",
            "duration": "4s",
        },
        background=True,
    )
    assert created.status == "in_progress" and created.id
    done = _wait(client.interactions.get, created.id)  # type: ignore[attr-defined]
    assert done.status == "completed"
    step = done.steps[-1]
    assert step.type == "model_output"
    video = step.content[0]
    assert video.mime_type == "video/mp4"
    raw = video.data if isinstance(video.data, bytes) else base64.b64decode(video.data)
    assert hashlib.sha256(raw).digest() == hashlib.sha256(SAMPLE).digest()
    assert done.usage.output_tokens_by_modality[0].modality == "video"


def test_genai_interaction_file_delivery(gemini: tuple[EmulatorServer, object]) -> None:
    _srv, client = gemini
    created = client.interactions.create(  # type: ignore[attr-defined]
        model="gemini-omni-1.1-flash",
        input="a paper boat",
        response_format={"type": "video", "delivery": "uri", "duration": "4s"},
        background=True,
    )
    done = _wait(client.interactions.get, created.id)  # type: ignore[attr-defined]
    uri = done.steps[-1].content[0].uri
    assert uri.endswith(":download?alt=media")
    name = f"files/{created.id}"
    for _ in range(100):
        if client.files.get(name=name).state.name == "ACTIVE":  # type: ignore[attr-defined]
            break
        time.sleep(0.05)
    assert client.files.download(file=name) == SAMPLE  # type: ignore[attr-defined]


def test_genai_cancel(gemini: tuple[EmulatorServer, object]) -> None:
    _srv, client = gemini
    created = client.interactions.create(  # type: ignore[attr-defined]
        model="gemini-omni-1.1-flash",
        input="a kite",
        background=True,
        response_format={"type": "video"},
    )
    client.interactions.cancel(created.id)  # type: ignore[attr-defined]
    assert client.interactions.get(created.id).status == "cancelled"  # type: ignore[attr-defined]


def test_genai_errors_on_bad_key_and_bad_input(gemini: tuple[EmulatorServer, object]) -> None:
    from google.genai import _interactions_errors as errs
    from google.genai import errors as genai_errors

    srv, client = gemini
    root = srv.base_url.removesuffix("/v1beta")
    options = genai_types.HttpOptions(base_url=root, api_version="v1beta")
    bad = genai.Client(api_key=fake_key("wrong"), http_options=options)
    with pytest.raises(errs.BadRequestError) as caught:
        bad.interactions.create(model="gemini-omni-1.1-flash", input="x", background=True)
    assert "API_KEY_INVALID" in str(caught.value)
    with pytest.raises(genai_errors.ClientError) as listed:
        bad.models.list()
    assert listed.value.code == 400 and "API key not valid" in str(listed.value)
    with pytest.raises(errs.BadRequestError) as bad_input:
        client.interactions.create(  # type: ignore[attr-defined]
            model="gemini-omni-1.1-flash",
            input="x",
            background=True,
            response_format={"type": "video", "resolution": "8k"},
        )
    assert "resolution" in str(bad_input.value)
    with pytest.raises(errs.NotFoundError) as retired:
        client.interactions.create(  # type: ignore[attr-defined]
            model="veo-3.1-generate-preview", input="x", background=True
        )
    assert "gemini-omni-1.1-flash" in str(retired.value)
    assert srv.stats.jobs_created == 0


# -- fal-client: the queue ----------------------------------------------------------------------


@pytest.fixture
def fal(monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[EmulatorServer, object]]:
    import fal_client.client as fal_module

    with server("fal") as srv:
        monkeypatch.setattr(fal_module, "QUEUE_URL_FORMAT", srv.base_url + "/")
        yield srv, fal_client.SyncClient(key=KEY)


def test_fal_submit_poll_result_download(fal: tuple[EmulatorServer, object]) -> None:
    _srv, client = fal
    handle = client.submit(  # type: ignore[attr-defined]
        "fal-ai/veo3.1/fast",
        arguments={
            "prompt": "a kite",
            "duration": "4s",
            "resolution": "720p",
            "aspect_ratio": "16:9",
        },
    )
    assert handle.status_url.endswith(f"/fal-ai/veo3.1/requests/{handle.request_id}/status")
    seen = {type(s).__name__ for s in handle.iter_events(interval=0.05)}
    assert "Completed" in seen and seen <= {"Queued", "InProgress", "Completed"}
    result = handle.get()
    assert result["video"]["content_type"] == "video/mp4"
    assert httpx.get(result["video"]["url"]).content == SAMPLE  # the CDN needs no key


def test_fal_cancel(fal: tuple[EmulatorServer, object]) -> None:
    _srv, client = fal
    handle = client.submit("fal-ai/veo3.1/fast", arguments={"prompt": "a kite"})  # type: ignore[attr-defined]
    handle.cancel()
    status = handle.status()
    assert type(status).__name__ == "Completed" and status.error_type == "request_cancelled"


def test_fal_errors_on_bad_key_and_bad_input(fal: tuple[EmulatorServer, object]) -> None:
    from fal_client.client import FalClientHTTPError

    _srv, client = fal
    with pytest.raises(FalClientHTTPError) as caught:
        fal_client.SyncClient(key=fake_key("wrong")).submit(
            "fal-ai/veo3.1/fast", arguments={"prompt": "x"}
        )
    assert caught.value.status_code == 401
    # The queue takes any input; the model refuses it when the job runs, at the result.
    handle = client.submit("fal-ai/veo3.1/fast", arguments={"prompt": "x", "duration": "5s"})  # type: ignore[attr-defined]
    with pytest.raises(FalClientHTTPError) as bad:
        handle.get()
    assert bad.value.status_code == 422 and "duration" in str(bad.value)
    assert bad.value.error_type == "validation_error"


def test_fal_client_does_not_ride_out_a_500_on_status(fal: tuple[EmulatorServer, object]) -> None:
    """fal-client retries 408/409/429 and a gateway's 502-504 only: a 500 on a status poll
    reaches the caller. video-gen's poll loop rides it out (test_native_kinds)."""
    from fal_client.client import FalClientHTTPError

    srv, client = fal
    handle = client.submit("fal-ai/veo3.1/fast", arguments={"prompt": "x"})  # type: ignore[attr-defined]
    srv.faults.add("5xx", endpoint="retrieve", value=500)
    with pytest.raises(FalClientHTTPError) as caught:
        handle.status()
    assert caught.value.status_code == 500


# -- replicate: predictions ---------------------------------------------------------------------


@pytest.fixture
def rep(monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[EmulatorServer, object]]:
    monkeypatch.setenv("REPLICATE_POLL_INTERVAL", "0.05")
    with server("replicate") as srv:
        root = srv.base_url.removesuffix("/v1")
        yield srv, replicate.Client(api_token=KEY, base_url=root)


def test_replicate_prediction_wait_download_list(rep: tuple[EmulatorServer, object]) -> None:
    _srv, client = rep
    prediction = client.models.predictions.create(  # type: ignore[attr-defined]
        model="google/veo-3.1-fast", input={"prompt": "a kite", "duration": 4}
    )
    assert prediction.status == "starting" and prediction.urls["get"].endswith(prediction.id)
    prediction.wait()
    assert prediction.status == "succeeded" and prediction.metrics["predict_time"] > 0
    assert httpx.get(prediction.output).content == SAMPLE
    listed = client.predictions.list()  # type: ignore[attr-defined]
    assert (
        listed.results[0].id == prediction.id and listed.results[0].model == "google/veo-3.1-fast"
    )


def test_replicate_cancel(rep: tuple[EmulatorServer, object]) -> None:
    _srv, client = rep
    prediction = client.models.predictions.create(  # type: ignore[attr-defined]
        model="google/veo-3.1-fast", input={"prompt": "a kite"}
    )
    prediction.cancel()
    prediction.reload()
    assert prediction.status == "canceled"


def test_replicate_errors_on_bad_key_and_bad_input(rep: tuple[EmulatorServer, object]) -> None:
    from replicate.exceptions import ReplicateError

    srv, client = rep
    root = srv.base_url.removesuffix("/v1")
    with pytest.raises(ReplicateError) as caught:
        replicate.Client(api_token=fake_key("wrong"), base_url=root).models.predictions.create(
            model="google/veo-3.1-fast", input={"prompt": "x"}
        )
    assert caught.value.status == 401 and caught.value.title == "Unauthenticated"
    with pytest.raises(ReplicateError) as bad:
        client.models.predictions.create(  # type: ignore[attr-defined]
            model="google/veo-3.1-fast", input={"prompt": "x", "duration": 5}
        )
    assert bad.value.status == 422 and "duration" in (bad.value.detail or "")
    assert srv.stats.jobs_created == 0


def test_replicate_sdk_does_not_retry_a_429_on_create(rep: tuple[EmulatorServer, object]) -> None:
    """The SDK retries no POST, not even a 429 that made no job; video-gen's Transport does
    (test_native_kinds: one job after a 429)."""
    from replicate.exceptions import ReplicateError

    srv, client = rep
    srv.faults.add("429", endpoint="create")
    with pytest.raises(ReplicateError) as caught:
        client.models.predictions.create(  # type: ignore[attr-defined]
            model="google/veo-3.1-fast", input={"prompt": "x"}
        )
    assert caught.value.status == 429 and srv.stats.jobs_created == 0
