"""What the hosted-API kinds (gemini, fal, replicate) share: the kind's and the provider's
common parts, a model's input mapping, images as data URLs, capabilities for models nobody
declared, and content held in memory as a stream.

fal and Replicate host hundreds of video models, each with its own input names (``duration``
as ``"8s"``, ``"5"`` or ``5``; ``generate_audio``; ``image_url`` or ``image``). The common ones are
described in ``data/models.toml`` (an ``input`` table per model); any other model gets the
default mapping below, and ``--extra``-style fields the user sets pass through unchanged.
"""

from __future__ import annotations

import base64
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from video_gen import capabilities
from video_gen.capabilities import ModelCapabilities
from video_gen.errors import APIError, ConfigError, UnsupportedOperationError
from video_gen.providers import kinds
from video_gen.providers.base import ContentStream
from video_gen.providers.kinds import Connect, KindBase
from video_gen.types import GenerationRequest, RemoteJob

if TYPE_CHECKING:
    import requests

    from video_gen.client.transport import Transport


def data_url(path: Path) -> str:
    """The image as a ``data:`` URL (fal and Replicate take one wherever they take a URL)."""
    mime = capabilities.check_image_file(path)
    return f"data:{mime};base64,{base64.b64encode(path.read_bytes()).decode('ascii')}"


def open_capabilities(
    model: str,
    declared: Mapping[str, ModelCapabilities],
    kind: capabilities.Shape,
    *,
    audio: bool = True,
    seed: bool = True,
    last_frame: bool = False,
) -> ModelCapabilities:
    """Declared in the config, else packaged, else "anything in resolution style": the server
    decides. Never None, so even an unknown model is validated for the kind's shape."""
    return (
        declared.get(model)
        or capabilities.packaged(model, kind)
        or ModelCapabilities(
            model=model,
            seconds=None,
            sizes=None,
            remix=False,
            size_style="resolution",
            audio=audio,
            seed=seed,
            last_frame=last_frame,
        )
    )


@dataclass(frozen=True)
class InputMap:
    """How one model names its inputs. An empty name leaves that input out."""

    prompt: str = "prompt"
    duration: str = "duration"
    # How the seconds are written: "int" (5), "text" ("5") or "seconds" ("5s").
    duration_format: str = "int"
    resolution: str = "resolution"
    aspect_ratio: str = "aspect_ratio"
    audio: str = "generate_audio"
    seed: str = "seed"
    image: str = "image_url"
    last_frame: str = ""

    @classmethod
    def of(cls, model: str, kind: capabilities.Shape) -> InputMap:
        """The model's ``input`` table in ``models.toml`` (the kind's table), else the default."""
        from video_gen import data

        table = data.load("models.toml").get(kind.models_table or "", {})
        entry = table.get(model, {}) if isinstance(table, Mapping) else {}
        found = entry.get("input", {}) if isinstance(entry, Mapping) else {}
        if not isinstance(found, Mapping):
            return cls()
        try:
            return cls(**{str(k): str(v) for k, v in found.items()})
        except TypeError as exc:
            raise ConfigError(
                f"models.toml: bad input table for {model!r}: {exc}",
                hint="reinstall video-gen (the packaged data is damaged), or report it",
            ) from None

    def duration_value(self, seconds: int) -> Any:
        if self.duration_format == "seconds":
            return f"{seconds}s"
        if self.duration_format == "text":
            return str(seconds)
        return seconds

    def body(self, request: GenerationRequest, *, inline_images: bool = True) -> dict[str, Any]:
        """The model's input object for ``request`` (images named, not embedded, for a preview)."""
        size = capabilities.parse_resolution_size(request.size)
        pairs: list[tuple[str, Any]] = [
            (self.prompt, request.prompt),
            (self.duration, self.duration_value(request.seconds)),
            (self.resolution, size.resolution),
            (self.aspect_ratio, size.aspect_ratio),
            (self.audio, request.audio),
            (self.seed, request.seed),
        ]
        for name, path in (
            (self.image, request.input_reference),
            (self.last_frame, request.last_frame),
        ):
            if path is not None:
                pairs.append((name, data_url(path) if inline_images else f"@{path}"))
        out = {name: value for name, value in pairs if name and value is not None}
        out.update(request.extra)
        return out


def memory_stream(data: bytes, offset: int, content_type: str | None = None) -> ContentStream:
    """Content already in memory (a base64 video inside a JSON answer), from byte ``offset``."""

    def chunks() -> Iterator[bytes]:
        view = memoryview(data)
        for start in range(offset, len(data), 1 << 20):
            yield bytes(view[start : start + (1 << 20)])

    return ContentStream(chunks=chunks(), offset=offset, total=len(data), content_type=content_type)


class HostedKind(KindBase):
    """A kind for a hosted API: resolution-style sizes, a default model, a key header of its
    own, errors refined by ``parse_error``, and open capabilities for undeclared models."""

    size_style = "resolution"
    remix_default = False
    default_model = ""
    # What a model nobody described may be asked for (the server decides).
    open_audio = True
    open_seed = True

    @staticmethod
    def auth(key: str) -> dict[str, str]:
        """The headers that carry ``key``."""
        raise NotImplementedError

    @staticmethod
    def parse_error(resp: requests.Response, *, auth_hint: str = "") -> APIError:
        """The kind's reading of an error answer (``auth_hint``: how to set the key)."""
        raise NotImplementedError

    def transport(self, spec: Any, connect: Connect) -> Transport:
        """The shared Transport for ``spec``: its key in the kind's header, its custom headers
        as secrets, its key hint, the kind's error parser."""

        def parser(resp: requests.Response) -> APIError:
            return self.parse_error(resp, auth_hint=spec.key_hint)

        return connect(
            spec.base_url,
            auth=self.auth(spec.api_key or ""),
            secret_headers=spec.headers,
            key_hint=spec.key_hint,
            error_parser=parser,
        )

    def model_capabilities(
        self, model: str, declared: Mapping[str, ModelCapabilities]
    ) -> ModelCapabilities:
        return open_capabilities(model, declared, self, audio=self.open_audio, seed=self.open_seed)

    def capabilities(self, spec: Any, model: str) -> ModelCapabilities | None:
        return self.model_capabilities(model, spec.declared_models())

    def spec_defaults(self, name: str, table: Mapping[str, Any]) -> dict[str, Any]:
        return {"model": self.default_model}


class HostedProvider:
    """The parts of a hosted-API provider that do not depend on the API. ``label`` names the
    service in messages; ``_outputs`` remembers each finished job's output URL (on a CDN: the
    Transport sends no key there)."""

    kind = ""
    api = ""
    label = ""

    def __init__(
        self, name: str, client: Any, *, models: Mapping[str, ModelCapabilities] | None = None
    ) -> None:
        self.name = name
        self.client = client
        self._models = dict(models or {})
        self._outputs: dict[str, str] = {}

    def capabilities(self, model: str) -> ModelCapabilities | None:
        kind = kinds.get(self.kind)
        assert isinstance(kind, HostedKind)
        return kind.model_capabilities(model, self._models)

    def refresh(self, job_id: str) -> RemoteJob:
        raise NotImplementedError

    def video_only(self, variant: str) -> None:
        if variant != "video":
            raise UnsupportedOperationError(
                f"{self.label} makes no {variant} for a video, only the video itself",
                hint=f"download without --{variant}",
            )

    def output_stream(self, job_id: str, offset: int, *, gone: str) -> ContentStream:
        """The job's output file from byte ``offset`` (refreshed first when not seen yet)."""
        from video_gen.providers.openai_videos import stream_from_response

        url = self._outputs.get(job_id)
        if url is None:
            job = self.refresh(job_id)
            url = self._outputs.get(job_id)
            if url is None:
                raise APIError(f"{self.label} job {job_id} has no video ({job.status})", hint=gone)
        return stream_from_response(self.client.http.stream(url, offset=offset), offset)

    def remix(self, job_id: str, prompt: str) -> RemoteJob:
        raise UnsupportedOperationError(
            f"provider {self.name!r} ({self.label}) does not support remix",
            hint="generate again with a new prompt",
        )

    def notices(self) -> list[str]:
        return []

    def close(self) -> None:
        self.client.close()
