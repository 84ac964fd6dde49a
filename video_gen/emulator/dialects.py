"""How each server dresses its answers: error bodies, identifying headers, auth refusals.

A profile names its dialect (``profile.dialect``); the server asks it for every error body and
every header set, so no route ever asks which server it plays. The LiteLLM dialect reproduces
what the real proxy (1.108.7) was seen to send in front of an OpenAI-shaped upstream:

* upstream errors wrapped: ``litellm.<Class>: ... OpenAIException - <upstream body>`` with
  ``code`` the HTTP status as a string and ``param`` null;
* the upstream's headers renamed ``llm_provider-<name>`` (so ``Retry-After`` reaches a client as
  ``llm_provider-retry-after``), ``x-ratelimit-limit-*``/``-remaining-*`` also copied as is;
* ``x-litellm-*`` headers on JSON answers and no ``x-request-id``;
* a wrong key, without a proxy database, refused with 400 ``no_db_connection``; no key at all
  answered with a bare 500 ``Internal Server Error`` (text/plain).
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from video_gen.emulator.api_errors import ApiError, framework_error, invalid_url

if TYPE_CHECKING:
    from video_gen.emulator.service import Service
    from video_gen.emulator.wire import Notes


class Dialect:
    """The OpenAI API's own way: OpenAI error bodies and an ``x-request-id`` on every answer."""

    request_id_header = True

    def error_body(self, err: ApiError, notes: Notes) -> Any:
        return err.body if err.body is not None else err.openai_body()

    def error_headers(
        self, svc: Service, err: ApiError, notes: Notes, request_id: str
    ) -> dict[str, str]:
        return self._request_id(request_id) | err.headers

    def json_headers(self, svc: Service, notes: Notes, request_id: str) -> dict[str, str]:
        return self._request_id(request_id)

    def content_headers(self, svc: Service, notes: Notes, request_id: str) -> dict[str, str]:
        return self._request_id(request_id)

    def route_error(self, method: str, path: str, allowed: set[str]) -> ApiError:
        return invalid_url(method, path)

    def missing_key(self) -> ApiError:
        return ApiError(
            401,
            "You didn't provide an API key. You need to provide your API key in an"
            " Authorization header using Bearer auth (i.e. Authorization: Bearer YOUR_KEY).",
            code="invalid_api_key",
            origin="gate",
        )

    def wrong_key(self, masked: str) -> ApiError:
        return ApiError(
            401,
            f"Incorrect API key provided: {masked}. You can find your API key at"
            " https://platform.openai.com/account/api-keys.",
            code="invalid_api_key",
            origin="gate",
        )

    def _request_id(self, request_id: str) -> dict[str, str]:
        return {"x-request-id": request_id} if self.request_id_header else {}


class OpenRouterDialect(Dialect):
    """OpenRouter: ``{"error": {"code": <int status>, "message"}}``."""

    def error_body(self, err: ApiError, notes: Notes) -> Any:
        return err.body if err.body is not None else err.openrouter_body()

    def missing_key(self) -> ApiError:
        return ApiError(401, "No auth credentials found", origin="gate")

    def wrong_key(self, masked: str) -> ApiError:
        return ApiError(401, "User not found.", origin="gate")


class FastAPIDialect(Dialect):
    """vLLM-Omni and SGLang: OpenAI-shaped errors from the routes, the framework's own
    ``{"detail": ...}`` 404/405 for routes they lack, and no request-id header by default."""

    request_id_header = False

    def route_error(self, method: str, path: str, allowed: set[str]) -> ApiError:
        return framework_error(405 if allowed else 404, allowed)


# LiteLLM's exception class and error type per upstream status, and whether the class name is
# repeated in the message (it is for all but BadRequestError, which also covers 404).
_LITELLM_ERRORS: Mapping[int, tuple[str, str, bool]] = {
    400: ("BadRequestError", "invalid_request_error", False),
    404: ("BadRequestError", "invalid_request_error", False),
    401: ("AuthenticationError", "auth_error", True),
    403: ("PermissionDeniedError", "permission_denied_error", True),
    408: ("Timeout", "timeout_error", True),
    422: ("UnprocessableEntityError", "invalid_request_error", True),
    429: ("RateLimitError", "throttling_error", True),
    500: ("InternalServerError", "internal_server_error", True),
    502: ("BadGatewayError", "internal_server_error", True),
    503: ("ServiceUnavailableError", "internal_server_error", True),
}
# Upstream headers LiteLLM also copies under their own name (besides the llm_provider- copy).
_KEPT_AS_IS = ("x-ratelimit-limit-", "x-ratelimit-remaining-")


class LiteLLMDialect(FastAPIDialect):
    def error_body(self, err: ApiError, notes: Notes) -> Any:
        if err.body is not None:
            return err.body
        if err.origin != "upstream":
            return {
                "error": {
                    "message": err.message,
                    "type": err.type,
                    "param": None,
                    "code": str(err.status),
                }
            }
        name, kind, repeat = _LITELLM_ERRORS.get(
            err.status, ("APIError", "internal_server_error", True)
        )
        inner = json.dumps(err.openai_body())
        group = notes.get("model", "")
        message = (
            f"litellm.{name}: {name + ': ' if repeat else ''}OpenAIException - {inner}\n\n"
            f"LiteLLM: model group '{group}' failed with the error above. No fallback was"
            " attempted."
        )
        return {"error": {"message": message, "type": kind, "param": None, "code": str(err.status)}}

    def error_headers(
        self, svc: Service, err: ApiError, notes: Notes, request_id: str
    ) -> dict[str, str]:
        if err.origin == "gate":
            return dict(err.headers)
        headers: dict[str, str] = {}
        if err.origin == "upstream":
            upstream = {
                "server": f"video-gen-emulator ({svc.profile.name} upstream)",
                "x-request-id": request_id,
                "content-type": "application/json",
                **{k.lower(): v for k, v in err.headers.items()},
            }
            headers.update({f"llm_provider-{k}": v for k, v in upstream.items()})
            headers.update({k: v for k, v in upstream.items() if k.startswith(_KEPT_AS_IS)})
            headers["request-id"] = request_id
        headers.update(_call_headers())
        if err.origin == "upstream":
            headers["x-litellm-timeout"] = "600.0"
        return headers

    def json_headers(self, svc: Service, notes: Notes, request_id: str) -> dict[str, str]:
        model = notes.get("model", "")
        headers = {
            "x-litellm-call-id": str(uuid.uuid4()),
            "x-litellm-model-id": notes.get("deployment", ""),
            "x-litellm-model-name": f"openai/{model}",
            "x-litellm-model-api-base": svc.base_url,
            "x-litellm-version": _version(),
            "x-litellm-response-cost": "0.0",
            "x-litellm-key-spend": "0.0",
            "x-litellm-response-duration-ms": "5.0",
            "x-litellm-callback-duration-ms": "0.0",
            "x-litellm-model-group": model,
            "x-litellm-attempted-retries": notes.get("attempted_retries", "0"),
            "x-litellm-attempted-fallbacks": "0",
        }
        if notes.get("attempted_retries", "0") != "0":
            headers["x-litellm-max-retries"] = str(svc.profile.num_retries)
        return headers

    def content_headers(self, svc: Service, notes: Notes, request_id: str) -> dict[str, str]:
        # The proxy streams the upstream bytes as a file download, with none of its own headers.
        name = f"video_{notes.get('video_id', '')}.mp4"
        return {"content-disposition": f"attachment; filename={name}"}

    def missing_key(self) -> ApiError:
        # Seen on 1.108.7 without a database: the auth hook fails before any error handler.
        return ApiError(
            500,
            "Internal Server Error",
            origin="gate",
            text="Internal Server Error",
            headers={"connection": "close"},
        )

    def wrong_key(self, masked: str) -> ApiError:
        # Without a database the proxy cannot look a virtual key up, so any key but the master
        # key is refused this way: a 400, not a 401.
        return ApiError(400, "No connected db.", type="no_db_connection", origin="gate")


def _call_headers() -> dict[str, str]:
    return {
        "x-litellm-call-id": str(uuid.uuid4()),
        "x-litellm-version": _version(),
        "x-litellm-response-cost": "0",
        "x-litellm-key-spend": "0.0",
    }


def _version() -> str:
    from video_gen.emulator.profiles import LITELLM_VERSION

    return LITELLM_VERSION


DIALECTS: Mapping[str, Dialect] = {
    "openai": Dialect(),
    "openrouter": OpenRouterDialect(),
    "fastapi": FastAPIDialect(),
    "litellm": LiteLLMDialect(),
}


def dialect_of(svc: Service) -> Dialect:
    return DIALECTS[svc.profile.dialect]
