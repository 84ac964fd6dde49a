"""Errors the emulator answers with, in the exact body shape of the server it imitates."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, Literal

# Who answers: the server behind a proxy (its errors get wrapped by a proxy dialect), the proxy
# itself, or the gate in front of every route (auth, the web framework's 404/405), which adds
# nothing of its own.
Origin = Literal["upstream", "proxy", "gate"]


class ApiError(Exception):
    """An HTTP error answer. Raised anywhere in a route; the server turns it into a response."""

    def __init__(
        self,
        status: int,
        message: str,
        *,
        type: str = "invalid_request_error",  # named like the OpenAI field it fills
        param: str | None = None,
        code: str | None = None,
        headers: Mapping[str, str] | None = None,
        origin: Origin = "upstream",
        body: Any = None,
        text: str | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.type = type
        self.param = param
        self.code = code
        self.headers = dict(headers or {})
        self.origin = origin
        self.body = body  # a body sent exactly as given (a framework's {"detail": ...})
        self.text = text  # a text/plain body instead of JSON

    def openai_body(self) -> dict[str, Any]:
        return {
            "error": {
                "message": self.message,
                "type": self.type,
                "param": self.param,
                "code": self.code,
            }
        }

    def openrouter_body(self) -> dict[str, Any]:
        # OpenRouter's errors carry the HTTP status as an integer `code` and no `type`/`param`.
        return {"error": {"code": self.status, "message": self.message}}


class DropConnection(Exception):
    """Close the socket without writing an answer (the `drop` and `create-drop` faults)."""


def quote_values(values: Iterable[str]) -> str:
    """``'a', 'b', and 'c'``: how OpenAI lists supported values in its messages."""
    items = [f"'{v}'" for v in values]
    if len(items) <= 1:
        return "".join(items)
    if len(items) == 2:
        return f"{items[0]} and {items[1]}"
    return ", ".join(items[:-1]) + f", and {items[-1]}"


def invalid_value(param: str, value: object, supported: Iterable[str]) -> ApiError:
    return ApiError(
        400,
        f"Invalid value: '{value}'. Supported values are: {quote_values(supported)}.",
        param=param,
        code="invalid_value",
    )


def invalid_type(param: str, expected: str, got: object) -> ApiError:
    return ApiError(
        400,
        f"Invalid type for '{param}': expected {expected}, but got {_type_name(got)} instead.",
        param=param,
        code="invalid_type",
    )


def missing(param: str) -> ApiError:
    return ApiError(
        400,
        f"Missing required parameter: '{param}'.",
        param=param,
        code="missing_required_parameter",
    )


def video_not_found(video_id: str) -> ApiError:
    return ApiError(
        404, f"Video with id '{video_id}' not found.", param="video_id", code="video_not_found"
    )


def invalid_url(method: str, path: str) -> ApiError:
    # What api.openai.com answers for a route it does not have (also a method it does not serve).
    return ApiError(404, f"Invalid URL ({method} {path})", origin="gate")


def framework_error(status: int, allow: Iterable[str] = ()) -> ApiError:
    """What a FastAPI/Starlette server (LiteLLM, vLLM, SGLang) answers for a route it lacks."""
    detail = "Method Not Allowed" if status == 405 else "Not Found"
    headers = {"allow": ", ".join(sorted(allow))} if status == 405 else {}
    return ApiError(status, detail, origin="gate", body={"detail": detail}, headers=headers)


def _type_name(value: object) -> str:
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int):
        return "an integer"
    if isinstance(value, float):
        return "a decimal"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "an array"
    if isinstance(value, dict):
        return "an object"
    return "null" if value is None else type(value).__name__
