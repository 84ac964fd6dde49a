"""Checks on a create request, with OpenAI's messages, codes and params.

The model table is the project's own ``data/models.toml``, so the emulator refuses exactly what
the client's pre-flight checks are meant to catch: a client bug shows up in tests, not in a bill.
"""

from __future__ import annotations

import base64
import binascii
import io
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import imagesize

from video_gen.emulator.api_errors import ApiError, invalid_type, invalid_value, missing
from video_gen.emulator.forms import Form, Upload
from video_gen.emulator.profiles import Profile

PROMPT_MAX = 32000
DEFAULT_SECONDS = "4"
DEFAULT_SIZE = "720x1280"
CREATE_FIELDS = frozenset({"prompt", "model", "seconds", "size", "input_reference"})
_SIZE = re.compile(r"^([1-9]\d{0,4})x([1-9]\d{0,4})$")
_IMAGE_TYPES = "'image/jpeg', 'image/png', and 'image/webp'"


@dataclass(frozen=True)
class CreateParams:
    prompt: str
    model: str
    seconds: str
    size: str
    has_reference: bool = False


def model_table() -> Mapping[str, Mapping[str, Any]]:
    from video_gen.data import load

    models = load("models.toml").get("models", {})
    return models if isinstance(models, Mapping) else {}


def check_prompt(value: Any) -> str:
    if value is None:
        raise missing("prompt")
    if not isinstance(value, str):
        raise invalid_type("prompt", "a string", value)
    if not value:
        raise ApiError(
            400,
            "Invalid 'prompt': string too short. Expected a string with minimum length 1, but got"
            " an empty string instead.",
            param="prompt",
            code="string_below_min_length",
        )
    if len(value) > PROMPT_MAX:
        raise ApiError(
            400,
            f"Invalid 'prompt': string too long. Expected a string with maximum length"
            f" {PROMPT_MAX}, but got a string with length {len(value)} instead.",
            param="prompt",
            code="string_above_max_length",
        )
    return value


def check_unknown_fields(profile: Profile, form: Form, allowed: frozenset[str]) -> None:
    if not profile.reject_unknown_fields:
        return
    for name in [*form.fields, *form.files]:
        base = name.split("[", 1)[0]  # multipart encodes objects as input_reference[image_url]
        if base not in allowed:
            raise ApiError(
                400, f"Unknown parameter: '{name}'.", param=name, code="unknown_parameter"
            )


def validate_create(profile: Profile, form: Form) -> CreateParams:
    fields = form.fields
    upload = form.files.get("input_reference")
    if profile.multipart_needs_file and form.kind == "multipart" and upload is None:
        # SGLang's form route declares the reference image as required; text-only goes as JSON.
        raise ApiError(
            400,
            "Field required: input_reference (multipart requests must include a reference"
            " image; send JSON for text-to-video).",
            param="input_reference",
            code="missing_required_parameter",
        )
    check_unknown_fields(profile, form, CREATE_FIELDS)
    prompt = check_prompt(fields.get("prompt"))

    model = fields.get("model", profile.default_model)
    if not isinstance(model, str):
        raise invalid_type("model", "a string", model)
    models = model_table()
    caps = models.get(model)
    if caps is None and profile.known_models_only:
        raise invalid_value("model", model, list(models))

    seconds = _check_seconds(profile, fields.get("seconds", DEFAULT_SECONDS), caps)
    size = _check_size(fields.get("size", DEFAULT_SIZE), caps)
    image = _reference_image(fields, upload)
    if image is not None:
        _check_reference(image, size)
    return CreateParams(prompt, model, seconds, size, has_reference=image is not None)


def _check_seconds(profile: Profile, value: Any, caps: Mapping[str, Any] | None) -> str:
    allowed = [str(s) for s in caps.get("seconds", [])] if caps else []
    if (
        profile.seconds_rule == "positive"
        and isinstance(value, int)
        and not isinstance(value, bool)
    ):
        value = str(value)  # form-based servers never see a type, so they cannot refuse one
    if isinstance(value, bool) or not isinstance(value, str):
        # OpenAI types `seconds` as a string enum: the integer 4 is refused, not coerced.
        expected = f"one of {_or_list(allowed)}" if allowed else "a string"
        raise invalid_type("seconds", expected, value)
    if profile.seconds_rule == "positive" or not allowed:
        if not (value.isdigit() and int(value) > 0):
            raise ApiError(
                400,
                f"Invalid 'seconds': expected a positive integer as a string, got '{value}'.",
                param="seconds",
                code="invalid_value",
            )
        return str(int(value))
    if value not in allowed:
        raise invalid_value("seconds", value, allowed)
    return value


def _check_size(value: Any, caps: Mapping[str, Any] | None) -> str:
    if not isinstance(value, str):
        raise invalid_type("size", "a string", value)
    sizes = [str(s) for s in caps.get("sizes", [])] if caps else []
    if sizes:
        if value not in sizes:
            raise invalid_value("size", value, sizes)
    elif not _SIZE.match(value):
        raise ApiError(
            400,
            f"Invalid 'size': expected WIDTHxHEIGHT, got '{value}'.",
            param="size",
            code="invalid_value",
        )
    return value


def _reference_image(fields: Mapping[str, Any], upload: Upload | None) -> bytes | None:
    if upload is not None:
        return upload.data
    ref = fields.get("input_reference")
    if ref is None:
        url = fields.get("input_reference[image_url]")
        ref = {"image_url": url} if url is not None else None
    if ref is None:
        return None
    if isinstance(ref, Mapping):
        url = ref.get("image_url")
        if isinstance(url, str) and url.startswith("data:"):
            return _decode_data_url(url)
        raise ApiError(
            400,
            "The emulator accepts input_reference as an uploaded file or an image_url data: URL"
            " (it never fetches URLs or file ids).",
            param="input_reference",
            code="invalid_value",
        )
    raise invalid_type("input_reference", "a file", ref)


def _decode_data_url(url: str) -> bytes:
    meta, _, data = url.partition(",")
    try:
        if meta.endswith(";base64"):
            return base64.b64decode(data, validate=True)
        return data.encode()
    except (binascii.Error, ValueError):
        raise ApiError(
            400, "Invalid base64 image data.", param="input_reference", code="invalid_value"
        ) from None


def sniff_image(data: bytes) -> str | None:
    if data.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    return None


def _check_reference(data: bytes, size: str) -> None:
    if sniff_image(data) is None:
        raise ApiError(
            400,
            f"Invalid file format for 'input_reference'. Supported formats are: {_IMAGE_TYPES}.",
            param="input_reference",
            code="invalid_value",
        )
    try:
        width, height = imagesize.get(io.BytesIO(data))
    except Exception:  # imagesize raises assorted errors on damaged headers
        width, height = -1, -1
    if f"{width}x{height}" != size:
        raise ApiError(
            400,
            "Inpaint image must match the requested width and height",
            param="input_reference",
            code="invalid_value",
        )


def _or_list(values: list[str]) -> str:
    items = [f"'{v}'" for v in values]
    if len(items) <= 2:
        return " or ".join(items)
    return ", ".join(items[:-1]) + f", or {items[-1]}"
