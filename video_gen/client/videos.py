"""A client for the OpenAI Videos API shape (``/v1/videos``), for any server that speaks it.

HTTP only, over the shared ``Transport`` (session, timeouts, retries, typed errors). A create is
sent once: failures that cannot have made a job (a refused connection, a 429, a 4xx) are retried
or raised, and one that may have made a job raises ``AmbiguousCreateError`` for the job layer,
which looks for the job (``candidates``) before anything is posted again.

Quirks of the servers that speak this shape, handled here (docs/providers.md):
* the main video is fetched *without* ``variant`` (SGLang reads it as an output index and answers
  404 to ``variant=video``; the official SDK omits it too);
* vLLM-Omni answers the retrieve of a failed job with HTTP 500 and the job as the body: that is
  the job's state, not a server failure;
* SGLang refuses a multipart create without a file but takes JSON: learned once per client;
* LiteLLM has no usable job list and drops ``prompt`` from job objects: ``candidates`` then says
  the server cannot be searched (``LookupUnavailableError``) rather than "nothing found".
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

import requests

from video_gen.client.transport import Transport, bearer, decode, quote
from video_gen.errors import APIError, BadRequestError, LookupUnavailableError
from video_gen.types import FAILURE_STATUSES, SUCCESS_STATUSES

log = logging.getLogger("video_gen.http")

# How far back (seconds) before a create began a job may be dated and still be a candidate:
# the server's clock and ours differ.
CLOCK_SKEW = 30.0


@dataclass(frozen=True)
class ImageFile:
    """A reference image, held in memory so a retried create can send it again."""

    filename: str
    data: bytes
    mime: str


class VideosClient:
    def __init__(self, transport: Transport) -> None:
        self.http = transport
        # Learned once per client: a server that refuses multipart without a file (SGLang) gets
        # JSON creates from then on.
        self._json_creates = False

    @classmethod
    def connect(cls, base_url: str, api_key: str, **kwargs: Any) -> VideosClient:
        """A client with its own transport (``kwargs`` go to ``Transport``)."""
        return cls(Transport(base_url, auth=bearer(api_key), **kwargs))

    @property
    def base_url(self) -> str:
        return self.http.base_url

    @property
    def session(self) -> requests.Session:
        return self.http.session

    def close(self) -> None:
        self.http.close()

    # -- creates: sent once ------------------------------------------------------------------
    def create(
        self,
        *,
        prompt: str,
        model: str,
        seconds: str,
        size: str,
        input_reference: ImageFile | None = None,
        extra: Mapping[str, str] | None = None,
    ) -> dict[str, Any]:
        """POST /videos. Retries only failures that cannot have made a job; raises
        ``AmbiguousCreateError`` for one that may have (the caller looks before posting again)."""
        fields = {"prompt": prompt, "model": model, "seconds": seconds, "size": size}
        fields.update(extra or {})
        return self.http.post_once(lambda: self._create_once(fields, input_reference))

    def remix(self, video_id: str, prompt: str) -> dict[str, Any]:
        """POST /videos/{id}/remix: a paid create too, under the same rule."""
        return self.http.post_once(
            lambda: decode(
                self.http.send("POST", f"/videos/{quote(video_id)}/remix", json={"prompt": prompt})
            )
        )

    def _create_once(self, fields: dict[str, str], image: ImageFile | None) -> dict[str, Any]:
        if image is None and self._json_creates:
            return decode(self.http.send("POST", "/videos", json=fields))
        files: dict[str, Any] = {k: (None, v) for k, v in fields.items()}
        if image is not None:
            files["input_reference"] = (image.filename, image.data, image.mime)
        try:
            return decode(self.http.send("POST", "/videos", files=files))
        except BadRequestError as exc:
            if image is not None or not _rejects_multipart(exc):
                raise
        # Some servers (SGLang) refuse a multipart create that carries no file but take JSON.
        # A 400 made no job, so sending the same fields as JSON cannot double-charge.
        data = decode(self.http.send("POST", "/videos", json=fields))
        self._json_creates = True
        return data

    # -- finding a lost create ---------------------------------------------------------------
    def candidates(self, fields: Mapping[str, str], *, since: float) -> list[dict[str, Any]]:
        """Jobs made since ``since`` (unix time, with slack for clock skew) with these fields,
        newest first. Raises ``LookupUnavailableError`` when the server cannot tell: its list
        fails, or its job objects lack a field needed to match (then "none found" would be a
        guess, and a guess here pays twice)."""
        horizon = since - CLOCK_SKEW
        found: list[dict[str, Any]] = []
        try:
            for job in self.iter_videos(order="desc", page_size=20, max_pages=5):
                created = job.get("created_at")
                if isinstance(created, (int, float)) and created < horizon:
                    break
                missing = [k for k in fields if k not in job]
                if missing:
                    raise LookupUnavailableError(
                        f"{self.base_url} lists jobs without their {', '.join(missing)}, so a"
                        " lost create cannot be told apart from other jobs"
                    )
                if all(str(job.get(k)) == str(v) for k, v in fields.items()):
                    found.append(job)
        except APIError as exc:
            raise LookupUnavailableError(f"{self.base_url} cannot list jobs ({exc})") from None
        return found

    # -- reading -----------------------------------------------------------------------------
    def retrieve(self, video_id: str) -> tuple[dict[str, Any], Mapping[str, str]]:
        return self.http.json("GET", f"/videos/{quote(video_id)}", ok_body=_final_job_body)

    def list(
        self, *, after: str | None = None, limit: int = 20, order: str = "desc"
    ) -> dict[str, Any]:
        params: dict[str, Any] = {"limit": limit, "order": order}
        if after:
            params["after"] = after
        data, _ = self.http.json("GET", "/videos", params=params)
        return data

    def iter_videos(
        self, *, order: str = "desc", page_size: int = 100, max_pages: int | None = None
    ) -> Iterator[dict[str, Any]]:
        after: str | None = None
        pages = 0
        while True:
            page = self.list(after=after, limit=page_size, order=order)
            items = page.get("data") or []
            yield from (i for i in items if isinstance(i, dict))
            pages += 1
            if not page.get("has_more") or not items or (max_pages and pages >= max_pages):
                return
            after = page.get("last_id") or items[-1].get("id")

    def delete(self, video_id: str) -> dict[str, Any]:
        data, _ = self.http.json("DELETE", f"/videos/{quote(video_id)}")
        return data

    def content(
        self, video_id: str, variant: str = "video", *, offset: int = 0
    ) -> requests.Response:
        """Open the content body as a stream, from byte ``offset`` (a Range request). The main
        video is asked for without ``variant``, as the official SDK does."""
        headers = {"Accept": "*/*"}
        if offset > 0:
            headers["Range"] = f"bytes={offset}-"
        params = {"variant": variant} if variant != "video" else None
        return self.http.request(
            "GET",
            f"/videos/{quote(video_id)}/content",
            params=params,
            headers=headers,
            stream=True,
        )


def _final_job_body(resp: requests.Response) -> bool:
    """A 5xx whose body is a job in a final state (vLLM-Omni's answer for a failed job)."""
    if resp.status_code < 500:
        return False
    try:
        body = resp.json()
    except ValueError:
        return False
    if not isinstance(body, dict) or not body.get("id"):
        return False
    return str(body.get("status") or "").lower() in (FAILURE_STATUSES | SUCCESS_STATUSES)


def _rejects_multipart(exc: APIError) -> bool:
    if exc.status != 400 or exc.code in ("moderation_blocked", "invalid_api_key"):
        return False
    if exc.param in ("prompt", "model", "seconds", "size"):
        return False
    text = (exc.message or "").lower()
    return exc.param in (None, "input_reference", "file") and any(
        w in text for w in ("multipart", "file", "form", "content-type", "content type")
    )
