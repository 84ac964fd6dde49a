"""The one small interface every video provider implements.

A provider turns a ``GenerationRequest`` into a remote job and back. Orchestration (``jobs.py``,
batch, prompt-from-repo) only ever talks to this interface, so adding a provider is adding a
module and a registry entry (``providers/kinds.py``), never editing the orchestration.
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
    """submit, refresh, download, cancel, find, remix: all a provider has to do.

    Creates (``submit``, ``remix``) are sent once: a failure that may have made a job raises
    ``AmbiguousCreateError``, and the job layer then asks ``find_recent`` before anything else.
    """

    name: str  # the configured name (``openai``, ``emulator``, ``my-litellm`` ...)
    kind: str  # the registered kind (``openai-videos``, ``openrouter``, ``emulator`` ...)

    @property
    def api(self) -> str:
        """The API spoken, which is what it is priced as (an emulator: the one it plays)."""

    def capabilities(self, model: str) -> ModelCapabilities | None:
        """What ``model`` accepts on this provider, or None when unknown (then: let it decide)."""

    def submit(self, request: GenerationRequest) -> RemoteJob:
        """Create the remote job (raises AmbiguousCreateError when it may exist anyway)."""

    def refresh(self, job_id: str) -> RemoteJob:
        """The job's current state."""

    def download(self, job_id: str, variant: str, *, offset: int = 0) -> ContentStream:
        """Open the content of a completed job from byte ``offset`` (Range when > 0)."""

    def cancel(self, job_id: str) -> None:
        """Ask the server to stop or delete the job."""

    def find_recent(self, request: GenerationRequest, *, since: float) -> list[RemoteJob]:
        """Jobs made since ``since`` (unix time) that match ``request``, newest first.

        How a lost create is recovered without paying twice. Raises LookupUnavailableError when
        the server cannot be searched (no job list, a failing list, job objects without the
        fields to match): the caller must then never assume that no job exists.
        """

    def remix(self, job_id: str, prompt: str) -> RemoteJob:
        """A new job from a completed one (raises UnsupportedOperationError where unsupported)."""

    def notices(self) -> list[str]:
        """Warnings learned from the server since the last call (e.g. "this is a LiteLLM proxy
        that re-posts failed creates"), for the caller to show once."""

    def close(self) -> None:
        """Release connections (and stop an in-process emulator)."""
