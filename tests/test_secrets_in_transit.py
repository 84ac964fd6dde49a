"""Secrets in transit: a provider's custom ``headers`` (secrets, like its key) never follow a
redirect to another host, even the same server under another name; and a key about to travel
over plain http:// to a host that is not this machine is warned about, once."""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, ClassVar

import pytest

from video_gen.client import transport as transport_module
from video_gen.client.transport import Transport, bearer, warn_plain_http


class _Server(BaseHTTPRequestHandler):
    seen: ClassVar[list[tuple[str, str, dict[str, str]]]] = []
    port = 0

    def do_GET(self) -> None:
        host = self.headers.get("Host", "")
        type(self).seen.append((host, self.path, {k.lower(): v for k, v in self.headers.items()}))
        if self.path.startswith("/v1/videos/"):
            # the same server, named differently: "localhost" is another host than "127.0.0.1"
            self.send_response(302)
            self.send_header("Location", f"http://localhost:{self.port}/cdn/file.mp4")
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        body = b"\x00\x00\x00\x18ftypmp42" + b"\x00" * 16
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def server() -> Iterator[tuple[str, type[_Server]]]:
    handler = type("S", (_Server,), {"seen": []})
    srv = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    handler.port = srv.server_address[1]
    thread = threading.Thread(target=srv.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{handler.port}", handler
    finally:
        srv.shutdown()
        srv.server_close()


def test_custom_headers_are_stripped_when_a_redirect_changes_the_host_name(
    server: tuple[str, type[_Server]],
) -> None:
    base, handler = server
    transport = Transport(
        base + "/v1",
        auth=bearer("sk" + "-the-key-000000000000"),
        secret_headers={"X-Team-Token": "team-secret-123456"},
        headers={"X-Title": "video-gen"},
    )
    resp = transport.request("GET", "/videos/video_1/content", stream=True)
    assert resp.status_code == 200 and resp.raw.read(8)[4:8] == b"ftyp"
    (api_host, _, to_api), (cdn_host, cdn_path, to_cdn) = handler.seen
    assert api_host.startswith("127.0.0.1") and cdn_host.startswith("localhost")
    assert cdn_path == "/cdn/file.mp4"
    assert to_api["x-team-token"] == "team-secret-123456" and "authorization" in to_api
    assert "x-team-token" not in to_cdn and "authorization" not in to_cdn
    assert to_cdn["x-title"] == "video-gen"


def test_a_provider_with_custom_headers_passes_them_as_secrets(isolated_home: Any) -> None:
    """The config's `headers` reach the transport as secret headers (so the rule above holds)."""
    from video_gen.config import Config
    from video_gen.providers import open_provider, spec_for

    isolated_home.mkdir(parents=True, exist_ok=True)
    (isolated_home / "config.toml").write_text(
        '[providers.gw]\nkind = "openai-videos"\nbase_url = "http://127.0.0.1:9/v1"\n'
        'api_key = "sk-gw-000000000000"\nheaders = { "X-Team-Token" = "team-secret-99999" }\n'
    )
    made: list[Transport] = []

    def connect(base_url: str, **kw: Any) -> Transport:
        made.append(Transport(base_url, **kw))
        return made[-1]

    open_provider(spec_for(Config.load(), "gw"), connect)
    assert "X-Team-Token" in made[0].secret_names


@pytest.fixture
def fresh_warnings(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(transport_module, "_warned_origins", set())


@pytest.mark.parametrize(
    ("url", "warned"),
    [
        ("http://gpu-box.example.com:8000/v1/videos", True),
        ("http://10.0.0.7/v1/videos", True),
        ("https://gpu-box.example.com/v1/videos", False),
        ("http://127.0.0.1:4000/v1/videos", False),
        ("http://127.8.9.1:4000/v1/videos", False),
        ("http://localhost:4000/v1/videos", False),
        ("http://[::1]:4000/v1/videos", False),
    ],
)
def test_plain_http_to_another_machine_is_warned(
    fresh_warnings: None, url: str, warned: bool
) -> None:
    assert warn_plain_http(url) is warned


def test_the_warning_is_given_once_and_names_no_secret(
    fresh_warnings: None, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger="video_gen.http")
    assert warn_plain_http("http://user:pa55word@gpu-box.example.com:8000/v1/videos")
    assert not warn_plain_http("http://gpu-box.example.com:8000/v1/videos/x")
    assert caplog.text.count("plain http://") == 1
    assert "gpu-box.example.com:8000" in caplog.text and "pa55word" not in caplog.text


def test_a_transport_warns_before_sending_a_key_over_plain_http(
    fresh_warnings: None, caplog: pytest.LogCaptureFixture
) -> None:
    import requests

    from video_gen.errors import APIConnectionError

    def offline(*args: Any, **kwargs: Any) -> Any:  # no network in tests: fail like a refusal
        raise requests.exceptions.ConnectionError("refused")

    caplog.set_level(logging.WARNING, logger="video_gen.http")
    transport = Transport("http://gpu-box.example.com:1/v1", auth=bearer("sk-000000000000000"))
    transport.session.request = offline  # type: ignore[method-assign]
    with pytest.raises(APIConnectionError):
        transport.send("GET", "/videos")
    assert "plain http://" in caplog.text
    keyless = Transport("http://other-box.example.com:1/v1")
    keyless.session.request = offline  # type: ignore[method-assign]
    with pytest.raises(APIConnectionError):
        keyless.send("GET", "/videos")
    assert "other-box" not in caplog.text  # no key, nothing to warn about
