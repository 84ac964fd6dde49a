"""The request and response objects routes work with, free of any socket handling."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from video_gen.emulator.content import Body

if TYPE_CHECKING:
    from video_gen.emulator.service import Service


# What a route learned while answering (the model, the deployment, the id asked for), for the
# dialect dressing the answer: LiteLLM names the model group in its errors and headers.
Notes = dict[str, str]


@dataclass
class Request:
    method: str  # HEAD is routed as GET; `head` remembers it
    path: str
    query: Mapping[str, str]
    headers: Mapping[str, str]  # lower-case names
    body: bytes = b""
    params: dict[str, str] = field(default_factory=dict)  # from the route pattern
    head: bool = False
    notes: Notes = field(default_factory=dict)

    def header(self, name: str) -> str | None:
        return self.headers.get(name.lower())


@dataclass
class Response:
    status: int = 200
    json: Any = None
    headers: dict[str, str] = field(default_factory=dict)
    body: Body | None = None  # binary content instead of JSON
    start: int = 0
    stop: int | None = None  # [start, stop) of `body` to send; None = to the end
    truncate: bool = False  # send half of it, then close (the `truncate` fault)


Handler = Callable[["Service", Request], Response]


@dataclass(frozen=True)
class Route:
    method: str
    pattern: re.Pattern[str]
    name: str  # what stats count it as
    handler: Handler
    fault_endpoint: str  # the ENDPOINT of the fault grammar it answers to
    public: bool = False  # answered without a key (OpenRouter's model listing)

    def match(self, method: str, path: str) -> dict[str, str] | None:
        if method != self.method:
            return None
        m = self.pattern.fullmatch(path)
        return m.groupdict() if m else None


def route(
    method: str,
    prefix: str,
    template: str,
    name: str,
    handler: Handler,
    fault: str | None = None,
    *,
    public: bool = False,
) -> Route:
    """``route("GET", "/v1", "/videos/{video_id}", "retrieve", fn)``."""
    parts = re.split(r"\{(\w+)\}", prefix + template)
    regex = "".join(re.escape(p) if i % 2 == 0 else f"(?P<{p}>[^/]+)" for i, p in enumerate(parts))
    return Route(method, re.compile(regex), name, handler, fault or name, public)
