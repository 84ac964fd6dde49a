"""A client for the Gemini API's Interactions API, where Gemini Omni Flash makes videos.

HTTP only, over the shared ``Transport``; the key travels in ``x-goog-api-key`` (Google's
header, as the official ``google-genai`` SDK sends it). Routes, read from that SDK's
``_gaos/interactions.py`` and ``files.py``:

* ``POST /interactions`` (always with ``background: true``: without it the POST blocks for
  minutes and bills at once, and a connection lost meanwhile leaves a paid job with no id);
* ``GET /interactions/{id}``, ``POST /interactions/{id}/cancel``;
* ``GET /files/{name}`` (``state`` PROCESSING/ACTIVE/FAILED) and
  ``GET /files/{name}:download?alt=media`` for a video delivered as a file (``delivery: "uri"``);
* ``GET /models`` (lists models; proves the key, spends nothing).

There is no route listing interactions, so a create that may have reached Google cannot be looked
up: it is recorded in doubt (never posted again). Note that the SDK itself retries a create on
408/409/429/5xx (up to 4 times): video-gen never re-posts after a 5xx.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

import requests

from video_gen.client.error_bodies import error_from_response
from video_gen.client.transport import ApiClient, decode, quote
from video_gen.errors import APIError, AuthenticationError, NotFoundError

KEY_HEADER = "x-goog-api-key"
KEYS_URL = "https://aistudio.google.com/apikey"
# ``files/abc123`` inside a file URI (``https://.../v1beta/files/abc123:download?alt=media``).
_FILE_NAME = re.compile(r"files/([a-z0-9-]+)", re.IGNORECASE)


def key_header(key: str) -> dict[str, str]:
    return {KEY_HEADER: key} if key else {}


def parse_error(resp: requests.Response, *, auth_hint: str = "") -> APIError:
    """Google's answers: 400 ``API_KEY_INVALID`` is a wrong key (not a bad request), a 403 a
    missing key or one without access; a retired model is a 404 whose message names the
    replacement."""
    err = error_from_response(resp)
    if isinstance(err, AuthenticationError):
        err.hint = f"set a valid Gemini API key: {auth_hint or 'export GEMINI_API_KEY=...'}"
        err.hint += f" (keys: {KEYS_URL})"
    elif isinstance(err, NotFoundError) and resp.request.method == "POST":
        err.hint = "check the model id (`video-gen models --provider NAME` lists them)"
    return err


def file_name(uri: str) -> str | None:
    """The file's name in a Files API URI (as the SDK's ``t_file_name`` reads it), so the
    download is built on our own base URL and the key never goes to a host it came back from."""
    m = _FILE_NAME.search(uri)
    return m.group(1) if m else None


class GeminiClient(ApiClient):
    def create(self, body: Mapping[str, Any]) -> dict[str, Any]:
        """POST /interactions, answered ``{id, status: "in_progress", ...}`` (background)."""
        payload = {**body, "background": True}
        return self.http.post_once(
            lambda: decode(self.http.send("POST", "/interactions", json=payload))
        )

    def get(self, interaction_id: str) -> dict[str, Any]:
        data, _ = self.http.json("GET", f"/interactions/{quote(interaction_id)}")
        return data

    def cancel(self, interaction_id: str) -> dict[str, Any]:
        data, _ = self.http.json("POST", f"/interactions/{quote(interaction_id)}/cancel")
        return data

    def file(self, name: str) -> dict[str, Any]:
        data, _ = self.http.json("GET", f"/files/{quote(name)}")
        return data

    def file_content(self, name: str, *, offset: int = 0) -> requests.Response:
        return self.http.stream(
            f"/files/{quote(name)}:download", offset=offset, params={"alt": "media"}
        )

    def models(self) -> list[dict[str, Any]]:
        data, _ = self.http.json("GET", "/models", params={"pageSize": 1000})
        items = data.get("models")
        return [m for m in items if isinstance(m, dict)] if isinstance(items, list) else []
