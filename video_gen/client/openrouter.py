"""A client for OpenRouter's own video API (``POST /api/v1/videos`` and friends).

HTTP only. The transport is ``VideosClient``'s (one session, a (connect, read) timeout on every
call, the retry policy of ``retry.py``, typed errors from ``error_from_response``): the policy is
the same for every server, only the routes and bodies differ.

A paid job is created once. OpenRouter has no endpoint that lists one's video jobs, so after a
create that may have reached it (a 5xx, a read timeout, a connection dropped after sending) there
is no way to look before posting again: the create is never retried then, and the error says a
job may exist. Failures that cannot have made a job (refused connection, 429) are retried.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from typing import Any

import requests

from video_gen.client.retry import is_retryable, may_have_created, wait_gen
from video_gen.client.videos import VideosClient, _decode, _quote
from video_gen.errors import APIConnectionError, APIError, AuthenticationError

log = logging.getLogger("video_gen.http")

ACTIVITY_URL = "https://openrouter.ai/activity"


class OpenRouterClient:
    """``POST /videos`` -> ``GET /videos/{id}`` -> ``GET /videos/{id}/content?index=0``."""

    def __init__(
        self,
        http: VideosClient,
        *,
        auth_hint: str = "export OPENROUTER_API_KEY=... (keys: https://openrouter.ai/keys)",
        sleep: Callable[[float], None] | None = None,
    ) -> None:
        self.http = http
        self.auth_hint = auth_hint
        self._sleep = sleep or time.sleep

    @classmethod
    def connect(cls, base_url: str, api_key: str, **kwargs: Any) -> OpenRouterClient:
        """A client with its own transport (``kwargs`` go to ``VideosClient``)."""
        return cls(VideosClient(base_url, api_key, **kwargs))

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
        attempt = 0
        waits = wait_gen(self.http.retry)
        next(waits)
        while True:
            try:
                with self._errors():
                    return _decode(self.http._send("POST", "/videos", json=dict(body)))
            except APIError as exc:
                if may_have_created(exc):
                    raise _maybe_created(exc, self.base_url) from None
                if not is_retryable(exc) or attempt >= self.http.retry.max_retries:
                    raise
                delay = waits.send(exc)
                if self.http.on_retry is not None:
                    self.http.on_retry(exc, delay, attempt + 1)
                self._sleep(delay)
                attempt += 1

    def retrieve(self, video_id: str) -> dict[str, Any]:
        """GET /videos/{id}: status, and once completed ``urls`` and ``usage.cost``."""
        with self._errors():
            data, _ = self.http._json("GET", f"/videos/{_quote(video_id)}")
        return data

    def content(self, video_id: str, *, index: int = 0, offset: int = 0) -> requests.Response:
        """Open output ``index`` of a completed job as a stream, from byte ``offset``."""
        headers = {"Accept": "*/*"}
        if offset > 0:
            headers["Range"] = f"bytes={offset}-"
        with self._errors():
            return self.http._request(
                "GET",
                f"/videos/{_quote(video_id)}/content",
                params={"index": index},
                headers=headers,
                stream=True,
            )

    def models(self) -> list[dict[str, Any]]:
        """GET /videos/models: every video model with its supported values and prices."""
        with self._errors():
            data, _ = self.http._json("GET", "/videos/models")
        items = data.get("data")
        return [m for m in items if isinstance(m, dict)] if isinstance(items, list) else []

    @contextmanager
    def _errors(self) -> Iterator[None]:
        """OpenRouter's error bodies carry the HTTP status as ``code``; its key is not OpenAI's."""
        try:
            yield
        except APIError as exc:
            if exc.code is not None and exc.code == str(exc.status):
                exc.code = None  # "HTTP 400 400" says nothing twice
            if isinstance(exc, AuthenticationError):
                exc.hint = f"set a valid OpenRouter key: {self.auth_hint}"
            elif isinstance(exc, APIConnectionError):
                exc.hint = "check the network and the provider's base_url (`video-gen providers`)"
            raise


def _maybe_created(exc: APIError, base_url: str) -> APIError:
    """The same error, saying that a job may exist and was deliberately not created again."""
    where = ACTIVITY_URL if base_url.startswith("https://openrouter.ai") else base_url
    exc.message = (
        f"{exc.message}; the create may have reached the server, and OpenRouter has no job list"
        " to check, so it was not sent again"
    )
    exc.hint = (
        f"a job (and a charge) may exist: check {where} before generating again; nothing was"
        " charged to the video-gen budget"
    )
    log.debug("create not retried: it may have made a job (%s)", exc)
    return exc
