"""Small rules the native kinds rest on: a key goes only to the origin it was given for, Gemini's
second key variable, prices per video, fal job ids, and each kind's request mapping."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from fakekeys import fake_key

from video_gen import pricing
from video_gen.client.transport import Transport
from video_gen.config import Config
from video_gen.errors import UsageError
from video_gen.providers import kinds, spec_for
from video_gen.types import GenerationRequest

KEY = fake_key("origin")


class _Recorder(BaseHTTPRequestHandler):
    seen: list[dict[str, str]]

    def do_GET(self) -> None:
        type(self).seen.append({k.lower(): v for k, v in self.headers.items()})
        body = b"{}"
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def two_origins() -> Iterator[tuple[str, list[dict[str, str]], str, list[dict[str, str]]]]:
    servers = []
    out: list[object] = []
    for _ in range(2):
        handler = type("H", (_Recorder,), {"seen": []})
        srv = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        threading.Thread(target=srv.serve_forever, daemon=True).start()
        servers.append(srv)
        out += [f"http://127.0.0.1:{srv.server_address[1]}", handler.seen]
    yield tuple(out)  # type: ignore[misc]
    for srv in servers:
        srv.shutdown()
        srv.server_close()


@pytest.mark.parametrize(
    "auth",
    [{"x-goog-api-key": KEY}, {"Authorization": f"Key {KEY}"}, {"Authorization": f"Bearer {KEY}"}],
)
def test_the_key_goes_only_to_the_base_origin(
    two_origins: tuple[str, list[dict[str, str]], str, list[dict[str, str]]],
    auth: dict[str, str],
) -> None:
    base, base_seen, cdn, cdn_seen = two_origins
    transport = Transport(base + "/v1", auth=auth, secret_headers={"X-Team-Token": "t0k3n-abc"})
    transport.request("GET", "/thing")
    transport.request("GET", cdn + "/output.mp4")  # an output URL fal or Replicate hands out
    transport.close()
    name = next(iter(auth)).lower()
    assert base_seen[0][name] == auth[next(iter(auth))] and "x-team-token" in base_seen[0]
    assert name not in cdn_seen[0] and "x-team-token" not in cdn_seen[0]
    assert "user-agent" in cdn_seen[0]  # the rest of the request is unchanged


def _config(home: Path, text: str) -> Config:
    home.mkdir(parents=True, exist_ok=True)
    (home / "config.toml").write_text(text)
    return Config.load()


def test_gemini_reads_google_api_key_when_gemini_api_key_is_unset(
    isolated_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = _config(isolated_home, '[providers.g]\nkind = "gemini"\n')
    monkeypatch.delenv("GEMINI_API_KEY", raising=False)
    monkeypatch.setenv("GOOGLE_API_KEY", KEY)
    spec = spec_for(config, "g")
    assert spec.api_key == KEY and spec.key_source == "env GOOGLE_API_KEY"
    assert spec.model == "gemini-omni-1.1-flash"
    assert spec.base_url == "https://generativelanguage.googleapis.com/v1beta"
    monkeypatch.setenv("GEMINI_API_KEY", fake_key("first"))
    assert spec_for(config, "g").key_source == "env GEMINI_API_KEY"
    # A variable named in the table is the only one read.
    config = _config(isolated_home, '[providers.g]\nkind = "gemini"\napi_key_env = "MINE"\n')
    assert spec_for(config, "g").api_key is None


@pytest.mark.parametrize(
    ("kind", "env", "base"),
    [
        ("fal", "FAL_KEY", "https://queue.fal.run"),
        ("replicate", "REPLICATE_API_TOKEN", "https://api.replicate.com/v1"),
    ],
)
def test_kind_defaults(
    kind: str, env: str, base: str, isolated_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(env, KEY)
    spec = spec_for(_config(isolated_home, f'[providers.p]\nkind = "{kind}"\n'), "p")
    assert (spec.api_key, spec.base_url) == (KEY, base) and spec.model


def test_per_video_price_ignores_the_length_and_per_second_rows_do_not() -> None:
    rows = pricing.rows()
    flat = GenerationRequest("x", "minimax/video-01", 6, "720p", provider="r")
    assert pricing.estimate(flat, "replicate", rows).usd == pytest.approx(0.50)
    mixed = pricing.rows([{"model": "m", "usd_per_video": 0.2, "usd_per_second": 0.1}])
    estimate = pricing.estimate(GenerationRequest("x", "m", 5, "720p"), "fal", mixed)
    assert estimate.usd == pytest.approx(0.7) and "0.2 USD per video" in estimate.source
    with pytest.raises(Exception, match="usd_per_second"):
        pricing.rows([{"model": "m"}])


def test_gemini_prices_by_resolution() -> None:
    rows = pricing.rows()
    for size, usd in (("360p", 0.03), ("720x1280", 0.10), ("1080p@16:9", 0.15), ("4k", 0.30)):
        req = GenerationRequest("x", "gemini-omni-1.1-flash", 10, size)
        assert pricing.estimate(req, "gemini", rows).usd == pytest.approx(usd * 10)


def test_fal_job_ids_keep_the_app_the_queue_files_them_under() -> None:
    from video_gen.client.fal import app_of
    from video_gen.providers.fal import split_id

    assert app_of("fal-ai/kling-video/v2.1/master/text-to-video") == "fal-ai/kling-video"
    assert app_of("workflows/me/flow/run") == "workflows/me/flow"
    assert split_id("fal-ai/veo3.1/abc-123") == ("fal-ai/veo3.1", "abc-123")
    with pytest.raises(UsageError):
        split_id("abc")


def test_input_mapping_per_model() -> None:
    from video_gen.providers.hosted import InputMap

    fal = kinds.get("fal")
    req = GenerationRequest("a kite", "fal-ai/veo3.1", 8, "1080p@16:9", audio=False, seed=7)
    assert InputMap.of(req.model, fal).body(req) == {
        "prompt": "a kite",
        "duration": "8s",
        "resolution": "1080p",
        "aspect_ratio": "16:9",
        "generate_audio": False,
        "seed": 7,
    }
    kling = GenerationRequest("a kite", "fal-ai/kling-video/v2.1/master/text-to-video", 5, "1080p")
    assert InputMap.of(kling.model, fal).body(kling) == {"prompt": "a kite", "duration": "5"}
    other = GenerationRequest("a kite", "someone/new-model", 6, "720x1280")
    assert InputMap.of(other.model, kinds.get("replicate")).body(other) == {
        "prompt": "a kite",
        "duration": 6,
        "resolution": "720p",
        "aspect_ratio": "9:16",
    }


def test_gemini_body_always_background_and_validation() -> None:
    from video_gen.providers.gemini import KIND, request_body

    req = GenerationRequest("a kite", "gemini-omni-1.1-flash", 6, "4k@9:16")
    body = request_body(req, delivery="uri")
    assert body["response_format"] == {
        "type": "video",
        "resolution": "4k",
        "duration": "6s",
        "delivery": "uri",
        "aspect_ratio": "9:16",
    }
    spec = type("S", (), {"base_url": "https://g/v1beta", "options": {}, "name": "g"})()
    assert KIND.preview(spec, req).body["background"] is True
    with pytest.raises(UsageError, match="enterprise platform"):
        KIND.validate(GenerationRequest("x", "veo-3.1-generate-001", 8, "720p"), None)


def test_gemini_interaction_states() -> None:
    from video_gen.providers.gemini import job_of

    video = {"type": "model_output", "content": [{"type": "video", "uri": "https://h/files/ab"}]}
    done = {"id": "i", "status": "completed", "steps": [video]}
    assert job_of(done, file_state="PROCESSING").phase.value == "running"
    assert job_of(done, file_state="ACTIVE").phase.value == "succeeded"
    text = {"type": "model_output", "content": [{"type": "text", "text": "I can't"}]}
    refused = job_of({"id": "i", "status": "completed", "steps": [text]})
    assert (
        refused.phase.value == "failed" and refused.refused and refused.error_message == "I can't"
    )
    for status in ("incomplete", "budget_exceeded", "cancelled"):
        assert job_of({"id": "i", "status": status}).phase.value == "failed"
