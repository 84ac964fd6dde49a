"""Each emulator profile over raw HTTP plays the real server's behaviour, as observed (the LiteLLM
proxy 1.108.7, see tests/test_litellm_proxy.py for the same requests through the real proxy) or
read from its source (vLLM-Omni, SGLang) or docs (OpenRouter)."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from typing import Any

import pytest
import requests

from video_gen.emulator import EmulatorServer, get_profile
from video_gen.emulator.profiles import decode_litellm_id

KEY = {"Authorization": "Bearer test-key"}


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def api() -> Iterator[requests.Session]:
    with requests.Session() as s:
        s.headers.update(KEY)
        yield s


def serve(profile: Any, **kw: Any) -> tuple[EmulatorServer, Clock]:
    kw = {"job_seconds": 10, "queue_seconds": 1, **kw}
    srv = EmulatorServer(profile=profile, **kw).start()
    clock = Clock()
    srv.jobs.clock = clock
    return srv, clock


def create(api: requests.Session, srv: EmulatorServer, **fields: Any) -> requests.Response:
    return api.post(f"{srv.base_url}/videos", json={"prompt": "a cat", **fields}, timeout=10)


# -- litellm ---------------------------------------------------------------------------------


def test_litellm_ids_are_padded_standard_base64_of_the_routing(api: requests.Session) -> None:
    srv, _ = serve("litellm")
    with srv:
        job = create(api, srv, model="sora-2", seconds="4").json()
        vid = job["id"]
        assert vid.startswith("video_") and 228 <= len(vid) <= 268
        raw = vid.removeprefix("video_")
        assert len(raw) % 4 == 0 and "-" not in raw and "_" not in raw  # standard, padded
        packed = base64.b64decode(raw, validate=True).decode()
        assert packed.startswith(
            "litellm:custom_llm_provider:openai;model_id:sora-2;video_id:video_"
        )
        fields = decode_litellm_id(vid)
        assert fields is not None and len(fields["deployment_id"]) == 64
        # LiteLLM restores missing padding, so an id copied without its `=` still routes.
        assert api.get(f"{srv.base_url}/videos/{vid.rstrip('=')}").status_code == 200
        assert srv.jobs.get(vid) is srv.jobs.get(fields["video_id"])


def test_litellm_job_objects_drop_prompt_and_report_usage_on_create_only(
    api: requests.Session,
) -> None:
    srv, clock = serve("litellm")
    with srv:
        r = create(api, srv, model="sora-2", seconds="4")
        job = r.json()
        assert "prompt" not in job and job["usage"] == {"duration_seconds": 4.0}
        assert job["status"] == "queued" and job["progress"] == 0
        clock.now += 11
        done = api.get(f"{srv.base_url}/videos/{job['id']}").json()
        assert "prompt" not in done and done["usage"] is None and done["status"] == "completed"


def test_litellm_headers_identify_the_proxy(api: requests.Session) -> None:
    srv, _ = serve("litellm")
    with srv:
        r = create(api, srv, model="sora-2", seconds="4")
        h = r.headers
        assert h["x-litellm-version"] == "1.108.7" and h["x-litellm-model-group"] == "sora-2"
        assert h["x-litellm-model-name"] == "openai/sora-2"
        assert h["x-litellm-attempted-retries"] == "0" and "x-litellm-call-id" in h
        assert h["x-litellm-model-id"] == decode_litellm_id(r.json()["id"])["deployment_id"]  # type: ignore[index]
        assert "x-request-id" not in h  # the proxy does not pass the upstream's on success


def test_litellm_list_is_refused_with_400(api: requests.Session) -> None:
    srv, _ = serve("litellm")
    with srv:
        r = api.get(f"{srv.base_url}/videos?limit=1")
        assert r.status_code == 400
        err = r.json()["error"]
        assert err["message"].startswith("litellm.BadRequestError: LLM Provider NOT provided.")
        assert (err["type"], err["param"], err["code"]) == ("invalid_request_error", None, "400")
        assert "x-litellm-call-id" in r.headers


def test_litellm_variant_is_ignored_and_delete_is_405(api: requests.Session) -> None:
    srv, clock = serve("litellm")
    with srv:
        vid = create(api, srv, model="sora-2", seconds="4").json()["id"]
        clock.now += 11
        for variant in ("thumbnail", "spritesheet", "video"):
            r = api.get(f"{srv.base_url}/videos/{vid}/content?variant={variant}")
            assert r.headers["Content-Type"] == "video/mp4" and r.content[4:8] == b"ftyp"
            assert r.headers["content-disposition"] == f"attachment; filename=video_{vid}.mp4"
        d = api.delete(f"{srv.base_url}/videos/{vid}")
        assert d.status_code == 405 and d.json() == {"detail": "Method Not Allowed"}
        assert d.headers["allow"] == "GET"


def test_litellm_wraps_upstream_errors(api: requests.Session) -> None:
    srv, _ = serve("litellm")
    with srv:
        r = create(api, srv, model="sora-2", seconds="5")
        assert r.status_code == 400
        err = r.json()["error"]
        assert (err["type"], err["param"], err["code"]) == ("invalid_request_error", None, "400")
        head, _, rest = err["message"].partition("OpenAIException - ")
        assert head == "litellm.BadRequestError: "
        inner, _, tail = rest.partition("\n\n")
        assert json.loads(inner)["error"]["param"] == "seconds"
        assert tail == (
            "LiteLLM: model group 'sora-2' failed with the error above. No fallback was attempted."
        )
        assert r.headers["request-id"] == r.headers["llm_provider-x-request-id"]
        missing = api.get(f"{srv.base_url}/videos/{_other_litellm_id()}")
        assert missing.status_code == 404 and missing.json()["error"]["code"] == "404"
        assert "video_not_found" in missing.json()["error"]["message"]


def _other_litellm_id() -> str:
    from video_gen.emulator.profiles import deployment_id, litellm_id

    return litellm_id("video_" + "0" * 32, "sora-2", deployment_id("sora-2", 0))


@pytest.mark.parametrize(
    ("status", "name", "kind"),
    [
        (500, "InternalServerError: InternalServerError", "internal_server_error"),
        (502, "BadGatewayError: BadGatewayError", "internal_server_error"),
        (503, "ServiceUnavailableError: ServiceUnavailableError", "internal_server_error"),
    ],
)
def test_litellm_wraps_5xx(api: requests.Session, status: int, name: str, kind: str) -> None:
    srv, _ = serve("litellm")
    with srv:
        vid = create(api, srv, model="sora-2", seconds="4").json()["id"]
        srv.faults.add("5xx", endpoint="retrieve", value=status)
        r = api.get(f"{srv.base_url}/videos/{vid}")
        err = r.json()["error"]
        assert r.status_code == status and err["code"] == str(status) and err["type"] == kind
        assert err["message"].startswith(f"litellm.{name}: OpenAIException - ")


def test_litellm_renames_the_retry_header(api: requests.Session) -> None:
    srv, _ = serve("litellm", faults="429@create,retry-after=3")
    with srv:
        r = create(api, srv, model="sora-2", seconds="4")
        assert r.status_code == 429
        assert "retry-after" not in {k.lower() for k in r.headers}
        assert r.headers["llm_provider-retry-after"] == "3"
        assert r.headers["llm_provider-retry-after-ms"] == "3000"
        assert r.headers["x-ratelimit-remaining-requests"] == "0"
        err = r.json()["error"]
        assert err["type"] == "throttling_error" and err["code"] == "429"
        assert err["message"].startswith("litellm.RateLimitError: RateLimitError: OpenAI")


def test_litellm_auth_without_a_database() -> None:
    srv, _ = serve("litellm", require_key="sk-master-1234")
    with srv:
        wrong = requests.get(
            f"{srv.base_url}/videos/x", headers={"Authorization": "Bearer sk-wrong"}, timeout=5
        )
        assert wrong.status_code == 400
        assert wrong.json() == {
            "error": {
                "message": "No connected db.",
                "type": "no_db_connection",
                "param": None,
                "code": "400",
            }
        }
        none = requests.get(f"{srv.base_url}/videos/x", timeout=5)
        assert none.status_code == 500 and none.text == "Internal Server Error"
        assert none.headers["Content-Type"].startswith("text/plain")


def test_litellm_foreign_id_is_a_500(api: requests.Session) -> None:
    srv, _ = serve("litellm")
    with srv:
        r = api.get(f"{srv.base_url}/videos/video_0123")
        assert r.status_code == 500 and "api.openai.com" in r.json()["error"]["message"]


def test_litellm_restamped_ids_name_one_job(api: requests.Session) -> None:
    srv, clock = serve(get_profile("litellm", restamp_ids=True))
    with srv:
        first = create(api, srv, model="sora-2", seconds="4").json()["id"]
        polled = api.get(f"{srv.base_url}/videos/{first}").json()["id"]
        assert polled != first
        a, b = decode_litellm_id(first), decode_litellm_id(polled)
        assert a is not None and b is not None
        assert a["video_id"] == b["video_id"] and a["deployment_id"] != b["deployment_id"]
        clock.now += 11
        for vid in (first, polled):  # either id reaches the same job
            assert api.get(f"{srv.base_url}/videos/{vid}/content").status_code == 200
        assert len(srv.jobs) == 1
        # Off by default: polls keep the id.
    plain, _ = serve("litellm")
    with plain:
        vid = create(api, plain, model="sora-2", seconds="4").json()["id"]
        assert api.get(f"{plain.base_url}/videos/{vid}").json()["id"] == vid


def test_litellm_router_retries_make_a_job_per_try(api: requests.Session) -> None:
    # The proxy's default router (num_retries 2) re-posts a create after an upstream 500.
    srv, _ = serve(get_profile("litellm", num_retries=2), faults="create-500")
    with srv:
        r = create(api, srv, model="sora-2", seconds="4")
        assert r.status_code == 200 and r.headers["x-litellm-attempted-retries"] == "1"
        assert r.headers["x-litellm-max-retries"] == "2"
        assert srv.stats.jobs_created == 2 and srv.stats.creates_received == 1
    # The recommended router setting (num_retries 0, the profile's default): one job, a 500.
    srv, _ = serve("litellm", faults="create-500")
    with srv:
        r = create(api, srv, model="sora-2", seconds="4")
        assert r.status_code == 500 and srv.stats.jobs_created == 1


def test_litellm_remix_names_the_upstream_source(api: requests.Session) -> None:
    srv, clock = serve("litellm")
    with srv:
        vid = create(api, srv, model="sora-2", seconds="4").json()["id"]
        clock.now += 11
        remix = api.post(f"{srv.base_url}/videos/{vid}/remix", json={"prompt": "at night"}).json()
        assert remix["remixed_from_video_id"] == decode_litellm_id(vid)["video_id"]  # type: ignore[index]
        assert decode_litellm_id(remix["id"]) is not None


def test_profile_options_are_checked() -> None:
    with pytest.raises(ValueError, match="unknown profile option 'nope'"):
        get_profile("litellm", nope=True)
    assert get_profile("litellm", restamp_ids=True).restamp_ids
    assert not get_profile("litellm").restamp_ids


# -- vllm-omni -------------------------------------------------------------------------------


def test_vllm_omni_profile(api: requests.Session) -> None:
    srv, clock = serve("vllm-omni")
    with srv:
        job = create(api, srv, seconds="7", size="832x480").json()
        assert job["id"].startswith("video_gen_") and len(job["id"]) == len("video_gen_") + 32
        assert (job["seconds"], job["size"]) == ("7", "832x480")
        assert job["file_name"] == f"{job['id']}.mp4" and job["inference_time_s"] is None
        assert job["media_type"] == "video/mp4" and job["quality"] == "default"
        assert create(api, srv, seconds="0").status_code == 400
        assert create(api, srv, seconds=5).status_code == 200  # form servers coerce
        r = api.post(f"{srv.base_url}/videos/{job['id']}/remix", json={"prompt": "x"})
        assert r.status_code == 404 and r.json() == {"detail": "Not Found"}
        running = create(api, srv).json()["id"]
        assert api.delete(f"{srv.base_url}/videos/{running}").json()["deleted"] is True
        assert api.get(f"{srv.base_url}/videos/{running}").status_code == 404
        clock.now += 11
        done = api.get(f"{srv.base_url}/videos/{job['id']}").json()
        assert done["status"] == "completed" and done["inference_time_s"] == 9.0
        thumb = api.get(f"{srv.base_url}/videos/{job['id']}/content?variant=thumbnail")
        assert thumb.headers["Content-Type"] == "video/mp4"  # variant ignored


def test_vllm_omni_failed_job_is_retrieved_as_500_with_its_body(api: requests.Session) -> None:
    srv, clock = serve("vllm-omni", faults="fail")
    with srv:
        vid = create(api, srv).json()["id"]
        clock.now += 11
        r = api.get(f"{srv.base_url}/videos/{vid}")
        assert r.status_code == 500
        body = r.json()
        assert body["id"] == vid and body["status"] == "failed" and body["error"]["code"]


# -- sglang ----------------------------------------------------------------------------------


def test_sglang_profile(api: requests.Session) -> None:
    srv, clock = serve("sglang", queue_seconds=None)
    with srv:
        r = api.post(f"{srv.base_url}/videos", files={"prompt": (None, "p")})
        assert r.status_code == 400 and r.json()["error"]["param"] == "input_reference"
        job = create(api, srv, seconds="5").json()
        clock.now += 9
        assert api.get(f"{srv.base_url}/videos/{job['id']}").json()["status"] == "queued"
        clock.now += 2
        assert api.get(f"{srv.base_url}/videos/{job['id']}").json()["status"] == "completed"
        url = f"{srv.base_url}/videos/{job['id']}/content"
        # `variant` is an output index: none or 0 is the MP4, `video` (or any name) is a 404.
        for query in ("", "?variant=0"):
            mp4 = api.get(url + query)
            assert mp4.status_code == 200 and mp4.headers["Content-Type"] == "video/mp4"
        for name in ("video", "thumbnail", "1"):
            assert api.get(f"{url}?variant={name}").status_code == 404, name
        remix = api.post(f"{srv.base_url}/videos/{job['id']}/remix", json={"prompt": "x"})
        assert remix.status_code == 404 and remix.json() == {"detail": "Not Found"}


# -- openrouter ------------------------------------------------------------------------------


def test_openrouter_profile(api: requests.Session) -> None:
    srv, clock = serve("openrouter")
    with srv:
        assert srv.base_url.endswith("/api/v1")
        r = api.post(
            f"{srv.base_url}/videos",
            json={"model": "google/veo-3.1", "prompt": "p", "duration": 8, "resolution": "1080p"},
        )
        assert r.status_code == 202
        job = r.json()
        assert job["status"] == "pending"
        assert job["polling_url"] == f"/api/v1/videos/{job['id']}"
        base = srv.base_url.removesuffix("/api/v1")
        assert api.get(base + job["polling_url"]).json()["status"] == "pending"
        clock.now += 2
        assert api.get(base + job["polling_url"]).json()["status"] == "in_progress"
        assert api.get(f"{srv.base_url}/videos/{job['id']}/content?index=0").status_code == 404
        clock.now += 9
        done = api.get(base + job["polling_url"]).json()
        assert done["status"] == "completed"
        assert done["usage"] == {"cost": 3.2, "is_byok": False}
        content = api.get(done["unsigned_urls"][0])
        assert content.status_code == 200 and content.content[4:8] == b"ftyp"
        assert api.get(f"{srv.base_url}/videos/{job['id']}/content?index=1").status_code == 404


def test_openrouter_models_listing_has_the_real_field_names() -> None:
    srv, _ = serve("openrouter", require_key="sk-or-right")
    with srv:
        r = requests.get(f"{srv.base_url}/videos/models", timeout=5)  # no key needed
        assert r.status_code == 200
        veo = {m["id"]: m for m in r.json()["data"]}["google/veo-3.1"]
        assert set(veo) >= {
            "id",
            "canonical_slug",
            "name",
            "created",
            "supported_resolutions",
            "supported_aspect_ratios",
            "supported_sizes",
            "supported_durations",
            "supported_frame_images",
            "generate_audio",
            "seed",
            "pricing_skus",
            "allowed_passthrough_parameters",
        }
        assert veo["supported_frame_images"] == ["first_frame", "last_frame"]
        assert veo["generate_audio"] is True and veo["supported_durations"] == [4, 6, 8]
        skus = veo["pricing_skus"]
        assert skus["per-video-second"] == "0.40" and skus["per-video-second-no-audio"] == "0.20"
        wan = {m["id"]: m for m in r.json()["data"]}["alibaba/wan-2.7"]
        assert (
            wan["pricing_skus"]["per-video-second-1080p"] != wan["pricing_skus"]["per-video-second"]
        )


def test_openrouter_key_endpoint() -> None:
    srv, clock = serve("openrouter", require_key="sk-or-right", job_seconds=0, queue_seconds=0)
    with srv:
        good = {"Authorization": "Bearer sk-or-right"}
        info = requests.get(f"{srv.base_url}/key", headers=good, timeout=5)
        assert info.status_code == 200 and info.json()["data"]["usage"] == 0
        assert {"label", "limit", "limit_remaining", "is_free_tier"} <= set(info.json()["data"])
        bad = requests.get(
            f"{srv.base_url}/key", headers={"Authorization": "Bearer sk-or-wrong"}, timeout=5
        )
        assert bad.status_code == 401 and bad.json()["error"]["code"] == 401
        requests.post(
            f"{srv.base_url}/videos",
            json={"model": "google/veo-3.1-fast", "prompt": "p", "duration": 4},
            headers=good,
            timeout=5,
        )
        clock.now += 1
        spent = requests.get(f"{srv.base_url}/key", headers=good, timeout=5).json()["data"]
        assert spent["usage"] == pytest.approx(0.4)


@pytest.mark.parametrize(
    ("body", "cost"),
    [
        ({"model": "google/veo-3.1", "duration": 8}, 3.2),  # audio by default
        ({"model": "google/veo-3.1", "duration": 8, "generate_audio": False}, 1.6),
        ({"model": "alibaba/wan-2.7", "duration": 5, "resolution": "1080p"}, 0.3),
        ({"model": "alibaba/wan-2.7", "duration": 5}, 0.2),
    ],
)
def test_openrouter_cost_is_tiered_by_resolution_and_audio(
    api: requests.Session, body: dict[str, Any], cost: float
) -> None:
    srv, _ = serve("openrouter", job_seconds=0, queue_seconds=0)
    with srv:
        job = api.post(f"{srv.base_url}/videos", json={"prompt": "p", **body}).json()
        done = api.get(f"{srv.base_url}/videos/{job['id']}").json()
        assert done["usage"]["cost"] == pytest.approx(cost)


def test_openrouter_create_fields_audio_seed_frames(api: requests.Session) -> None:
    srv, _ = serve("openrouter")
    with srv:
        url = f"{srv.base_url}/videos"
        image = {"type": "image_url", "image_url": {"url": "data:image/png;base64,AAAA"}}
        ok = api.post(
            url,
            json={
                "model": "google/veo-3.1",
                "prompt": "p",
                "seed": 7,
                "generate_audio": False,
                "frame_images": [
                    {**image, "frame_type": "first_frame"},
                    {**image, "frame_type": "last_frame"},
                ],
            },
        )
        assert ok.status_code == 202, ok.text
        job = srv.jobs.get(ok.json()["id"])
        assert job is not None and job.extra["seed"] == 7 and job.extra["generate_audio"] is False
        assert job.extra["frame_types"] == ["first_frame", "last_frame"]
        for bad in (
            {"model": "alibaba/wan-2.7", "generate_audio": True},
            {"model": "alibaba/wan-2.7", "frame_images": [{**image, "frame_type": "last_frame"}]},
            {"model": "google/veo-3.1", "seed": "7"},
            {"model": "google/veo-3.1", "frame_images": [{"frame_type": "first_frame"}]},
        ):
            r = api.post(url, json={"prompt": "p", **bad})
            assert r.status_code == 400 and r.json()["error"]["code"] == 400, bad


@pytest.mark.parametrize(
    ("fault", "status"),
    [("blocked", 403), ("credits", 402)],
)
def test_openrouter_refusals_make_no_job(api: requests.Session, fault: str, status: int) -> None:
    srv, _ = serve("openrouter", faults=fault)
    with srv:
        r = api.post(f"{srv.base_url}/videos", json={"model": "google/veo-3.1", "prompt": "p"})
        assert r.status_code == status and r.json()["error"]["code"] == status
        assert srv.stats.jobs_created == 0


@pytest.mark.parametrize("fault", ["cancelled", "expired"])
def test_openrouter_cancelled_and_expired_jobs(api: requests.Session, fault: str) -> None:
    srv, clock = serve("openrouter", faults=fault)
    with srv:
        job = api.post(
            f"{srv.base_url}/videos", json={"model": "google/veo-3.1", "prompt": "p"}
        ).json()
        clock.now += 2
        polled = api.get(f"{srv.base_url}/videos/{job['id']}").json()
        assert polled["status"] == fault and polled["error"]
        assert "usage" not in polled
        content = api.get(f"{srv.base_url}/videos/{job['id']}/content?index=0")
        assert content.status_code == 404
