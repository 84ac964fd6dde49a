"""The emulator over raw HTTP: faults, Range, padding, profiles, parsing and counters."""

from __future__ import annotations

import base64
import http.client
import io
import json
import socket
import struct
import subprocess
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import requests
from fakekeys import fake_key
from PIL import Image

from video_gen.emulator import EmulatorServer, FaultPlan
from video_gen.emulator.content import asset_bytes, make_body, parse_range
from video_gen.emulator.faults import ACCEPTED, ARRIVAL, JOB, SENDING

RIGHT = fake_key("emulator", "abcdefghijklmnopqrstuvwxyz")
KEY = {"Authorization": "Bearer test-key"}


class Clock:
    """A hand-driven monotonic clock: job life cycles without sleeping."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def srv() -> Iterator[EmulatorServer]:
    with EmulatorServer(job_seconds=10, queue_seconds=1) as server:
        yield server


@pytest.fixture
def clock(srv: EmulatorServer) -> Clock:
    c = Clock()
    srv.jobs.clock = c
    return c


@pytest.fixture
def api() -> Iterator[requests.Session]:
    with requests.Session() as s:
        s.headers.update(KEY)
        yield s


def create(api: requests.Session, srv: EmulatorServer, **fields: Any) -> requests.Response:
    return api.post(f"{srv.base_url}/videos", json={"prompt": "a cat", **fields}, timeout=10)


def finish(srv: EmulatorServer, clock: Clock) -> None:
    clock.now += srv.job_seconds + 1


def raw_request(srv: EmulatorServer, method: str, path: str, **kw: Any) -> http.client.HTTPResponse:
    u = urlsplit(srv.base_url)
    conn = http.client.HTTPConnection(u.hostname or "", u.port, timeout=10)
    conn.request(method, u.path + path, headers={**KEY, **kw.pop("headers", {})}, **kw)
    return conn.getresponse()


def error_of(response: requests.Response) -> dict[str, Any]:
    body = response.json()
    assert set(body) == {"error"}
    assert set(body["error"]) == {"message", "type", "param", "code"}
    return dict(body["error"])


# -- job life cycle ------------------------------------------------------------------------------


def test_life_cycle_follows_the_clock(srv: EmulatorServer, clock: Clock, api: requests.Session):
    job = create(api, srv).json()
    assert (job["status"], job["progress"]) == ("queued", 0)
    url = f"{srv.base_url}/videos/{job['id']}"
    clock.now += 1.0 + 4.5  # queue of 1 s, then 4.5 of a 9 s run
    mid = api.get(url).json()
    assert (mid["status"], mid["progress"]) == ("in_progress", 50)
    assert mid["completed_at"] is None and mid["expires_at"] is None
    clock.now += 4.6
    done = api.get(url).json()
    assert (done["status"], done["progress"]) == ("completed", 100)
    assert done["expires_at"] == done["completed_at"] + 3600
    assert done["completed_at"] == done["created_at"] + 10


def test_queue_defaults_to_a_tenth_of_the_job(api: requests.Session) -> None:
    with EmulatorServer(job_seconds=20) as srv:
        c = Clock()
        srv.jobs.clock = c
        job = create(api, srv).json()
        c.now += 1.9
        assert api.get(f"{srv.base_url}/videos/{job['id']}").json()["status"] == "queued"
        c.now += 0.2
        assert api.get(f"{srv.base_url}/videos/{job['id']}").json()["status"] == "in_progress"


def test_job_seconds_zero_completes_at_once(api: requests.Session) -> None:
    with EmulatorServer(job_seconds=0) as srv:
        assert create(api, srv).json()["status"] == "completed"


# -- validation ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fields", "param", "code"),
    [
        ({"seconds": 4}, "seconds", "invalid_type"),  # OpenAI refuses an integer
        ({"seconds": "6"}, "seconds", "invalid_value"),
        ({"size": "1920x1080"}, "size", "invalid_value"),
        ({"model": "sora-1"}, "model", "invalid_value"),
        ({"prompt": None}, "prompt", "missing_required_parameter"),
        ({"prompt": 3}, "prompt", "invalid_type"),
        ({"quality": "high"}, "quality", "unknown_parameter"),
    ],
)
def test_json_create_validation(
    srv: EmulatorServer, api: requests.Session, fields: dict[str, Any], param: str, code: str
) -> None:
    body = {"prompt": "p", **fields}
    if fields.get("prompt", "") is None:
        del body["prompt"]
    r = api.post(f"{srv.base_url}/videos", json=body)
    assert r.status_code == 400
    err = error_of(r)
    assert (err["param"], err["code"], err["type"]) == (param, code, "invalid_request_error")
    assert srv.stats.jobs_created == 0


def test_json_create_with_string_seconds_and_defaults(srv: EmulatorServer, api: requests.Session):
    job = create(api, srv, seconds="12", size="1280x720").json()
    assert (job["seconds"], job["size"], job["model"]) == ("12", "1280x720", "sora-2")
    plain = create(api, srv).json()
    assert (plain["seconds"], plain["size"]) == ("4", "720x1280")


def test_multipart_create_with_reference_file(srv: EmulatorServer, api: requests.Session):
    buf = io.BytesIO()
    Image.new("RGB", (1280, 720)).save(buf, "JPEG")
    files = {"input_reference": ("ref.jpg", buf.getvalue(), "image/jpeg")}
    data = {"prompt": "p", "size": "1280x720", "seconds": "8"}
    r = api.post(f"{srv.base_url}/videos", data=data, files=files)
    assert r.status_code == 200, r.text
    assert srv.jobs.get(r.json()["id"]).has_reference  # type: ignore[union-attr]
    r = api.post(f"{srv.base_url}/videos", data={**data, "size": "720x1280"}, files=files)
    assert error_of(r)["message"] == "Inpaint image must match the requested width and height"


def test_reference_as_data_url_object(srv: EmulatorServer, api: requests.Session) -> None:
    buf = io.BytesIO()
    Image.new("RGB", (720, 1280)).save(buf, "PNG")
    url = "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode()
    assert create(api, srv, input_reference={"image_url": url}).status_code == 200
    r = create(api, srv, input_reference={"image_url": "https://example.com/a.png"})
    assert error_of(r)["param"] == "input_reference"


def test_urlencoded_and_chunked_bodies(srv: EmulatorServer) -> None:
    r = requests.post(f"{srv.base_url}/videos", data={"prompt": "p"}, headers=KEY)
    assert r.status_code == 200
    body = iter([b'{"prompt": ', b'"chunked"}'])  # a generator makes requests send chunks
    r = requests.post(
        f"{srv.base_url}/videos", data=body, headers={**KEY, "Content-Type": "application/json"}
    )
    assert r.status_code == 200 and r.json()["prompt"] == "chunked"


def test_bad_json_is_a_400(srv: EmulatorServer, api: requests.Session) -> None:
    r = api.post(
        f"{srv.base_url}/videos", data=b"{nope", headers={"Content-Type": "application/json"}
    )
    assert r.status_code == 400 and "JSON" in error_of(r)["message"]


# -- auth, request ids, routes -------------------------------------------------------------------


def test_auth_missing_and_wrong_key() -> None:
    with EmulatorServer(job_seconds=1, require_key=RIGHT) as srv:
        r = requests.get(f"{srv.base_url}/videos")
        assert r.status_code == 401 and error_of(r)["code"] == "invalid_api_key"
        assert "didn't provide an API key" in error_of(r)["message"]
        r = requests.get(f"{srv.base_url}/videos", headers={"Authorization": "Bearer sk-abXXXXyz"})
        assert r.status_code == 401
        assert "sk-abXXXXyz" not in r.text and "***" in r.text
        r = requests.get(
            f"{srv.base_url}/videos",
            headers={"Authorization": f"Bearer {RIGHT}"},
        )
        assert r.status_code == 200


def test_any_non_empty_key_is_accepted_by_default(srv: EmulatorServer) -> None:
    r = requests.get(f"{srv.base_url}/videos", headers={"Authorization": "Bearer x"})
    assert r.status_code == 200
    assert (
        requests.get(f"{srv.base_url}/videos", headers={"Authorization": "Bearer "}).status_code
        == 401
    )


def test_every_response_has_a_request_id(srv: EmulatorServer, api: requests.Session) -> None:
    answers = [
        api.get(f"{srv.base_url}/videos"),
        api.get(f"{srv.base_url}/videos/nope"),
        api.get(f"{srv.base_url}/nothing"),
        requests.get(f"{srv.base_url}/videos"),
        create(api, srv, seconds=4),
    ]
    ids = [a.headers["x-request-id"] for a in answers]
    assert all(i.startswith("req_") and len(i) == 36 for i in ids)
    assert len(set(ids)) == len(ids)


def test_unknown_route_and_id(srv: EmulatorServer, api: requests.Session) -> None:
    r = api.get(f"{srv.base_url}/images")
    assert r.status_code == 404 and error_of(r)["message"] == "Invalid URL (GET /v1/images)"
    r = api.put(f"{srv.base_url}/videos")
    assert r.status_code == 404
    r = api.get(f"{srv.base_url}/videos/video_123/content")
    assert r.status_code == 404 and error_of(r)["code"] == "video_not_found"


def test_keep_alive_survives_errors(srv: EmulatorServer) -> None:
    u = urlsplit(srv.base_url)
    conn = http.client.HTTPConnection(u.hostname or "", u.port, timeout=5)
    for body in (b'{"prompt": ""}', b'{"prompt": "ok"}', b"{bad", b'{"prompt": "ok"}'):
        conn.request("POST", u.path + "/videos", body=body, headers=KEY)
        resp = conn.getresponse()
        resp.read()
        assert resp.getheader("Connection") != "close"
    conn.close()
    assert srv.stats.jobs_created == 2


# -- list, delete, remix -------------------------------------------------------------------------


def test_list_limits_and_order(srv: EmulatorServer, api: requests.Session) -> None:
    ids = [create(api, srv, prompt=f"p{i}").json()["id"] for i in range(25)]
    page = api.get(f"{srv.base_url}/videos").json()
    assert page["object"] == "list" and len(page["data"]) == 20 and page["has_more"]
    assert (page["first_id"], page["last_id"]) == (ids[-1], ids[5])
    asc = api.get(f"{srv.base_url}/videos", params={"order": "asc", "limit": 100}).json()
    assert [v["id"] for v in asc["data"]] == ids and not asc["has_more"]
    empty = api.get(f"{srv.base_url}/videos", params={"limit": 0}).json()
    assert empty["data"] == [] and empty["first_id"] is None and empty["has_more"]
    for bad in ({"limit": 101}, {"limit": -1}, {"limit": "x"}, {"order": "up"}):
        assert api.get(f"{srv.base_url}/videos", params=bad).status_code == 400


def test_delete_rules(srv: EmulatorServer, clock: Clock, api: requests.Session) -> None:
    job = create(api, srv).json()
    url = f"{srv.base_url}/videos/{job['id']}"
    r = api.delete(url)
    assert r.status_code == 400  # OpenAI deletes finished videos only
    finish(srv, clock)
    assert api.delete(url).json() == {"id": job["id"], "object": "video.deleted", "deleted": True}
    assert api.get(url).status_code == 404
    assert api.delete(url).status_code == 404
    assert job["id"] not in srv.jobs


def test_remix_keeps_parameters(srv: EmulatorServer, clock: Clock, api: requests.Session) -> None:
    src = create(api, srv, seconds="8", size="1280x720").json()
    remix_url = f"{srv.base_url}/videos/{src['id']}/remix"
    assert api.post(remix_url, json={"prompt": "again"}).status_code == 400
    finish(srv, clock)
    r = api.post(remix_url, json={"prompt": "again"})
    assert r.status_code == 200
    remix = r.json()
    assert remix["remixed_from_video_id"] == src["id"]
    assert (remix["seconds"], remix["size"], remix["status"]) == ("8", "1280x720", "queued")
    assert error_of(api.post(remix_url, json={}))["param"] == "prompt"
    assert api.post(f"{srv.base_url}/videos/nope/remix", json={"prompt": "x"}).status_code == 404
    assert srv.stats.requests[("POST", "remix")] == 4


# -- content, Range, padding ---------------------------------------------------------------------


@pytest.fixture
def done_id(srv: EmulatorServer, clock: Clock, api: requests.Session) -> str:
    job_id = str(create(api, srv).json()["id"])
    finish(srv, clock)
    return job_id


@pytest.mark.parametrize(
    ("variant", "ctype"),
    [("video", "video/mp4"), ("thumbnail", "image/webp"), ("spritesheet", "image/jpeg")],
)
def test_content_types(
    srv: EmulatorServer, api: requests.Session, done_id: str, variant: str, ctype: str
) -> None:
    r = api.get(f"{srv.base_url}/videos/{done_id}/content", params={"variant": variant})
    assert r.status_code == 200
    assert r.headers["Content-Type"] == ctype
    assert int(r.headers["Content-Length"]) == len(r.content)
    magic = {"video": (4, b"ftyp"), "thumbnail": (8, b"WEBP"), "spritesheet": (0, b"\xff\xd8")}
    at, expected = magic[variant]
    assert r.content[at : at + len(expected)] == expected
    # the same bytes again: a resumed download must continue the very same file
    assert api.get(r.url).content == r.content


def test_content_bad_variant_and_not_ready(
    srv: EmulatorServer, api: requests.Session, done_id: str
) -> None:
    r = api.get(f"{srv.base_url}/videos/{done_id}/content", params={"variant": "gif"})
    assert r.status_code == 400 and error_of(r)["param"] == "variant"
    fresh = create(api, srv).json()["id"]
    r = api.get(f"{srv.base_url}/videos/{fresh}/content")
    assert r.status_code == 404 and error_of(r)["message"].startswith("Video is not ready yet")


def test_range_requests(srv: EmulatorServer, api: requests.Session, done_id: str) -> None:
    url = f"{srv.base_url}/videos/{done_id}/content"
    full = api.get(url).content
    n = len(full)
    r = api.get(url, headers={"Range": "bytes=0-9"})
    assert r.status_code == 206 and r.content == full[:10]
    assert r.headers["Content-Range"] == f"bytes 0-9/{n}"
    assert r.headers["Content-Length"] == "10"
    r = api.get(url, headers={"Range": "bytes=100-"})
    assert r.status_code == 206 and r.content == full[100:]
    r = api.get(url, headers={"Range": "bytes=-4"})
    assert r.status_code == 206 and r.content == full[-4:]
    r = api.get(url, headers={"Range": f"bytes=10-{n + 50}"})
    assert r.status_code == 206 and r.content == full[10:]
    r = api.get(url, headers={"Range": f"bytes={n}-"})
    assert r.status_code == 416 and r.headers["Content-Range"] == f"bytes */{n}"
    r = api.get(url, headers={"Range": "bytes=0-1,5-6"})  # multi-range: ignored, whole body
    assert r.status_code == 200 and r.content == full


def test_parse_range_table() -> None:
    assert parse_range(None, 100) is None
    assert parse_range("bytes=0-0", 100) == (0, 1)
    assert parse_range("bytes=99-", 100) == (99, 100)
    assert parse_range("bytes=-200", 100) == (0, 100)
    assert parse_range("bytes=5-2", 100) is None
    assert parse_range("items=0-5", 100) is None


def test_head_on_content(srv: EmulatorServer, done_id: str) -> None:
    r = requests.head(f"{srv.base_url}/videos/{done_id}/content", headers=KEY)
    assert r.status_code == 200 and r.content == b""
    full = requests.get(f"{srv.base_url}/videos/{done_id}/content", headers=KEY).content
    assert int(r.headers["Content-Length"]) == len(full)


def boxes(data: bytes) -> list[tuple[bytes, int]]:
    out, pos = [], 0
    while pos < len(data):
        size, kind = struct.unpack(">I4s", data[pos : pos + 8])
        if size == 1:
            size = struct.unpack(">Q", data[pos + 8 : pos + 16])[0]
        assert size >= 8
        out.append((kind, size))
        pos += size
    assert pos == len(data)
    return out


def test_video_bytes_pads_with_a_free_box(api: requests.Session) -> None:
    total = 3 * 1024 * 1024 + 17
    with EmulatorServer(job_seconds=0, video_bytes=total) as srv:
        job = create(api, srv).json()
        r = api.get(f"{srv.base_url}/videos/{job['id']}/content")
        assert r.status_code == 200 and len(r.content) == total
        assert r.headers["Content-Length"] == str(total)
        found = boxes(r.content)
        assert found[0][0] == b"ftyp" and found[-1][0] == b"free"
        assert [k for k, _ in found[:-1]] == [k for k, _ in boxes(asset_bytes("video"))]
        tail = api.get(
            f"{srv.base_url}/videos/{job['id']}/content", headers={"Range": f"bytes={total - 5}-"}
        )
        assert tail.content == b"\0" * 5
        thumb = api.get(f"{srv.base_url}/videos/{job['id']}/content?variant=thumbnail")
        assert len(thumb.content) == len(asset_bytes("thumbnail"))  # only the MP4 grows


def test_padded_video_still_plays(tmp_path: Path) -> None:
    """A real decoder (FFmpeg through PyAV) reads the padded MP4 and decodes its frames."""
    import av

    path = tmp_path / "padded.mp4"
    path.write_bytes(make_body("video", 2_000_000).read_all())
    with av.open(str(path)) as container:
        assert container.duration is not None and container.duration / 1_000_000 > 1.0
        frames = sum(1 for _ in container.decode(video=0))
    assert frames > 10


def test_large_padding_uses_a_64_bit_box() -> None:
    body = make_body("video", 5 * 2**32)
    head = len(asset_bytes("video"))
    header = b"".join(bytes(c) for c in body.iter_range(head, head + 16))
    assert header[:8] == struct.pack(">I4s", 1, b"free")
    assert struct.unpack(">Q", header[8:])[0] == 5 * 2**32 - head


def test_streaming_never_builds_the_body() -> None:
    body = make_body("video", 200 * 2**20)
    chunks = body.iter_range(0, body.size)
    sizes = [len(c) for c in chunks]
    assert sum(sizes) == 200 * 2**20 and max(sizes) <= 2**20


def test_impossible_video_bytes_is_refused() -> None:
    n = len(asset_bytes("video"))
    with pytest.raises(ValueError, match="video_bytes"):
        EmulatorServer(video_bytes=n + 3)
    make_body("video", n)  # exactly the sample: no padding needed


# -- faults --------------------------------------------------------------------------------------


def test_fault_plan_parsing() -> None:
    plan = FaultPlan("5xx@create=2, 429 ,drop@retrieve,retry-after=3,slow-seconds=0.5,fail=3")
    assert [f.spec() for f in plan.pending()] == ["5xx@create=2", "429", "drop@retrieve", "fail=3"]
    assert (plan.retry_after, plan.slow_seconds) == (3.0, 0.5)
    assert str(FaultPlan(str(plan))) == str(plan)
    assert not FaultPlan("") and not FaultPlan(" , ")


@pytest.mark.parametrize(
    ("spec", "needle"),
    [
        ("boom", "unknown kind 'boom'"),
        ("5xx@upload", "unknown endpoint 'upload'"),
        ("5xx=0", "COUNT must be a positive integer"),
        ("5xx=two", "COUNT must be a positive integer"),
        ("truncate@create", "truncate cannot act on create"),
        ("fail@list", "fail cannot act on list"),
        ("retry-after=soon", "SECONDS must be a number"),
        ("retry-after", "write retry-after=SECONDS"),
        ("5xx@create@list", "expected KIND[@ENDPOINT][=COUNT]"),
    ],
)
def test_fault_plan_errors(spec: str, needle: str) -> None:
    with pytest.raises(ValueError) as err:
        FaultPlan(f"429,{spec}")
    message = str(err.value)
    assert needle in message and spec in message and "\n" not in message
    if "kind" in needle or "KIND" in needle:
        assert "moderation-job" in message  # names the valid kinds


def test_fault_plan_take_order_and_phases() -> None:
    plan = FaultPlan("slow@list,5xx,truncate,create-500,fail")
    assert plan.take(ARRIVAL, "create").kind == "5xx"  # type: ignore[union-attr]
    assert plan.take(ARRIVAL, "create") is None  # slow is for list only; 5xx is used up
    assert plan.take(ARRIVAL, "list").kind == "slow"  # type: ignore[union-attr]
    assert plan.take(SENDING, "retrieve") is None
    assert plan.take(SENDING, "content").kind == "truncate"  # type: ignore[union-attr]
    assert plan.take(ACCEPTED, "remix").kind == "create-500"  # type: ignore[union-attr]
    assert plan.take(JOB, "create").kind == "fail"  # type: ignore[union-attr]
    assert not plan
    assert plan.fired() == {"5xx": 1, "slow": 1, "truncate": 1, "create-500": 1, "fail": 1}
    with pytest.raises(ValueError):
        plan.add("nope")


def test_5xx_cycles_with_openai_bodies(srv: EmulatorServer, api: requests.Session) -> None:
    srv.faults.add("5xx", count=4, endpoint="list")
    statuses = [api.get(f"{srv.base_url}/videos").status_code for _ in range(5)]
    assert statuses == [500, 502, 503, 500, 200]
    srv.faults.add("5xx", endpoint="list", value=504)
    r = api.get(f"{srv.base_url}/videos")
    assert r.status_code == 504 and error_of(r)["type"] == "server_error"
    assert r.headers["x-request-id"].startswith("req_")


def test_429_headers(api: requests.Session) -> None:
    with EmulatorServer(job_seconds=1, faults="429@create=2,retry-after=2.5") as srv:
        r = create(api, srv)
        assert r.status_code == 429
        assert (r.headers["Retry-After"], r.headers["retry-after-ms"]) == ("3", "2500")
        assert error_of(r)["code"] == "rate_limit_exceeded"
        srv.faults.add("429", value=0.2)  # a per-item value beats the plan parameter... later
        assert create(api, srv).headers["retry-after-ms"] == "2500"
        assert create(api, srv).headers["retry-after-ms"] == "200"
        assert create(api, srv).status_code == 200


def test_drop_closes_without_an_answer(srv: EmulatorServer, api: requests.Session) -> None:
    srv.faults.add("drop", endpoint="create")
    with pytest.raises(requests.ConnectionError):
        create(api, srv)
    assert srv.stats.creates_received == 1 and srv.stats.jobs_created == 0
    assert create(api, srv).status_code == 200


def test_create_drop_makes_the_job_then_hangs_up(srv: EmulatorServer, api: requests.Session):
    srv.faults.add("create-drop")
    with pytest.raises(requests.ConnectionError):
        create(api, srv, prompt="ambiguous")
    assert srv.stats.jobs_created == 1
    listed = api.get(f"{srv.base_url}/videos").json()["data"]
    assert [v["prompt"] for v in listed] == ["ambiguous"]


def test_create_500_makes_the_job_then_fails(srv: EmulatorServer, api: requests.Session):
    srv.faults.add("create-500")
    r = create(api, srv)
    assert r.status_code == 500 and error_of(r)["type"] == "server_error"
    assert srv.stats.jobs_created == 1 and len(srv.jobs) == 1


def test_create_faults_wait_for_a_valid_request(srv: EmulatorServer, api: requests.Session):
    srv.faults.add("create-500")
    assert create(api, srv, seconds="5").status_code == 400  # invalid: fault not used
    assert create(api, srv).status_code == 500


def test_slow(api: requests.Session) -> None:
    with EmulatorServer(job_seconds=1, faults="slow@list,slow-seconds=0.3") as srv:
        t0 = time.monotonic()
        assert api.get(f"{srv.base_url}/videos").status_code == 200
        assert time.monotonic() - t0 >= 0.3
        t0 = time.monotonic()
        api.get(f"{srv.base_url}/videos")
        assert time.monotonic() - t0 < 0.3


def test_truncate_sends_half_then_closes(srv: EmulatorServer, done_id: str) -> None:
    whole = raw_request(srv, "GET", f"/videos/{done_id}/content").read()
    srv.faults.add("truncate")
    resp = raw_request(srv, "GET", f"/videos/{done_id}/content")
    total = len(whole)
    assert resp.status == 200 and resp.getheader("Content-Length") == str(total)
    with pytest.raises(http.client.IncompleteRead) as err:
        resp.read()
    assert len(err.value.partial) == total // 2
    # The next download (a client's resume) is whole.
    again = raw_request(srv, "GET", f"/videos/{done_id}/content", headers={"Range": "bytes=100-"})
    assert again.status == 206 and again.read() == whole[100:]


def test_fail_and_moderation_job(srv: EmulatorServer, clock: Clock, api: requests.Session):
    srv.faults.add("fail")
    srv.faults.add("moderation-job")
    failing = create(api, srv).json()["id"]
    blocked = create(api, srv).json()["id"]
    fine = create(api, srv).json()["id"]
    clock.now += 1.5  # past the queue: moderation has looked at it
    b = api.get(f"{srv.base_url}/videos/{blocked}").json()
    assert b["status"] == "failed" and b["error"]["code"] == "moderation_blocked"
    assert api.get(f"{srv.base_url}/videos/{failing}").json()["status"] == "in_progress"
    finish(srv, clock)
    f = api.get(f"{srv.base_url}/videos/{failing}").json()
    assert f["status"] == "failed" and f["error"]["code"] == "internal_error"
    assert f["expires_at"] is None
    assert api.get(f"{srv.base_url}/videos/{fine}").json()["status"] == "completed"
    assert api.get(f"{srv.base_url}/videos/{failing}/content").status_code == 404


def test_moderation_at_create(srv: EmulatorServer, api: requests.Session) -> None:
    srv.faults.add("moderation")
    r = create(api, srv)
    assert r.status_code == 400
    err = error_of(r)
    assert err["code"] == "moderation_blocked"
    assert err["message"] == "Your request was blocked by our moderation system."
    assert srv.stats.jobs_created == 0


def test_faults_target_their_endpoint(srv: EmulatorServer, api: requests.Session) -> None:
    srv.faults.add("5xx", endpoint="retrieve")
    job = create(api, srv)
    assert job.status_code == 200
    assert api.get(f"{srv.base_url}/videos/{job.json()['id']}").status_code == 500
    assert api.get(f"{srv.base_url}/videos/{job.json()['id']}").status_code == 200


def test_faults_added_while_running_from_threads(srv: EmulatorServer) -> None:
    srv.faults.add("5xx", count=40, endpoint="list")
    codes: list[int] = []
    lock = threading.Lock()

    def worker() -> None:
        with requests.Session() as s:
            for _ in range(10):
                code = s.get(f"{srv.base_url}/videos", headers=KEY).status_code
                with lock:
                    codes.append(code)

    threads = [threading.Thread(target=worker) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sum(c >= 500 for c in codes) == 40 and codes.count(200) == 20


# -- profiles ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("model", "duration", "cost"),
    [("alibaba/wan-2.7", 5, 0.2), ("google/veo-3.1-fast", 4, 0.4), ("google/veo-3.1", 6, 2.4)],
)
def test_openrouter_costs(api: requests.Session, model: str, duration: int, cost: float) -> None:
    with EmulatorServer(job_seconds=0, profile="openrouter") as srv:
        body = {"model": model, "prompt": "p", "duration": duration}
        job = api.post(f"{srv.base_url}/videos", json=body).json()
        done = api.get(f"{srv.base_url}/videos/{job['id']}").json()
        assert done["usage"]["cost"] == pytest.approx(cost)


def test_openrouter_errors_and_faults(api: requests.Session) -> None:
    with EmulatorServer(job_seconds=0, profile="openrouter", faults="5xx@create,fail") as srv:
        url = f"{srv.base_url}/videos"
        ok = {"model": "google/veo-3.1", "prompt": "p"}
        r = api.post(url, json=ok)
        assert r.status_code == 500 and r.json() == {
            "error": {"code": 500, "message": r.json()["error"]["message"]}
        }
        failed = api.post(url, json=ok).json()
        f = api.get(f"{url}/{failed['id']}").json()
        assert f["status"] == "failed" and "internal error" in f["error"]
        for bad in (
            {**ok, "model": "nope/model"},
            {**ok, "duration": "8"},
            {**ok, "duration": 5},
            {**ok, "aspect_ratio": "4:3"},
            {"model": "google/veo-3.1"},
        ):
            r = api.post(url, json=bad)
            assert r.status_code == 400 and r.json()["error"]["code"] == 400, bad
        models = api.get(f"{url}/models").json()["data"]
        assert {m["id"] for m in models} >= {"google/veo-3.1", "alibaba/wan-2.7"}
        assert api.get(f"{url}").status_code == 404  # no list endpoint


def test_unknown_profile_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown emulator profile 'azure'"):
        EmulatorServer(profile="azure")


# -- stats and server life -----------------------------------------------------------------------


def test_stats_counters(srv: EmulatorServer, api: requests.Session) -> None:
    srv.faults.add("5xx", endpoint="create")
    create(api, srv)
    job = create(api, srv).json()
    api.get(f"{srv.base_url}/videos/{job['id']}")
    api.get(f"{srv.base_url}/nowhere")
    s = srv.stats
    assert (s.creates_received, s.jobs_created, s.total_requests) == (2, 1, 4)
    assert s.requests[("POST", "create")] == 2
    assert s.requests[("GET", "retrieve")] == 1
    assert s.requests[("GET", "unknown")] == 1
    assert s.requests[("DELETE", "delete")] == 0
    assert json.loads(json.dumps(s.snapshot()))["requests"]["POST create"] == 2
    s.reset()
    assert (s.creates_received, s.jobs_created, s.total_requests) == (0, 0, 0)


def test_stop_closes_idle_keep_alive_connections() -> None:
    srv = EmulatorServer(job_seconds=1).start()
    u = urlsplit(srv.base_url)
    sock = socket.create_connection((u.hostname or "", u.port or 0), timeout=5)
    sock.sendall(
        f"GET {u.path}/videos HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer k\r\n\r\n".encode()
    )
    data = b""
    while not data.endswith(b"}"):  # headers and body may come in separate packets
        data += sock.recv(65536)
    assert data.startswith(b"HTTP/1.1 200")
    t0 = time.monotonic()
    srv.stop()
    assert sock.recv(65536) == b""  # the server closed the idle connection
    assert time.monotonic() - t0 < 2
    sock.close()
    srv.stop()  # idempotent
    with pytest.raises(RuntimeError):
        srv.start()


def test_serve_forever_in_foreground_returns_on_stop() -> None:
    srv = EmulatorServer(job_seconds=1)
    thread = threading.Thread(target=srv.serve_forever)
    thread.start()
    assert requests.get(f"{srv.base_url}/videos", headers=KEY, timeout=5).status_code == 200
    srv.stop()
    thread.join(timeout=5)
    assert not thread.is_alive()


def test_log_callable_gets_requests_and_faults() -> None:
    lines: list[str] = []
    with EmulatorServer(job_seconds=1, faults="5xx@list", log=lines.append) as srv:
        requests.get(f"{srv.base_url}/videos", headers=KEY)
    assert any("fault 5xx" in line for line in lines)
    assert any("GET /v1/videos" in line for line in lines)


def test_emulator_core_does_not_import_cli_libraries() -> None:
    code = (
        "import sys, video_gen.emulator; "
        "bad = [m for m in ('typer', 'rich', 'click') if m in sys.modules]; "
        "sys.exit(1 if bad else 0)"
    )
    import sys

    assert subprocess.run([sys.executable, "-c", code]).returncode == 0
