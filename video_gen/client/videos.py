"""A client for the OpenAI Videos API shape (``/v1/videos``), for any server that speaks it.

HTTP only: one ``requests.Session``, a (connect, read) timeout on every call, retries per
``retry.py``, errors as types (``errors.py``), and a paid job created once: after a create that
may have reached the server fails, the list endpoint is searched for the job before posting again.
"""

from __future__ import annotations

import functools
import logging
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

import backoff
import requests

from video_gen import __version__
from video_gen.client.retry import RetryPolicy, is_retryable, may_have_created, wait_gen
from video_gen.errors import (
    APIConnectionError,
    APIError,
    APITimeoutError,
    AuthenticationError,
    BadRequestError,
    ModerationBlockedError,
    NotFoundError,
    RateLimitError,
    ServerError,
)
from video_gen.redact import redact, register_secret

log = logging.getLogger("video_gen.http")

USER_AGENT = f"video-gen/{__version__} (+requests/{requests.__version__})"


@dataclass(frozen=True)
class Timeouts:
    connect: float = 10.0
    read: float = 60.0

    def pair(self) -> tuple[float, float]:
        return (self.connect, self.read)


@dataclass(frozen=True)
class ImageFile:
    """A reference image, held in memory so a retried create can send it again."""

    filename: str
    data: bytes
    mime: str


RetryHook = Callable[[BaseException, float, int], None]


class VideosClient:
    def __init__(
        self,
        base_url: str,
        api_key: str,
        *,
        timeouts: Timeouts | None = None,
        retry: RetryPolicy | None = None,
        headers: Mapping[str, str] | None = None,
        on_retry: RetryHook | None = None,
        session: requests.Session | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.timeouts = timeouts or Timeouts()
        self.retry = retry or RetryPolicy()
        self.on_retry = on_retry
        register_secret(api_key)
        self.session = session or requests.Session()
        self.session.headers.update({"User-Agent": USER_AGENT, "Accept": "application/json"})
        if api_key:
            self.session.headers["Authorization"] = f"Bearer {api_key}"
        for k, v in (headers or {}).items():
            if v:
                self.session.headers[k] = v
        # Learned once per client: a server that refuses multipart without a file (SGLang) gets
        # JSON creates from then on.
        self._json_creates = False

    def close(self) -> None:
        self.session.close()

    # -- transport ---------------------------------------------------------------------------
    def _send(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        url = self.base_url + path
        started = time.monotonic()
        try:
            resp = self.session.request(method, url, timeout=self.timeouts.pair(), **kwargs)
        except requests.exceptions.ConnectTimeout:
            raise _conn_error(
                APITimeoutError, f"timed out connecting to {self.base_url}", sent=False
            ) from None
        except requests.exceptions.ReadTimeout:
            raise _conn_error(
                APITimeoutError,
                f"no answer from {self.base_url} within {self.timeouts.read:g}s",
                sent=True,
            ) from None
        except requests.exceptions.ConnectionError as exc:
            sent = not _refused(exc)
            what = "connection dropped by" if sent else "cannot connect to"
            raise _conn_error(APIConnectionError, f"{what} {self.base_url}", sent=sent) from None
        except requests.exceptions.RequestException as exc:
            raise _conn_error(
                APIConnectionError,
                f"request to {self.base_url} failed: {type(exc).__name__}",
                sent=True,
            ) from None
        log.debug(
            "%s %s -> %s in %.3fs request_id=%s",
            method,
            path,
            resp.status_code,
            time.monotonic() - started,
            resp.headers.get("x-request-id", "-"),
        )
        if resp.status_code >= 400:
            try:
                raise error_from_response(resp)
            finally:
                resp.close()
        return resp

    def _request(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        """``_send`` with the retry policy (never used for a create: see ``create``)."""

        def on_backoff(details: Mapping[str, Any]) -> None:
            if self.on_retry is not None:
                self.on_retry(details["exception"], details["wait"], details["tries"])

        # backoff's stubs say a wait generator receives None; ours is sent each exception
        # (which backoff does at run time) to honour Retry-After.
        waits: Any = functools.partial(wait_gen, self.retry)
        retrying = backoff.on_exception(
            waits,
            APIError,
            max_tries=self.retry.max_retries + 1,
            giveup=lambda e: not is_retryable(e),
            jitter=None,
            on_backoff=on_backoff,
            logger=None,
        )(self._send)
        response: requests.Response = retrying(method, path, **kwargs)
        return response

    def _json(
        self, method: str, path: str, **kwargs: Any
    ) -> tuple[dict[str, Any], requests.Response]:
        resp = self._request(method, path, **kwargs)
        return _decode(resp), resp

    # -- the contract ------------------------------------------------------------------------
    def create(
        self,
        *,
        prompt: str,
        model: str,
        seconds: str,
        size: str,
        input_reference: ImageFile | None = None,
        exclude_ids: frozenset[str] = frozenset(),
        extra: Mapping[str, str] | None = None,
    ) -> dict[str, Any]:
        """POST /videos, at most one job made however the network behaves.

        Retries only after checking that no job was made: when a try fails in a way that may have
        reached the server, the newest jobs are listed and one with the same prompt and
        parameters, made since this create began and not in ``exclude_ids`` (jobs the caller
        already owns), is taken as ours.
        """
        fields = {"prompt": prompt, "model": model, "seconds": seconds, "size": size}
        fields.update(extra or {})
        began = time.time()
        attempt = 0
        waits = wait_gen(self.retry)
        next(waits)
        while True:
            try:
                return self._create_once(fields, input_reference)
            except APIError as exc:
                if may_have_created(exc):
                    found = self.find_recent(fields, since=began, exclude_ids=exclude_ids)
                    if found is not None:
                        log.debug(
                            "create failed (%s) but job %s exists: taking it", exc, found["id"]
                        )
                        return found
                if not is_retryable(exc) or attempt >= self.retry.max_retries:
                    raise
                delay = waits.send(exc)
                if self.on_retry is not None:
                    self.on_retry(exc, delay, attempt + 1)
                time.sleep(delay)
                attempt += 1

    def _create_once(self, fields: dict[str, str], image: ImageFile | None) -> dict[str, Any]:
        if image is None and self._json_creates:
            return _decode(self._send("POST", "/videos", json=fields))
        files: dict[str, Any] = {k: (None, v) for k, v in fields.items()}
        if image is not None:
            files["input_reference"] = (image.filename, image.data, image.mime)
        try:
            return _decode(self._send("POST", "/videos", files=files))
        except BadRequestError as exc:
            if image is not None or not _rejects_multipart(exc):
                raise
        # Some servers (SGLang) refuse a multipart create that carries no file but take JSON.
        # A 400 made no job, so sending the same fields as JSON cannot double-charge.
        data = _decode(self._send("POST", "/videos", json=fields))
        self._json_creates = True
        return data

    def find_recent(
        self, fields: Mapping[str, str], *, since: float, exclude_ids: frozenset[str] = frozenset()
    ) -> dict[str, Any] | None:
        """A job made since ``since`` (unix time, with slack for clock skew) with these fields."""
        horizon = since - 30
        try:
            for job in self.iter_videos(order="desc", page_size=20, max_pages=5):
                created = job.get("created_at")
                if isinstance(created, (int, float)) and created < horizon:
                    return None
                if job.get("id") in exclude_ids:
                    continue
                if all(str(job.get(k)) == str(v) for k, v in fields.items() if k in job) and (
                    job.get("prompt") == fields.get("prompt")
                ):
                    return job
        except APIError as exc:
            # A server without a list endpoint cannot tell us; the caller retries the create.
            log.debug("cannot list jobs to recover a create: %s", exc)
        return None

    def retrieve(self, video_id: str) -> tuple[dict[str, Any], Mapping[str, str]]:
        data, resp = self._json("GET", f"/videos/{_quote(video_id)}")
        return data, resp.headers

    def list(
        self, *, after: str | None = None, limit: int = 20, order: str = "desc"
    ) -> dict[str, Any]:
        params: dict[str, Any] = {"limit": limit, "order": order}
        if after:
            params["after"] = after
        data, _ = self._json("GET", "/videos", params=params)
        return data

    def iter_videos(
        self, *, order: str = "desc", page_size: int = 100, max_pages: int | None = None
    ) -> Iterator[dict[str, Any]]:
        after: str | None = None
        pages = 0
        while True:
            page = self.list(after=after, limit=page_size, order=order)
            items = page.get("data") or []
            yield from items
            pages += 1
            if not page.get("has_more") or not items or (max_pages and pages >= max_pages):
                return
            after = page.get("last_id") or items[-1].get("id")

    def delete(self, video_id: str) -> dict[str, Any]:
        data, _ = self._json("DELETE", f"/videos/{_quote(video_id)}")
        return data

    def remix(self, video_id: str, prompt: str) -> dict[str, Any]:
        # A remix is a paid create too; it is not retried blindly (same rule as create).
        began = time.time()
        try:
            return _decode(
                self._send("POST", f"/videos/{_quote(video_id)}/remix", json={"prompt": prompt})
            )
        except APIError as exc:
            if may_have_created(exc):
                found = self.find_recent({"prompt": prompt}, since=began)
                if found is not None and found.get("remixed_from_video_id") in (None, video_id):
                    return found
            raise

    def content(
        self, video_id: str, variant: str = "video", *, offset: int = 0
    ) -> requests.Response:
        """Open the content body as a stream, from byte ``offset`` (a Range request)."""
        headers = {"Accept": "*/*"}
        if offset > 0:
            headers["Range"] = f"bytes={offset}-"
        return self._request(
            "GET",
            f"/videos/{_quote(video_id)}/content",
            params={"variant": variant},
            headers=headers,
            stream=True,
        )


def _quote(video_id: str) -> str:
    from urllib.parse import quote

    return quote(video_id, safe="")


def _decode(resp: requests.Response) -> dict[str, Any]:
    try:
        data = resp.json()
    except ValueError:
        raise APIError(
            f"the server answered HTTP {resp.status_code} with a body that is not JSON",
            status=resp.status_code,
            request_id=resp.headers.get("x-request-id"),
            hint="check that the base URL points at a /v1/videos server",
        ) from None
    if not isinstance(data, dict):
        raise APIError("the server answered JSON that is not an object", status=resp.status_code)
    return data


def _refused(exc: requests.exceptions.ConnectionError) -> bool:
    """True when the request never left (refused, DNS failure): safe to send again."""
    text = repr(exc)
    return any(
        s in text
        for s in ("NewConnectionError", "Connection refused", "NameResolution", "Failed to resolve")
    )


def _conn_error(cls: type[APIConnectionError], message: str, *, sent: bool) -> APIConnectionError:
    err = cls(
        message, hint="check the network and the base URL (video-gen config get api.base_url)"
    )
    err.sent = sent  # type: ignore[attr-defined]
    return err


def _rejects_multipart(exc: APIError) -> bool:
    if exc.status != 400 or exc.code in ("moderation_blocked", "invalid_api_key"):
        return False
    if exc.param in ("prompt", "model", "seconds", "size"):
        return False
    text = (exc.message or "").lower()
    return exc.param in (None, "input_reference", "file") and any(
        w in text for w in ("multipart", "file", "form", "content-type", "content type")
    )


def error_from_response(resp: requests.Response) -> APIError:
    """A typed error from an error answer: status, API code, message, param and request id."""
    from video_gen.client.retry import parse_retry_after

    status = resp.status_code
    message, code, param = f"HTTP {status}", None, None
    try:
        body = resp.json()
    except ValueError:
        body = None
    if isinstance(body, dict):
        err = body.get("error", body)
        if isinstance(err, dict):
            message = str(err.get("message") or message)
            code = err.get("code") or err.get("type")
            param = err.get("param")
        elif isinstance(err, str):
            message = err
    elif resp.text:
        message = resp.text.strip().splitlines()[0][:200]
    kwargs: dict[str, Any] = {
        "status": status,
        "code": str(code) if code else None,
        "param": str(param) if param else None,
        "request_id": resp.headers.get("x-request-id"),
        "retry_after": parse_retry_after(resp.headers),
    }
    message = redact(message)
    if status in (401, 403):
        return AuthenticationError(
            message,
            hint="set a valid key: export OPENAI_API_KEY=... (or video-gen config set"
            " api.key ...), or check the provider's base URL",
            **kwargs,
        )
    if status == 429:
        return RateLimitError(message, hint="wait and retry, or lower --concurrency", **kwargs)
    if status >= 500:
        return ServerError(message, hint="the server is failing; retry later", **kwargs)
    if status == 404:
        return NotFoundError(
            message,
            hint="check the id (video-gen history lists yours); content"
            " answers 404 until the job completes and after it expires",
            **kwargs,
        )
    if "moderation" in message.lower() or (code and "moderation" in str(code)):
        return ModerationBlockedError(
            message, hint="rephrase the prompt (or change the reference image)", **kwargs
        )
    if status == 408:
        return APIConnectionError(message, **kwargs)
    return BadRequestError(message, **kwargs)
