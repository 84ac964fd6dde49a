"""Kind ``openai-videos``: any server speaking the OpenAI Videos API shape (``/v1/videos``).

OpenAI's own endpoint was switched off on 2026-09-24; LiteLLM proxy, vLLM-Omni, SGLang and
gateways still answer this shape, each with quirks the client (``client/videos.py``) and
``types.phase_of`` tolerate. What a LiteLLM proxy does to money (it re-posts failed creates
unless told not to, and cannot list jobs) is detected from its headers and said once.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import requests

from video_gen import capabilities, notices
from video_gen.capabilities import ModelCapabilities, sniff_image
from video_gen.client.transport import bearer
from video_gen.client.videos import ImageFile, VideosClient
from video_gen.errors import (
    APIConnectionError,
    APIError,
    NotFoundError,
    UnsupportedOperationError,
)
from video_gen.providers.base import ContentStream
from video_gen.providers.kinds import CheckResult, Connect, KindBase, RequestPreview
from video_gen.types import GenerationRequest, RemoteJob

_CONTENT_RANGE = re.compile(r"bytes\s+(\d+)-(\d+)/(\d+|\*)")

LITELLM_FIX = (
    "this server is a LiteLLM proxy: its router re-posts a create that failed upstream"
    " (num_retries defaults to 2), which can make two paid jobs from one request; set"
    " `router_settings: {num_retries: 0}` in its config for video models"
    " (docs/providers.md#litellm-proxy)"
)


def server_of(headers: Mapping[str, str]) -> str | None:
    """What answered, when its headers say (``LiteLLM proxy 1.108.7``)."""
    lowered = {k.lower(): v for k, v in headers.items()}
    if any(k.startswith("x-litellm-") for k in lowered):
        version = lowered.get("x-litellm-version")
        return "LiteLLM proxy" + (f" {version}" if version else "")
    return None


def switched_off(exc: NotFoundError) -> NotFoundError:
    """A 404 on create from api.openai.com: the Sora API is gone, not a wrong id."""
    from video_gen import firstrun

    return NotFoundError(
        f"OpenAI's Videos API (Sora) was switched off on {firstrun.SWITCHED_OFF}: POST /videos"
        " answered 404 (nothing was created)",
        hint=firstrun.CI_HINT,
        status=exc.status,
        code=exc.code,
        request_id=exc.request_id,
    )


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
        self._pending: list[str] = []
        self._server_seen = False

    def capabilities(self, model: str) -> ModelCapabilities | None:
        return self._models.get(model) or capabilities.packaged(model, KIND)

    def submit(self, request: GenerationRequest) -> RemoteJob:
        image = _image(request.input_reference) if request.input_reference else None
        extra = dict(request.extra)
        if request.seed is not None:
            extra["seed"] = str(request.seed)
        try:
            data = self.client.create(
                prompt=request.prompt,
                model=request.model,
                seconds=str(request.seconds),
                size=request.size,
                input_reference=image,
                extra=extra,
            )
        except NotFoundError as exc:
            if "api.openai.com" in self.client.base_url:
                raise switched_off(exc) from None
            raise
        finally:
            self._learn_server()
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

    def find_recent(self, request: GenerationRequest, *, since: float) -> list[RemoteJob]:
        fields: dict[str, str] = {"prompt": request.prompt}
        remix_of = request.extra.get("remix_of")
        if remix_of:
            fields["remixed_from_video_id"] = remix_of
        else:
            fields.update(model=request.model, seconds=str(request.seconds), size=request.size)
        return [RemoteJob.from_api(d) for d in self.client.candidates(fields, since=since)]

    def remix(self, job_id: str, prompt: str) -> RemoteJob:
        if not self._remix:
            raise UnsupportedOperationError(
                f"provider {self.name!r} does not support remix",
                hint="generate a new video with the changed prompt instead",
            )
        try:
            return RemoteJob.from_api(self.client.remix(job_id, prompt))
        finally:
            self._learn_server()

    def notices(self) -> list[str]:
        out, self._pending = self._pending, []
        return out

    def close(self) -> None:
        self.client.close()

    def _learn_server(self) -> None:
        """What a create's answer says of the server. A LiteLLM proxy gets its warning once per
        base URL (remembered under the video-gen home); and every time its router did re-post
        the create upstream (``x-litellm-attempted-retries``), the user is told at once: that is
        jobs paid for that video-gen never sees."""
        headers = {k.lower(): v for k, v in self.client.http.seen_headers.items()}
        retried = headers.get("x-litellm-attempted-retries", "0")
        if retried.isdigit() and int(retried) > 0:
            self._pending.append(
                f"the LiteLLM proxy at {self.client.base_url} re-posted this create upstream"
                f" {retried} time(s): up to {int(retried) + 1} paid jobs may exist for it"
                " (video-gen follows one). Set `router_settings: {num_retries: 0}` for video"
                " models (docs/providers.md#litellm-proxy)"
            )
        if self._server_seen:
            return
        server = server_of(headers)
        if server is None:
            return
        self._server_seen = True
        if server.startswith("LiteLLM") and notices.first_time(
            "litellm-retries", self.client.base_url
        ):
            self._pending.append(f"{self.client.base_url}: {LITELLM_FIX}")


class OpenAIVideosKind(KindBase):
    table_keys: tuple[str, ...] | None = ("remix",)
    name = "openai-videos"
    description = "any server speaking /v1/videos: LiteLLM proxy, vLLM-Omni, SGLang, gateways"
    default_base_url = ""
    models_table = "models"

    def open(self, spec: Any, connect: Connect) -> OpenAIVideosProvider:
        client = VideosClient(
            connect(
                spec.base_url,
                auth=bearer(spec.api_key or ""),
                secret_headers=spec.headers,
                key_hint=spec.key_hint,
            )
        )
        return OpenAIVideosProvider(
            spec.name,
            client,
            models=spec.declared_models(),
            remix=bool(spec.options.get("remix", True)),
        )

    def catalog(self, spec: Any) -> list[str]:
        """Sora's packaged list only where it means something: a provider that declares no
        models and serves a packaged one (Sora's list means nothing to a vLLM server)."""
        known = capabilities.known_models(self)
        if spec.declared_models() or (spec.model is not None and spec.model not in known):
            return []
        return known

    def preview(self, spec: Any, request: GenerationRequest) -> RequestPreview:
        body: dict[str, Any] = {
            "prompt": request.prompt,
            "model": request.model,
            "seconds": str(request.seconds),
            "size": request.size,
        }
        if request.seed is not None:
            body["seed"] = str(request.seed)
        if request.input_reference is not None:
            body["input_reference"] = (
                f"@{request.input_reference} ({sniff_image(request.input_reference)})"
            )
        return RequestPreview("POST", f"{spec.base_url.rstrip('/')}/videos", body)

    def check(self, spec: Any, connect: Connect) -> CheckResult:
        """List one video. A server that cannot list (LiteLLM) is probed with ``GET /models``
        instead, which proves the key, and the result says a lost create cannot be looked up
        there."""
        client = VideosClient(
            connect(
                spec.base_url,
                auth=bearer(spec.api_key or ""),
                secret_headers=spec.headers,
                key_hint=spec.key_hint,
            )
        )
        base = spec.base_url.rstrip("/")
        try:
            try:
                page = client.list(limit=1)
            except APIError as exc:
                if exc.status is None or exc.status in (401, 403) or exc.status >= 500:
                    raise
                return self._check_without_list(spec, client, exc)
            server = server_of(client.http.seen_headers)
            shown = len(page.get("data") or [])
            more = " (and more)" if page.get("has_more") else ""
            warnings = (LITELLM_FIX,) if server and server.startswith("LiteLLM") else ()
            return CheckResult(
                spec.name,
                spec.kind,
                base,
                f"GET {base}/videos?limit=1",
                f"{shown} video{'s' if shown != 1 else ''} listed{more}",
                key_accepted=True if spec.needs_key else None,
                job_list=True,
                server=server,
                warnings=warnings,
            )
        finally:
            client.close()

    def _check_without_list(
        self, spec: Any, client: VideosClient, refused: APIError
    ) -> CheckResult:
        base = spec.base_url.rstrip("/")
        server = server_of(client.http.seen_headers)  # the refusal's own headers
        if server is None and "litellm" in str(refused).lower():
            server = "LiteLLM proxy"  # its errors name it even when its headers do not
        data, headers = client.http.json("GET", "/models")
        server = server_of(headers) or server
        items = data.get("data")
        ids = tuple(
            str(m.get("id")) for m in (items if isinstance(items, list) else []) if m.get("id")
        )
        detail = f"{len(ids)} model{'s' if len(ids) != 1 else ''} listed"
        if spec.model and ids and spec.model not in ids:
            detail += f"; the default model {spec.model} is NOT among them"
        warnings = [
            f"no job list ({refused}): a create that fails ambiguously cannot be looked"
            " up here, so video-gen records it in doubt and never posts it again"
        ]
        if server and server.startswith("LiteLLM"):
            warnings.append(LITELLM_FIX)
        return CheckResult(
            spec.name,
            spec.kind,
            base,
            f"GET {base}/models",
            detail,
            key_accepted=True if spec.needs_key else None,
            job_list=False,
            server=server,
            models=ids,
            warnings=tuple(warnings),
        )


KIND = OpenAIVideosKind()


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
