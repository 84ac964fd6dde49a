"""Request bodies into fields and files: JSON, multipart (the SDKs' default) and urlencoded.

Multipart goes through the stdlib ``email`` parser (``cgi`` is gone from Python 3.13): the body
is a MIME document once its Content-Type header is put in front of it.
"""

from __future__ import annotations

import email.policy
import json
from dataclasses import dataclass, field
from email.parser import BytesParser
from typing import Any, Literal
from urllib.parse import parse_qsl

from video_gen.emulator.api_errors import ApiError


@dataclass(frozen=True)
class Upload:
    filename: str | None
    content_type: str | None
    data: bytes


@dataclass
class Form:
    kind: Literal["json", "multipart", "urlencoded", "empty"]
    fields: dict[str, Any] = field(default_factory=dict)
    files: dict[str, Upload] = field(default_factory=dict)


def parse_body(content_type: str | None, body: bytes) -> Form:
    media = (content_type or "").split(";", 1)[0].strip().lower()
    if media == "multipart/form-data":
        return _multipart(content_type or "", body)
    if not body.strip():
        return Form("empty")
    if media == "application/x-www-form-urlencoded":
        try:
            pairs = parse_qsl(body.decode("utf-8"), keep_blank_values=True, strict_parsing=True)
        except (UnicodeDecodeError, ValueError):
            raise ApiError(400, "We could not parse the form body of your request.") from None
        return Form("urlencoded", dict(pairs))
    # OpenAI parses anything else as JSON, whatever the header says; so do we.
    try:
        data = json.loads(body)
    except (UnicodeDecodeError, ValueError):
        raise ApiError(
            400,
            "We could not parse the JSON body of your request. (HINT: This likely means you"
            " aren't using your HTTP library correctly. The OpenAI API expects a JSON payload,"
            " but what was sent was not valid JSON.)",
        ) from None
    if not isinstance(data, dict):
        raise ApiError(400, "The request body must be a JSON object.", code="invalid_type")
    return Form("json", data)


def _multipart(content_type: str, body: bytes) -> Form:
    document = b"Content-Type: " + content_type.encode("latin-1") + b"\r\n\r\n" + body
    message = BytesParser(policy=email.policy.HTTP).parsebytes(document)
    if not message.is_multipart():
        raise ApiError(400, "We could not parse the multipart body of your request.")
    form = Form("multipart")
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        if not isinstance(name, str):
            continue
        payload = part.get_payload(decode=True)
        data = payload if isinstance(payload, bytes) else b""
        filename = part.get_filename()
        if filename is not None or _is_file_part(part.get_content_type()):
            form.files[name] = Upload(filename, part.get_content_type(), data)
        else:
            charset = part.get_content_charset() or "utf-8"
            form.fields[name] = data.decode(charset, errors="replace")
    return form


def _is_file_part(content_type: str) -> bool:
    # A part with no filename is still a file if it says it is binary; text/plain is a field.
    return not content_type.startswith("text/")
