"""The one small interface every video provider implements.

A provider turns a ``GenerationRequest`` into a remote job and back. Orchestration (``jobs.py``,
batch, prompt-from-repo) only ever talks to this interface, so adding a provider is adding a
module and a registry entry (``providers/__init__.py``), never editing the orchestration.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Protocol, runtime_checkable

from video_gen.capabilities import ModelCapabilities
from video_gen.types import GenerationRequest, RemoteJob


@dataclass
class ContentStream:
    """An open HTTP body for one content variant, starting at byte ``offset``.

    ``total`` is the full size of the content when the server says it (Content-Length, or the
    total of a Content-Range), so the downloader can tell a cut transfer from a complete one.
    """

    chunks: Iterator[bytes]
    offset: int
    total: int | None
    content_type: str | None = None
    close_fn: object = field(default=None, repr=False)

    def close(self) -> None:
        fn = self.close_fn
        if callable(fn):
            fn()


@runtime_checkable
class Provider(Protocol):
    """submit, refresh, download, cancel, price: all a provider has to do."""

    name: str  # the configured name (``openai``, ``emulator``, ``my-litellm`` ...)
    kind: str  # ``openai-videos``, ``openrouter``, ``emulator``

    @property
    def api(self) -> str:
        """The request shape spoken, ``openai-videos`` or ``openrouter``: what it is priced as."""

    def capabilities(self, model: str) -> ModelCapabilities | None:
        """What ``model`` accepts on this provider, or None when unknown (then: let it decide)."""

    def submit(self, request: GenerationRequest, *, exclude_ids: frozenset[str] = ...) -> RemoteJob:
        """Create the remote job exactly once (never a blind second create)."""

    def refresh(self, job_id: str) -> RemoteJob:
        """The job's current state."""

    def download(self, job_id: str, variant: str, *, offset: int = 0) -> ContentStream:
        """Open the content of a completed job from byte ``offset`` (Range when > 0)."""

    def cancel(self, job_id: str) -> None:
        """Ask the server to stop or delete the job."""

    def find_recent(
        self, request: GenerationRequest, *, since: float, exclude_ids: frozenset[str] = ...
    ) -> RemoteJob | None:
        """A job made since ``since`` (unix time) for ``request``, not in ``exclude_ids``.

        How a lost create is recovered without paying twice; None when nothing matches or the
        server cannot be searched (then the caller must not assume no job exists silently).
        """

    def remix(self, job_id: str, prompt: str) -> RemoteJob:
        """A new job from a completed one (raises UnsupportedOperationError where unsupported)."""

    def close(self) -> None:
        """Release connections (and stop an in-process emulator)."""
