"""The one HTTP transport every client shares: session, auth, timeouts, retries, typed errors.

Each API client (``videos.py``, ``openrouter.py``, and any provider kind's) speaks its routes and
bodies through a ``Transport``; the policy is the same for all of them and lives here:

* one ``requests.Session`` per client, a versioned User-Agent, a ``(connect, read)`` timeout on
  every call, never longer than what is left of an overall deadline;
* auth headers registered as secrets (masked everywhere) and sent only to the base URL's origin:
  stripped, like ``Authorization``, when a redirect leaves for another host, and never sent with
  a request to another origin (an output URL on a CDN, which fal and Replicate hand out, must not
  receive the key);
* retries per ``retry.py`` (connection errors, 408, 409, 429, >= 500) honouring every spelling of
  ``Retry-After`` the servers use, for idempotent calls only: a create is sent by ``send`` and
  its failures are judged by the caller (``jobs.py``), never retried blindly;
* errors as types (``errors.py``), parsed from every error body shape seen (``error_bodies.py``).
"""

from __future__ import annotations

import functools
import logging
import math
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, TypeVar

import backoff
import requests

from video_gen import __version__
from video_gen.client.retry import RetryPolicy, is_retryable, may_have_created, wait_gen
from video_gen.errors import (
    AmbiguousCreateError,
    APIConnectionError,
    APIError,
    APITimeoutError,
    AuthenticationError,
)
from video_gen.redact import register_secret

log = logging.getLogger("video_gen.http")

USER_AGENT = f"video-gen/{__version__} (+requests/{requests.__version__})"


@dataclass(frozen=True)
class Timeouts:
    connect: float = 10.0
    read: float = 60.0

    def pair(self) -> tuple[float, float]:
        return (self.connect, self.read)


T = TypeVar("T")
RetryHook = Callable[[BaseException, float, int], None]
# Turns an error answer into a typed error: the generic parser, or a kind's own refinement.
ErrorParser = Callable[[requests.Response], APIError]
# An error answer that is really a result (vLLM-Omni answers a failed job's retrieve with a 500
# whose body is the job): when it returns True for a response, the response is returned as is.
BodyCheck = Callable[[requests.Response], bool]


class _Session(requests.Session):
    """A session that strips its secret headers on a redirect to another host, as requests
    already does for ``Authorization`` (custom auth headers would otherwise follow it)."""

    secret_headers: tuple[str, ...] = ()

    def rebuild_auth(self, prepared_request: requests.PreparedRequest, response: Any) -> None:
        super().rebuild_auth(prepared_request, response)  # type: ignore[no-untyped-call]
        original = response.request.url or ""
        new = prepared_request.url or ""
        # requests' own test for "another host" (scheme changes to https on the same host keep).
        if self.secret_headers and self.should_strip_auth(original, new):  # type: ignore[no-untyped-call]
            for name in self.secret_headers:
                prepared_request.headers.pop(name, None)


class Transport:
    def __init__(
        self,
        base_url: str,
        *,
        auth: Mapping[str, str] | None = None,
        headers: Mapping[str, str] | None = None,
        secret_headers: Mapping[str, str] | None = None,
        timeouts: Timeouts | None = None,
        retry: RetryPolicy | None = None,
        on_retry: RetryHook | None = None,
        error_parser: ErrorParser | None = None,
        key_hint: str | None = None,
        session: requests.Session | None = None,
        clock: Callable[[], float] | None = None,
        sleep: Callable[[float], None] | None = None,
    ) -> None:
        """``auth``: the headers that carry the key (``{"Authorization": "Bearer ..."}``, or a
        kind's own); ``secret_headers``: other headers that must be treated as secrets (a
        provider's custom ``headers``); ``headers``: plain extra headers; ``key_hint``: how to
        set this provider's key, said when the server refuses it."""
        from video_gen.client.error_bodies import error_from_response

        self.base_url = base_url.rstrip("/")
        self.timeouts = timeouts or Timeouts()
        self.retry = retry or RetryPolicy()
        self.on_retry = on_retry
        self.error_parser = error_parser or error_from_response
        self.key_hint = key_hint
        self.clock = clock or time.monotonic
        self.sleep = sleep or time.sleep
        self.deadline: float | None = None  # monotonic; bounds every call's timeouts
        self.session = session or _Session()
        self.session.headers.update({"User-Agent": USER_AGENT, "Accept": "application/json"})
        secret_names: list[str] = []
        for group in (auth or {}), (secret_headers or {}):
            for name, value in group.items():
                if value:
                    register_secret(value)
                    _register_key_part(value)
                    self.session.headers[name] = value
                    secret_names.append(name)
        for name, value in (headers or {}).items():
            if value:
                self.session.headers[name] = value
        self.secret_names = tuple(secret_names)
        if isinstance(self.session, _Session):
            self.session.secret_headers = tuple(n for n in secret_names if n != "Authorization")
        self.seen_headers: Mapping[str, str] = {}  # the last answer's headers (server detection)

    def close(self) -> None:
        self.session.close()

    def url(self, path: str) -> str:
        return path if path.startswith(("http://", "https://")) else self.base_url + path

    def _timeout(self) -> tuple[float, float]:
        """The (connect, read) timeout, shortened to what is left of the deadline."""
        from video_gen import deadline

        connect, read = self.timeouts.pair()
        outer = deadline.left()  # the deadline of the job being followed (--timeout)
        if self.deadline is None and outer is None:
            return connect, read
        left = min(
            self.deadline - self.clock() if self.deadline is not None else math.inf,
            outer if outer is not None else math.inf,
        )
        if left <= 0:
            raise APITimeoutError(
                "the deadline (--timeout) passed before the call could be made",
                hint="raise --timeout, or resume the job later",
            )
        return min(connect, left), min(read, left)

    # -- one try ---------------------------------------------------------------------------
    def send(
        self, method: str, path: str, *, ok_body: BodyCheck | None = None, **kwargs: Any
    ) -> requests.Response:
        """One try: the answer, or a typed error (``sent`` tells whether it may have arrived)."""
        url = self.url(path)
        host = self.base_url if url.startswith(self.base_url) else url.split("?")[0]
        started = time.monotonic()
        timeout = self._timeout()
        if self.secret_names and same_origin(url, self.base_url):
            warn_plain_http(url)
        if self.secret_names and not same_origin(url, self.base_url):
            # Another origin (a CDN's output URL) never receives the key: requests drops a
            # session header whose per-request value is None.
            kwargs["headers"] = {
                **(kwargs.get("headers") or {}),
                **{name: None for name in self.secret_names},
            }
        try:
            resp = self.session.request(method, url, timeout=timeout, **kwargs)
        except requests.exceptions.ConnectTimeout:
            raise _conn_error(APITimeoutError, f"timed out connecting to {host}", False) from None
        except requests.exceptions.ReadTimeout:
            raise _conn_error(
                APITimeoutError, f"no answer from {host} within {timeout[1]:g}s", True
            ) from None
        except requests.exceptions.ConnectionError as exc:
            sent = not _refused(exc)
            what = "connection dropped by" if sent else "cannot connect to"
            raise _conn_error(APIConnectionError, f"{what} {host}", sent) from None
        except requests.exceptions.RequestException as exc:
            raise _conn_error(
                APIConnectionError, f"request to {host} failed: {type(exc).__name__}", True
            ) from None
        self.seen_headers = resp.headers
        log.debug(
            "%s %s -> %s in %.3fs request_id=%s",
            method,
            path if not path.startswith("http") else path.split("?")[0],
            resp.status_code,
            time.monotonic() - started,
            resp.headers.get("x-request-id", "-"),
        )
        if resp.status_code >= 400 and not (ok_body is not None and ok_body(resp)):
            try:
                err = self.error_parser(resp)
                if isinstance(err, AuthenticationError) and self.key_hint:
                    err.hint = f"set a valid key: {self.key_hint}"
                raise err
            finally:
                resp.close()
        return resp

    # -- with retries (idempotent calls only) ----------------------------------------------
    def request(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        """``send`` with the retry policy. Never for a create: see the module docstring."""

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
            giveup=lambda e: not is_retryable(e) or self._no_time_for_retry(),
            jitter=None,
            on_backoff=on_backoff,
            logger=None,
        )(self.send)
        response: requests.Response = retrying(method, path, **kwargs)
        return response

    def post_once(self, post: Callable[[], T]) -> T:
        """Send a paid create (``post`` is one try). Failures that cannot have made a job (a
        refused connection, a 429, a 4xx) are retried or raised as usual; one that may have
        made a job raises ``AmbiguousCreateError`` at once, for the job layer to look for it."""
        attempt = 0
        waits = wait_gen(self.retry)
        next(waits)
        while True:
            try:
                return post()
            except APIError as exc:
                if may_have_created(exc):
                    raise AmbiguousCreateError(exc) from None
                if not is_retryable(exc) or attempt >= self.retry.max_retries:
                    raise
                delay = waits.send(exc)
                if self.on_retry is not None:
                    self.on_retry(exc, delay, attempt + 1)
                self.sleep(delay)
                attempt += 1

    def stream(
        self, path: str, *, offset: int = 0, params: Mapping[str, Any] | None = None
    ) -> requests.Response:
        """Open content as a stream from byte ``offset`` (a Range request when > 0), with
        retries; ``path`` may be an absolute URL (another origin gets no key)."""
        headers = {"Accept": "*/*"}
        if offset > 0:
            headers["Range"] = f"bytes={offset}-"
        return self.request("GET", path, params=params, headers=headers, stream=True)

    def _no_time_for_retry(self) -> bool:
        from video_gen import deadline

        outer = deadline.left()
        return (self.deadline is not None and self.deadline - self.clock() <= 0) or (
            outer is not None and outer <= 0
        )

    def json(self, method: str, path: str, **kwargs: Any) -> tuple[dict[str, Any], Any]:
        """``request`` decoded as a JSON object, with the answer's headers."""
        resp = self.request(method, path, **kwargs)
        return decode(resp), resp.headers


class ApiClient:
    """A client of one API: its routes and bodies over a ``Transport`` (``self.http``)."""

    def __init__(self, transport: Transport) -> None:
        self.http = transport

    @property
    def base_url(self) -> str:
        return self.http.base_url

    def close(self) -> None:
        self.http.close()


def decode(resp: requests.Response) -> dict[str, Any]:
    try:
        data = resp.json()
    except ValueError:
        raise APIError(
            f"the server answered HTTP {resp.status_code} with a body that is not JSON",
            status=resp.status_code,
            request_id=resp.headers.get("x-request-id"),
            hint="check that the provider's base URL points at the API root",
        ) from None
    if not isinstance(data, dict):
        raise APIError("the server answered JSON that is not an object", status=resp.status_code)
    return data


_warned_origins: set[str] = set()


def warn_plain_http(url: str) -> bool:
    """Warn once per process and origin when a key is about to travel over plain http:// to a
    host that is not this machine (anyone on the path can read it). Returns whether it warned.
    Loopback (127.0.0.0/8, ::1, localhost) is this machine: a local proxy or GPU server."""
    import ipaddress
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    if parts.scheme.lower() != "http":
        return False
    host = (parts.hostname or "").lower()
    if host == "localhost" or host.endswith(".localhost"):
        return False
    try:
        if ipaddress.ip_address(host).is_loopback:
            return False
    except ValueError:
        pass
    # host and port only: a user:password@ in the URL must not reach the message
    origin = f"http://{host}" + (f":{parts.port}" if parts.port else "")
    if origin in _warned_origins:
        return False
    _warned_origins.add(origin)
    log.warning(
        "warning: the API key (and any secret headers) for %s is sent over plain http://, which"
        " anyone on the network path can read; use https:// for a server that is not on this"
        " machine",
        origin,
    )
    return True


def same_origin(url: str, base_url: str) -> bool:
    """Same scheme, host and port (the origin a key was given for)."""
    from urllib.parse import urlsplit

    a, b = urlsplit(url), urlsplit(base_url)
    return (a.scheme.lower(), a.netloc.lower()) == (b.scheme.lower(), b.netloc.lower())


def quote(segment: str) -> str:
    from urllib.parse import quote as _quote

    return _quote(segment, safe="")


def bearer(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"} if key else {}


def _register_key_part(value: str) -> None:
    """``Bearer sk-...`` / ``Key abc:def``: the key alone is a secret too (it may be echoed)."""
    scheme, _, rest = value.partition(" ")
    if rest and scheme.lower() in ("bearer", "key", "token"):
        register_secret(rest)


def _refused(exc: requests.exceptions.ConnectionError) -> bool:
    """True when the request never left (refused, DNS failure): safe to send again."""
    text = repr(exc)
    return any(
        s in text
        for s in ("NewConnectionError", "Connection refused", "NameResolution", "Failed to resolve")
    )


def _conn_error(cls: type[APIConnectionError], message: str, sent: bool) -> APIConnectionError:
    err = cls(message, hint="check the network and the provider's base URL (video-gen providers)")
    err.sent = sent
    return err
