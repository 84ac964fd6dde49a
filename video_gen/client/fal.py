"""A client for fal's queue (``https://queue.fal.run``), where any fal model runs as a job.

Routes and fields, read from the official ``fal-client`` SDK (``client.py``: ``submit``,
``SyncRequestHandle``, ``_parse_status``, ``_raise_for_status``):

* ``POST /{owner}/{app}[/{path}]`` with the model's input as the JSON body, header
  ``Authorization: Key ...`` -> ``{request_id, status_url, response_url, cancel_url}``;
* ``GET /{owner}/{app}/requests/{id}/status`` -> ``{status: IN_QUEUE, queue_position}`` |
  ``{status: IN_PROGRESS, logs}`` | ``{status: COMPLETED, logs, metrics, error, error_type}``
  (note: without the model's sub-path: ``fal-ai/kling-video/v2.1/...`` polls under
  ``fal-ai/kling-video``);
* ``GET /{owner}/{app}/requests/{id}`` -> the model's result (``{video: {url, content_type,
  file_size}, ...}``), or the run's error as ``{detail}`` with ``X-Fal-Error-Type``;
* ``PUT /{owner}/{app}/requests/{id}/cancel``.

The queue validates the input only when the job runs, so a bad input shows up as a failed job.
There is no list of one's queue requests, so an ambiguous create is recorded in doubt. What the
SDK leaves out and the Transport covers: fal-client retries no 5xx on a status poll (only a
gateway's 502-504), and re-posts a create after a timeout, which can pay twice.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import requests

from video_gen.client.error_bodies import error_from_response
from video_gen.client.transport import ApiClient, Transport, decode, same_origin
from video_gen.errors import APIError, AuthenticationError

KEYS_URL = "https://fal.ai/dashboard/keys"
PLATFORM_URL = "https://api.fal.ai/v1"


def key_header(key: str) -> dict[str, str]:
    return {"Authorization": f"Key {key}"} if key else {}


def parse_error(resp: requests.Response, *, auth_hint: str = "") -> APIError:
    err = error_from_response(resp)
    kind = resp.headers.get("x-fal-error-type")
    if kind and not err.code:
        err.code = kind
    if isinstance(err, AuthenticationError):
        err.hint = f"set a valid fal key: {auth_hint or 'export FAL_KEY=...'} (keys: {KEYS_URL})"
    return err


def app_of(endpoint: str) -> str:
    """``fal-ai/kling-video/v2.1/master/text-to-video`` -> ``fal-ai/kling-video``: the part the
    queue files requests under (namespaced apps, ``workflows/...``, keep three parts)."""
    parts = [p for p in endpoint.strip("/").split("/") if p]
    keep = 3 if parts and parts[0] in ("workflows", "comfy") else 2
    return "/".join(parts[:keep])


class FalClient(ApiClient):
    def __init__(self, transport: Transport, *, platform_url: str | None = None) -> None:
        super().__init__(transport)
        self.platform_url = (platform_url or PLATFORM_URL).rstrip("/")

    def submit(self, endpoint: str, arguments: Mapping[str, Any]) -> dict[str, Any]:
        """POST /{endpoint}: the job is queued; answered with its request id and URLs."""
        path = "/" + endpoint.strip("/")
        return self.http.post_once(
            lambda: decode(self.http.send("POST", path, json=dict(arguments)))
        )

    def status(self, app: str, request_id: str) -> dict[str, Any]:
        data, _ = self.http.json("GET", f"/{app}/requests/{request_id}/status")
        return data

    def result(self, app: str, request_id: str) -> dict[str, Any]:
        """The result of a COMPLETED request; a run that failed answers its error status."""
        data, _ = self.http.json("GET", f"/{app}/requests/{request_id}")
        return data

    def cancel(self, app: str, request_id: str) -> dict[str, Any]:
        data, _ = self.http.json("PUT", f"/{app}/requests/{request_id}/cancel")
        return data

    def pricing(self, endpoint: str) -> list[dict[str, Any]]:
        """fal's platform API ``GET /models/pricing?endpoint_id=``: needs the key, spends
        nothing (``{prices: [{endpoint_id, unit_price, unit, currency}]}``)."""
        url = f"{self.platform_url}/models/pricing"
        if not same_origin(url, self.base_url):
            # The platform API is another origin than the queue: the key is sent there on
            # purpose, through a transport of its own for that origin.
            other = Transport(
                self.platform_url,
                auth={"Authorization": str(self.http.session.headers.get("Authorization", ""))},
                timeouts=self.http.timeouts,
                retry=self.http.retry,
                error_parser=self.http.error_parser,
                key_hint=self.http.key_hint,
            )
            try:
                data, _ = other.json("GET", "/models/pricing", params={"endpoint_id": endpoint})
            finally:
                other.close()
        else:
            data, _ = self.http.json("GET", url, params={"endpoint_id": endpoint})
        prices = data.get("prices")
        return [p for p in prices if isinstance(p, dict)] if isinstance(prices, list) else []
