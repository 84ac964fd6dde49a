"""A client for OpenRouter's own video API (``POST /api/v1/videos`` and friends).

HTTP only, over the shared ``Transport``. A paid job is created once. OpenRouter has no endpoint
that lists one's video jobs, so a create that may have reached it (a 5xx, a read timeout, a
connection dropped after sending) raises ``AmbiguousCreateError`` and the job layer records it in
doubt (it cannot be looked up); failures that cannot have made a job (refused connection, 429)
are retried.

OpenRouter's statuses mean their own things: 401 is a bad key, **402** insufficient credits (top up
at openrouter.ai; not video-gen's budget), **403** a moderation or guardrail block on the prompt
(never a key problem). Its error bodies carry the HTTP status as ``code``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import requests

from video_gen.client.error_bodies import error_from_response
from video_gen.client.transport import Transport, bearer, decode, quote
from video_gen.errors import (
    APIConnectionError,
    APIError,
    AuthenticationError,
    InsufficientCreditsError,
    ModerationBlockedError,
)

ACTIVITY_URL = "https://openrouter.ai/activity"
CREDITS_URL = "https://openrouter.ai/settings/credits"
KEYS_HINT = "export OPENROUTER_API_KEY=... (keys: https://openrouter.ai/keys)"


def parse_error(resp: requests.Response, *, auth_hint: str = KEYS_HINT) -> APIError:
    """OpenRouter's error answers, typed by what its statuses mean."""
    err = error_from_response(resp)
    kwargs: dict[str, Any] = {
        "status": err.status,
        "code": err.code,
        "param": err.param,
        "request_id": err.request_id,
        "retry_after": err.retry_after,
    }
    if err.status == 403:
        out: APIError = ModerationBlockedError(
            err.message,
            hint="OpenRouter blocked the request (moderation or a guardrail on the key): rephrase"
            " the prompt or change the image; the key itself is fine",
            **kwargs,
        )
    elif err.status == 402:
        out = InsufficientCreditsError(
            err.message,
            hint=f"add credits at {CREDITS_URL} (or lower the key's limit use), then try again",
            **kwargs,
        )
    elif isinstance(err, AuthenticationError):
        err.hint = f"set a valid OpenRouter key: {auth_hint}"
        out = err
    elif isinstance(err, APIConnectionError):
        err.hint = "check the network and the provider's base_url (`video-gen providers`)"
        out = err
    else:
        out = err
    out.body = err.body
    return out


class OpenRouterClient:
    """``POST /videos`` -> ``GET /videos/{id}`` -> ``GET /videos/{id}/content?index=0``."""

    def __init__(self, transport: Transport) -> None:
        self.http = transport

    @classmethod
    def connect(
        cls, base_url: str, api_key: str, *, auth_hint: str = KEYS_HINT, **kwargs: Any
    ) -> OpenRouterClient:
        """A client with its own transport (``kwargs`` go to ``Transport``)."""

        def parser(resp: requests.Response) -> APIError:
            return parse_error(resp, auth_hint=auth_hint)

        return cls(Transport(base_url, auth=bearer(api_key), error_parser=parser, **kwargs))

    @property
    def base_url(self) -> str:
        return self.http.base_url

    @property
    def session(self) -> requests.Session:
        return self.http.session

    def close(self) -> None:
        self.http.close()

    # -- the contract ------------------------------------------------------------------------
    def create(self, body: Mapping[str, Any]) -> dict[str, Any]:
        """POST /videos (JSON), answered ``{id, polling_url, status: "pending"}``.

        Retried only when the failed try cannot have made a job; see the module docstring.
        """
        return self.http.post_once(
            lambda: decode(self.http.send("POST", "/videos", json=dict(body)))
        )

    def retrieve(self, video_id: str) -> dict[str, Any]:
        """GET /videos/{id}: status, and once completed ``urls`` and ``usage.cost``."""
        data, _ = self.http.json("GET", f"/videos/{quote(video_id)}")
        return data

    def content(self, video_id: str, *, index: int = 0, offset: int = 0) -> requests.Response:
        """Open output ``index`` of a completed job as a stream, from byte ``offset``."""
        headers = {"Accept": "*/*"}
        if offset > 0:
            headers["Range"] = f"bytes={offset}-"
        return self.http.request(
            "GET",
            f"/videos/{quote(video_id)}/content",
            params={"index": index},
            headers=headers,
            stream=True,
        )

    def models(self) -> list[dict[str, Any]]:
        """GET /videos/models: every video model with its supported values and prices (this
        endpoint needs no key, so it proves nothing about one: see ``key``)."""
        data, _ = self.http.json("GET", "/videos/models")
        items = data.get("data")
        return [m for m in items if isinstance(m, dict)] if isinstance(items, list) else []

    def key(self) -> dict[str, Any]:
        """GET /key: the key's label, usage and limit; 401 for a bad key. Spends nothing."""
        data, _ = self.http.json("GET", "/key")
        info = data.get("data")
        return info if isinstance(info, dict) else {}
