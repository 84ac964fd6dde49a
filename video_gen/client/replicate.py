"""A client for Replicate's HTTP API (``https://api.replicate.com/v1``), Bearer token.

Routes and fields, read from the official ``replicate`` SDK (``model.py``, ``prediction.py``,
``account.py``, ``exceptions.py``, ``pagination.py``):

* ``POST /models/{owner}/{name}/predictions`` ``{input}`` (an official model), or
  ``POST /predictions`` ``{version, input}`` (a version id) -> 201 prediction ``{id, model,
  version, status: "starting", input, output, error, logs, metrics, created_at, started_at,
  completed_at, urls: {get, cancel}}``; statuses ``starting``, ``processing``, ``succeeded``,
  ``failed``, ``canceled``; the output of a video model is a file URL (deleted after an hour);
* ``GET /predictions/{id}``, ``POST /predictions/{id}/cancel``;
* ``GET /predictions`` -> ``{previous, next, results}``, newest first: how a lost create is found;
* ``GET /account`` (proves the token, spends nothing);
* errors as problem details ``{type, title, status, detail}``.

The SDK never retries a POST, not even a 429 (its ``RetryTransport`` retries GET/PUT/DELETE on
429/503/504): the Transport retries a create's 429 (no job was made) and looks a 5xx up.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import requests

from video_gen.client.error_bodies import error_from_response
from video_gen.client.transport import ApiClient, decode, quote
from video_gen.errors import APIError, AuthenticationError

TOKENS_URL = "https://replicate.com/account/api-tokens"


def parse_error(resp: requests.Response, *, auth_hint: str = "") -> APIError:
    err = error_from_response(resp)
    if isinstance(err, AuthenticationError):
        err.hint = (
            f"set a valid Replicate token: {auth_hint or 'export REPLICATE_API_TOKEN=...'}"
            f" (tokens: {TOKENS_URL})"
        )
    return err


class ReplicateClient(ApiClient):
    def create(self, model: str, input_: Mapping[str, Any]) -> dict[str, Any]:
        """Start a prediction of ``owner/name`` or ``owner/name:version``."""
        owner_name, _, version = model.partition(":")
        if version:
            path, body = "/predictions", {"version": version, "input": dict(input_)}
        else:
            owner, _, name = owner_name.partition("/")
            path, body = (
                f"/models/{quote(owner)}/{quote(name)}/predictions",
                {"input": dict(input_)},
            )
        return self.http.post_once(lambda: decode(self.http.send("POST", path, json=body)))

    def get(self, prediction_id: str) -> dict[str, Any]:
        data, _ = self.http.json("GET", f"/predictions/{quote(prediction_id)}")
        return data

    def cancel(self, prediction_id: str) -> dict[str, Any]:
        data, _ = self.http.json("POST", f"/predictions/{quote(prediction_id)}/cancel")
        return data

    def recent(self) -> list[dict[str, Any]]:
        """The first page of ``GET /predictions`` (newest first)."""
        data, _ = self.http.json("GET", "/predictions")
        results = data.get("results")
        return [r for r in results if isinstance(r, dict)] if isinstance(results, list) else []

    def account(self) -> dict[str, Any]:
        data, _ = self.http.json("GET", "/account")
        return data
