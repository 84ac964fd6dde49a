"""The shared HTTP transport: error bodies of every shape, Retry-After spellings, secret headers
on redirects, and an error status that is really a job's final state.

Error bodies are built as real ``requests.Response`` objects (their parsing is pure); redirects
and the 500-with-a-job go over real HTTP on loopback.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
import requests

from video_gen.client.error_bodies import error_from_response
from video_gen.client.openrouter import parse_error as openrouter_error
from video_gen.client.retry import parse_retry_after
from video_gen.client.transport import Transport, bearer
from video_gen.client.videos import VideosClient
from video_gen.errors import (
    AuthenticationError,
    BadRequestError,
    InsufficientCreditsError,
    ModerationBlockedError,
    RateLimitError,
    ServerError,
)
from video_gen.exit_codes import ExitCode


def response(status: int, body: Any, headers: dict[str, str] | None = None) -> requests.Response:
    resp = requests.Response()
    resp.status_code = status
    resp._content = body.encode() if isinstance(body, str) else json.dumps(body).encode()
    resp.headers.update(headers or {})
    return resp


# -- error bodies -----------------------------------------------------------------------------

LITELLM_WRAPPED = {
    "error": {
        "message": "litellm.BadRequestError: OpenAIException - {'error': {'message': 'Invalid"
        " value for seconds: 5', 'type': 'invalid_request_error', 'param': 'seconds', 'code':"
        " 'invalid_value'}}",
        "type": None,
        "param": None,
        "code": "400",
    }
}


def test_litellm_wrapped_error_is_unwrapped_to_the_upstream_one() -> None:
    err = error_from_response(response(400, LITELLM_WRAPPED))
    assert isinstance(err, BadRequestError)
    assert err.message == "Invalid value for seconds: 5"
    assert (err.code, err.param) == ("invalid_value", "seconds")
    assert "400 400" not in str(err) and str(err).endswith("(HTTP 400 invalid_value)")


def test_litellm_status_as_code_is_not_shown_twice() -> None:
    body = {"error": {"message": "litellm.NotFoundError: video not found", "code": "404"}}
    err = error_from_response(response(404, body))
    assert err.code is None and err.message == "video not found"
    assert str(err) == "video not found (HTTP 404)"


def test_a_key_refused_by_a_proxy_without_a_database_is_a_bad_key() -> None:
    body = {
        "error": {
            "message": "Authentication Error, No connected db.",
            "type": "no_db_connection",
            "param": "None",
            "code": "400",
        }
    }
    err = error_from_response(response(400, body))
    assert isinstance(err, AuthenticationError) and err.exit_code == ExitCode.CONFIG
    assert err.code == "no_db_connection" and err.param is None


def test_google_errors_use_the_reason_as_code() -> None:
    body = {
        "error": {
            "code": 400,
            "message": "API key not valid. Please pass a valid API key.",
            "status": "INVALID_ARGUMENT",
            "details": [
                {"@type": "type.googleapis.com/google.rpc.ErrorInfo", "reason": "API_KEY_INVALID"}
            ],
        }
    }
    err = error_from_response(response(400, body))
    assert isinstance(err, AuthenticationError) and err.code == "API_KEY_INVALID"


@pytest.mark.parametrize(
    ("status", "body", "cls", "message"),
    [
        (
            401,
            {"title": "Unauthenticated", "detail": "bad token", "status": 401},
            AuthenticationError,
            "bad token",
        ),
        (
            422,
            {"detail": [{"loc": ["body", "prompt"], "msg": "field required"}]},
            BadRequestError,
            "prompt: field required",
        ),
        (503, "<html>upstream down</html>", ServerError, "<html>upstream down</html>"),
        (
            402,
            {"error": {"message": "Insufficient credits"}},
            InsufficientCreditsError,
            "Insufficient credits",
        ),
        (
            400,
            {"error": {"message": "blocked by our moderation system"}},
            ModerationBlockedError,
            "blocked by our moderation system",
        ),
    ],
)
def test_every_error_shape_is_typed(status: int, body: Any, cls: type, message: str) -> None:
    err = error_from_response(response(status, body))
    assert type(err) is cls and err.message == message and err.status == status


def test_openrouter_403_is_moderation_and_402_is_credits_never_a_bad_key() -> None:
    blocked = openrouter_error(response(403, {"error": {"code": 403, "message": "Flagged"}}))
    assert isinstance(blocked, ModerationBlockedError)
    assert blocked.exit_code == ExitCode.API_REJECTED and "key itself is fine" in (
        blocked.hint or ""
    )
    broke = openrouter_error(response(402, {"error": {"code": 402, "message": "no credits"}}))
    assert isinstance(broke, InsufficientCreditsError)
    assert broke.exit_code == ExitCode.PROVIDER_CREDITS and "credits" in (broke.hint or "")
    bad_key = openrouter_error(response(401, {"error": {"code": 401, "message": "No auth"}}))
    assert isinstance(bad_key, AuthenticationError) and "OPENROUTER_API_KEY" in (bad_key.hint or "")


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        ({"llm_provider-retry-after": "7"}, 7.0),
        ({"llm_provider-retry-after-ms": "1500"}, 1.5),
        ({"Retry-After": "2", "llm_provider-retry-after": "9"}, 2.0),  # the direct one wins
        ({"llm_provider-retry-after": "soon"}, None),
    ],
)
def test_retry_after_as_a_proxy_forwards_it(headers: dict[str, str], expected: float) -> None:
    assert parse_retry_after(headers) == expected


def test_a_forwarded_retry_after_reaches_the_error() -> None:
    err = error_from_response(
        response(429, {"error": {"message": "slow down"}}, {"llm_provider-retry-after": "4"})
    )
    assert isinstance(err, RateLimitError) and err.retry_after == 4.0


# -- over loopback ----------------------------------------------------------------------------


class _Recorder(BaseHTTPRequestHandler):
    seen: list[dict[str, str]]
    redirect_to: str | None = None

    def do_GET(self) -> None:
        type(self).seen.append({k.lower(): v for k, v in self.headers.items()})
        if self.redirect_to and self.path.startswith("/v1/videos/"):
            self.send_response(302)
            self.send_header("Location", self.redirect_to)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        if self.path.startswith("/v1/failed"):
            body = json.dumps(
                {
                    "id": "video_x",
                    "object": "video",
                    "status": "failed",
                    "error": {"code": "oom", "message": "out of memory"},
                }
            ).encode()
            self.send_response(500)
        else:
            body = b"\x00\x00\x00\x18ftypmp42" + b"\x00" * 16
            self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: Any) -> None:
        pass


def _serve(handler: type[BaseHTTPRequestHandler]) -> Iterator[str]:
    srv = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=srv.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{srv.server_address[1]}"
    finally:
        srv.shutdown()
        srv.server_close()


@pytest.fixture
def cdn() -> Iterator[tuple[str, type[_Recorder]]]:
    handler = type("Cdn", (_Recorder,), {"seen": []})
    for url in _serve(handler):
        yield url, handler


@pytest.fixture
def api(cdn: tuple[str, type[_Recorder]]) -> Iterator[tuple[str, type[_Recorder]]]:
    handler = type("Api", (_Recorder,), {"seen": [], "redirect_to": cdn[0] + "/file.mp4"})
    for url in _serve(handler):
        yield url, handler


def test_secret_headers_never_follow_a_redirect_to_another_host(
    api: tuple[str, type[_Recorder]], cdn: tuple[str, type[_Recorder]]
) -> None:
    transport = Transport(
        api[0] + "/v1",
        auth=bearer("sk" + "-the-key-000000000000"),
        secret_headers={"X-Team-Token": "team-secret-123456"},
        headers={"X-Title": "video-gen"},
    )
    resp = transport.request("GET", "/videos/video_1/content", stream=True)
    assert resp.status_code == 200 and resp.raw.read(8)[4:8] == b"ftyp"
    sent_to_api, sent_to_cdn = api[1].seen[0], cdn[1].seen[0]
    assert sent_to_api["authorization"].startswith("Bearer ")
    assert sent_to_api["x-team-token"] == "team-secret-123456"
    assert "authorization" not in sent_to_cdn and "x-team-token" not in sent_to_cdn
    assert sent_to_cdn["x-title"] == "video-gen"  # a plain header may follow


def test_a_5xx_whose_body_is_a_failed_job_is_that_job(api: tuple[str, type[_Recorder]]) -> None:
    """vLLM-Omni answers the retrieve of a failed job with HTTP 500 and the job itself."""
    client = VideosClient.connect(api[0] + "/v1", "k")
    client.http.base_url = api[0] + "/v1/failed"  # the recorder answers /v1/failed* with it
    data, _ = client.retrieve("video_x")
    assert data["status"] == "failed" and data["error"]["code"] == "oom"
    assert len(api[1].seen) == 1  # not retried as a server failure
