"""Provider for any server speaking the OpenAI Videos API shape (``/v1/videos``).

OpenAI's own endpoint was switched off on 2026-09-24; LiteLLM proxy, vLLM-Omni, SGLang and
gateways still answer this shape, each with quirks the client and ``types.phase_of`` tolerate.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from pathlib import Path

import requests

from video_gen import capabilities
from video_gen.capabilities import ModelCapabilities, sniff_image
from video_gen.client.videos import ImageFile, VideosClient
from video_gen.errors import APIConnectionError, UnsupportedOperationError
from video_gen.providers.base import ContentStream
from video_gen.types import GenerationRequest, RemoteJob

_CONTENT_RANGE = re.compile(r"bytes\s+(\d+)-(\d+)/(\d+|\*)")


class OpenAIVideosProvider:
    kind = "openai-videos"
    api = "openai-videos"

    def __init__(
        self,
        name: str,
        client: VideosClient,
        *,
        models: Mapping[str, ModelCapabilities] | None = None,
        remix: bool = True,
    ) -> None:
        self.name = name
        self.client = client
        self._models = dict(models or {})
        self._remix = remix

    def capabilities(self, model: str) -> ModelCapabilities | None:
        return self._models.get(model) or capabilities.packaged(model)

    def submit(
        self, request: GenerationRequest, *, exclude_ids: frozenset[str] = frozenset()
    ) -> RemoteJob:
        image = _image(request.input_reference) if request.input_reference else None
        data = self.client.create(
            prompt=request.prompt,
            model=request.model,
            seconds=str(request.seconds),
            size=request.size,
            input_reference=image,
            exclude_ids=exclude_ids,
            extra=request.extra,
        )
        return RemoteJob.from_api(data)

    def refresh(self, job_id: str) -> RemoteJob:
        data, headers = self.client.retrieve(job_id)
        hint = headers.get("openai-poll-after-ms")
        try:
            poll_after = int(float(hint)) if hint else None
        except ValueError:
            poll_after = None
        return RemoteJob.from_api(data, poll_after_ms=poll_after)

    def download(self, job_id: str, variant: str, *, offset: int = 0) -> ContentStream:
        resp = self.client.content(job_id, variant, offset=offset)
        return stream_from_response(resp, offset)

    def cancel(self, job_id: str) -> None:
        self.client.delete(job_id)

    def find_recent(
        self,
        request: GenerationRequest,
        *,
        since: float,
        exclude_ids: frozenset[str] = frozenset(),
    ) -> RemoteJob | None:
        fields = {
            "prompt": request.prompt,
            "model": request.model,
            "seconds": str(request.seconds),
            "size": request.size,
        }
        data = self.client.find_recent(fields, since=since, exclude_ids=exclude_ids)
        return RemoteJob.from_api(data) if data else None

    def remix(self, job_id: str, prompt: str) -> RemoteJob:
        if not self._remix:
            raise UnsupportedOperationError(f"provider {self.name!r} does not support remix")
        return RemoteJob.from_api(self.client.remix(job_id, prompt))

    def close(self) -> None:
        self.client.close()


def stream_from_response(resp: requests.Response, offset: int) -> ContentStream:
    """Wrap a streaming content answer; a 200 to a Range request restarts from byte 0."""
    total: int | None = None
    start = 0
    if resp.status_code == 206:
        m = _CONTENT_RANGE.match(resp.headers.get("Content-Range", ""))
        if m:
            start = int(m.group(1))
            total = int(m.group(3)) if m.group(3) != "*" else None
    else:
        length = resp.headers.get("Content-Length")
        total = int(length) if length and length.isdigit() else None
    return ContentStream(
        chunks=_chunks(resp),
        offset=start,
        total=total,
        content_type=resp.headers.get("Content-Type"),
        close_fn=resp.close,
    )


def _chunks(resp: requests.Response) -> Iterator[bytes]:
    # Reading the urllib3 body directly is about 2x faster than iter_content on large files
    # (measured in bench/bench_download.py); a short body raises IncompleteRead/ProtocolError.
    import urllib3.exceptions

    try:
        while True:
            chunk = resp.raw.read(1 << 20, decode_content=True)
            if not chunk:
                return
            yield chunk
    except (requests.exceptions.RequestException, urllib3.exceptions.HTTPError, OSError) as exc:
        raise APIConnectionError(f"download cut off ({type(exc).__name__})") from None


def _image(path: Path) -> ImageFile:
    mime = sniff_image(path) or "application/octet-stream"
    return ImageFile(filename=path.name, data=path.read_bytes(), mime=mime)
