"""Error answers -> typed errors, whatever shape the server wraps them in.

Shapes seen on real servers, all read by one parser:

* OpenAI: ``{"error": {"message", "type", "param", "code"}}``;
* LiteLLM proxy: the same envelope, but ``code`` is the HTTP status as a string, ``param`` is
  null and the upstream's own error is a Python or JSON dict *inside* the message
  (``litellm.BadRequestError: OpenAIException - {'error': {...}}``): the innermost error wins;
  a key refused by a proxy without a database answers 400 ``no_db_connection``;
* Google: ``{"error": {"code": 400, "message", "status", "details": [{"reason": ...}]}}`` (the
  reason, e.g. ``API_KEY_INVALID``, is the code);
* problem+json (Replicate) ``{"title", "detail", "status"}`` and FastAPI (fal) ``{"detail": ...}``;
* anything else: the first line of the text.

Classification is by status first, refined by what the body says (a 400 that is really a bad key,
a moderation block). Provider kinds may refine further (OpenRouter's 403 is a moderation block).
"""

from __future__ import annotations

import ast
import json
import re
from typing import Any

import requests

from video_gen.errors import (
    APIConnectionError,
    APIError,
    AuthenticationError,
    BadRequestError,
    InsufficientCreditsError,
    ModerationBlockedError,
    NotFoundError,
    RateLimitError,
    ServerError,
)
from video_gen.redact import redact

# Codes (or types) that mean "the key is wrong" even when the status is 400.
_AUTH_CODES = frozenset(
    {
        "invalid_api_key",
        "no_db_connection",
        "api_key_invalid",
        "unauthenticated",
        "authentication_error",
        "permission_denied",
    }
)
_WRAPPER_PREFIX = re.compile(r"^(?:litellm\.\w+(?:Error|Exception)?:\s*)?(?:\w+Exception\s*-\s*)?")


def parse(resp: requests.Response) -> tuple[str, str | None, str | None, Any]:
    """(message, code, param, body) from an error answer."""
    status = resp.status_code
    try:
        body: Any = resp.json()
    except ValueError:
        body = None
    message, code, param = f"HTTP {status}", None, None
    if isinstance(body, dict):
        message, code, param = _from_object(body, status, message)
    elif resp.text:
        message = resp.text.strip().splitlines()[0][:300]
    return message, code, param, body


def _from_object(
    body: dict[str, Any], status: int, default: str
) -> tuple[str, str | None, str | None]:
    err: Any = body.get("error", body)
    if isinstance(err, str):
        return err, _text(body.get("code")), _text(body.get("param"))
    if not isinstance(err, dict):
        return default, None, None
    message = err.get("message") or err.get("detail") or err.get("title") or default
    if isinstance(message, list):  # FastAPI validation errors: [{"loc", "msg", "type"}]
        message = "; ".join(
            f"{'.'.join(str(p) for p in m.get('loc', [])[1:]) or 'input'}: {m.get('msg')}"
            if isinstance(m, dict)
            else str(m)
            for m in message
        )
    message = str(message)
    code = _text(err.get("code"))
    kind = _text(err.get("type")) or _text(err.get("status"))
    if code is None or code == str(status):  # LiteLLM and Google put the status in `code`
        code = _reason(err) or kind
    param = _text(err.get("param"))
    inner = _unwrap(message)
    if inner is not None:
        message, inner_code, inner_param = inner
        code = inner_code or code
        param = inner_param or param
    else:
        message = _WRAPPER_PREFIX.sub("", message).strip() or message
    if param in ("None", "null"):
        param = None
    return message, code, param


def _reason(err: dict[str, Any]) -> str | None:
    """Google's machine-readable reason (``API_KEY_INVALID``) from ``details``."""
    details = err.get("details")
    if isinstance(details, list):
        for item in details:
            if isinstance(item, dict) and isinstance(item.get("reason"), str):
                return str(item["reason"])
    return None


def _unwrap(message: str) -> tuple[str, str | None, str | None] | None:
    """The innermost ``{'error': {...}}`` (Python repr or JSON) embedded in a wrapped message."""
    start = max(message.rfind("{'error'"), message.rfind('{"error"'))
    if start < 0:
        return None
    end = _matching_brace(message, start)
    if end is None:
        return None
    text = message[start : end + 1]
    try:
        obj = json.loads(text)
    except ValueError:
        try:
            obj = ast.literal_eval(text)
        except (ValueError, SyntaxError, MemoryError, RecursionError):
            return None
    if not isinstance(obj, dict) or not isinstance(obj.get("error"), dict):
        return None
    inner = obj["error"]
    inner_message = inner.get("message")
    if not isinstance(inner_message, str) or not inner_message:
        return None
    return (
        inner_message,
        _text(inner.get("code")) or _text(inner.get("type")),
        _text(inner.get("param")),
    )


def _matching_brace(text: str, start: int) -> int | None:
    depth = 0
    quote: str | None = None
    escaped = False
    for i in range(start, min(len(text), start + 20000)):
        ch = text[i]
        if quote:
            if escaped:
                escaped = False
            elif ch == "\\":
                escaped = True
            elif ch == quote:
                quote = None
        elif ch in "'\"":
            quote = ch
        elif ch == "{":
            depth += 1
        elif ch == "}":
            depth -= 1
            if depth == 0:
                return i
    return None


def _text(value: Any) -> str | None:
    if value is None or isinstance(value, (dict, list)):
        return None
    text = str(value).strip()
    return text or None


def error_from_response(resp: requests.Response) -> APIError:
    """A typed error from an error answer: status, code, message, param, request id, body."""
    from video_gen.client.retry import parse_retry_after

    status = resp.status_code
    message, code, param, body = parse(resp)
    message = redact(message)
    kwargs: dict[str, Any] = {
        "status": status,
        "code": code,
        "param": param,
        "request_id": resp.headers.get("x-request-id") or resp.headers.get("x-litellm-call-id"),
        "retry_after": parse_retry_after(resp.headers),
    }
    lowered = message.lower()
    code_l = (code or "").lower()
    if status in (401, 403) or code_l in _AUTH_CODES:
        err: APIError = AuthenticationError(
            message, hint="set a valid key for this provider (video-gen providers)", **kwargs
        )
    elif status == 402:
        err = InsufficientCreditsError(
            message, hint="add credits to the provider account, then try again", **kwargs
        )
    elif status == 429:
        err = RateLimitError(message, hint="wait and retry, or lower --concurrency", **kwargs)
    elif status >= 500:
        err = ServerError(message, hint="the server is failing; retry later", **kwargs)
    elif status == 404:
        err = NotFoundError(
            message,
            hint="check the id (video-gen history lists yours); content answers 404 until the"
            " job completes and after it expires",
            **kwargs,
        )
    elif "moderation" in lowered or "moderation" in code_l or "safety" in code_l:
        err = ModerationBlockedError(
            message, hint="rephrase the prompt (or change the reference image)", **kwargs
        )
    elif status == 408:
        err = APIConnectionError(message, **kwargs)
    else:
        err = BadRequestError(message, **kwargs)
    err.body = body
    return err
