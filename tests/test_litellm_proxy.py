"""video-gen through the real LiteLLM proxy (PyPI litellm[proxy] 1.108.7) on loopback.

The proxy routes `/v1/videos` to an emulator (`openai` profile) as its OpenAI-shaped upstream,
whose counters say how many jobs were really made (what a user would be billed for). Two proxies
run for the session: one configured as docs/providers.md recommends (router `num_retries: 0`),
one with the router's defaults. `make test` runs this tier; `make test-fast` deselects it.
"""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

import pytest
import requests
from fakekeys import fake_key
from litellm_proxy import LiteLLMProxy
from typer.testing import CliRunner

from video_gen.cli import app
from video_gen.emulator import EmulatorServer
from video_gen.exit_codes import ExitCode
from video_gen.ledger import Ledger

pytestmark = [pytest.mark.litellm, pytest.mark.timeout(300)]

runner = CliRunner()
PROMPT = "a paper boat sails down a rainy street"


def use(proxy: LiteLLMProxy, home: Path, monkeypatch: pytest.MonkeyPatch, model: str = "sora-2"):
    """A `[providers.ll]` table pointing at the proxy, as a user would write it."""
    home.mkdir(parents=True, exist_ok=True)
    (home / "config.toml").write_text(
        f"""
[defaults]
provider = "ll"

[providers.ll]
kind = "openai-videos"
base_url = "{proxy.base_url}"
api_key_env = "LL_KEY"
model = "{model}"

[[prices]]
model = "{model}"
usd_per_second = 0.10
source = "the proxy's upstream (test)"
""",
        encoding="utf-8",
    )
    monkeypatch.setenv("LL_KEY", proxy.master_key)


def gen(*args: str) -> Any:
    return runner.invoke(app, ["generate", PROMPT, "--poll-interval", "0.15", *args])


# -- the everyday commands -------------------------------------------------------------------


def test_generate_status_download_through_the_proxy(
    litellm_proxy: LiteLLMProxy,
    upstream: EmulatorServer,
    isolated_home: Path,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    use(litellm_proxy, isolated_home, monkeypatch)
    res = gen("--json")
    assert res.exit_code == 0, res.stderr
    data = json.loads(res.stdout)
    job_id = data["job_id"]
    assert job_id.startswith("video_") and len(job_id) > 200  # LiteLLM's packed id
    assert Path(data["file"]).read_bytes()[4:8] == b"ftyp"
    assert upstream.stats.creates_received == 1 and upstream.stats.jobs_created == 1
    assert Ledger().get(data["local_id"]).remote_id == job_id
    st = runner.invoke(app, ["status", job_id, "--json"])
    assert st.exit_code == 0, st.stderr
    assert json.loads(st.stdout)["status"] == "completed"
    again = runner.invoke(app, ["download", data["local_id"], "-o", str(tmp_path / "again")])
    assert again.exit_code == 0, again.stderr
    assert upstream.stats.creates_received == 1


def test_remix_through_the_proxy(
    litellm_proxy: LiteLLMProxy,
    upstream: EmulatorServer,
    isolated_home: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    use(litellm_proxy, isolated_home, monkeypatch)
    first = json.loads(gen("--json").stdout)
    res = runner.invoke(
        app, ["remix", first["job_id"], "the same boat at night", "--poll-interval", "0.15"]
    )
    assert res.exit_code == 0, res.stderr
    assert upstream.stats.requests[("POST", "remix")] == 1
    assert upstream.stats.jobs_created == 2


def test_batch_through_the_proxy(
    litellm_proxy: LiteLLMProxy,
    upstream: EmulatorServer,
    isolated_home: Path,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    use(litellm_proxy, isolated_home, monkeypatch)
    (tmp_path / "prompts.txt").write_text("a red kite\na blue boat\n")
    res = runner.invoke(app, ["batch", "prompts.txt", "--seconds", "4", "--output-dir", "out"])
    assert res.exit_code == 0, res.stderr + res.stdout
    assert len(list((tmp_path / "out").glob("*.mp4"))) == 2
    assert upstream.stats.jobs_created == 2 and upstream.stats.creates_received == 2


def test_thumbnail_through_the_proxy_never_saves_an_mp4_as_webp(
    litellm_proxy: LiteLLMProxy,
    upstream: EmulatorServer,
    isolated_home: Path,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    use(litellm_proxy, isolated_home, monkeypatch)
    res = gen("--thumbnail", "--output-dir", "out")
    assert res.exit_code == 0, res.stderr
    for path in (tmp_path / "out").iterdir():
        head = path.read_bytes()[:12]
        if path.suffix == ".webp":
            assert head[:4] == b"RIFF" and head[8:12] == b"WEBP", path
        assert not (path.suffix != ".mp4" and head[4:8] == b"ftyp"), f"MP4 saved as {path.name}"
    assert len(list((tmp_path / "out").glob("*.mp4"))) == 1
    warnings = [x for x in res.stderr.splitlines() if x.startswith("warning:") and "thumbnail" in x]
    assert len(warnings) == 1 and "skipped" in warnings[0], res.stderr


def test_printed_id_is_known_to_the_ledger_when_the_proxy_restamps_it(
    litellm_proxy: LiteLLMProxy,
    upstream: EmulatorServer,
    isolated_home: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # `my-video` is an alias of the upstream model `sora-2`: LiteLLM routes polls to the
    # `sora-2` group and stamps that deployment into the id it answers.
    use(litellm_proxy, isolated_home, monkeypatch, model="my-video")
    res = gen("--json")
    assert res.exit_code == 0, res.stderr
    printed = json.loads(res.stdout)["job_id"]
    shown = runner.invoke(app, ["history", "show", printed])
    assert shown.exit_code == 0, shown.stderr
    record = Ledger().get(json.loads(res.stdout)["local_id"])
    assert record is not None


def test_the_proxy_restamps_ids_of_an_alias(
    litellm_proxy: LiteLLMProxy, upstream: EmulatorServer
) -> None:
    """What the test above guards against, shown on the wire."""
    api = requests.Session()
    api.headers["Authorization"] = f"Bearer {litellm_proxy.master_key}"
    made = api.post(
        f"{litellm_proxy.base_url}/videos", json={"prompt": "p", "model": "my-video"}, timeout=30
    ).json()
    polled = api.get(f"{litellm_proxy.base_url}/videos/{made['id']}", timeout=30).json()
    assert polled["id"] != made["id"]
    assert _packed(polled["id"])["video_id"] == _packed(made["id"])["video_id"]
    assert polled["model"] == "sora-2" and made["model"] == "my-video"


def test_providers_check_says_what_works(
    litellm_proxy: LiteLLMProxy,
    upstream: EmulatorServer,
    isolated_home: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    use(litellm_proxy, isolated_home, monkeypatch)
    res = runner.invoke(app, ["providers", "check", "ll"])
    assert res.exit_code == 0, res.stderr + res.stdout
    text = (res.stdout + res.stderr).lower()
    assert "key accepted" in text and "litellm" in text
    assert "no job list" in text or "cannot list" in text
    assert "num_retries: 0" in text
    assert upstream.stats.jobs_created == 0  # a check spends nothing


# -- money: faults ---------------------------------------------------------------------------


def test_create_500_with_num_retries_0_makes_one_job_and_exits_7(
    litellm_proxy: LiteLLMProxy,
    upstream: EmulatorServer,
    isolated_home: Path,
    monkeypatch: pytest.MonkeyPatch,
    sleeps: list[float],
) -> None:
    use(litellm_proxy, isolated_home, monkeypatch)
    upstream.faults.add("create-500", endpoint="create")
    res = gen()
    assert res.exit_code == ExitCode.UNAVAILABLE, res.stderr
    assert upstream.stats.jobs_created == 1 and upstream.stats.creates_received == 1
    assert "in doubt" in res.stderr.lower()
    [job] = Ledger().jobs()
    assert job.in_flight and Ledger().month().reserved_usd > 0  # the reservation is kept


def test_create_500_with_num_retries_0_today(
    litellm_proxy: LiteLLMProxy,
    upstream: EmulatorServer,
    isolated_home: Path,
    monkeypatch: pytest.MonkeyPatch,
    sleeps: list[float],
) -> None:
    """Measured, not required: how many upstream jobs one `generate` makes today (the double
    charge of issue 9, path 1). The list call answers 400, so the lost-create search finds
    nothing and the client posts again."""
    use(litellm_proxy, isolated_home, monkeypatch)
    upstream.faults.add("create-500", endpoint="create")
    gen()
    print(f"\nupstream jobs for one generate (num_retries 0): {upstream.stats.jobs_created}")
    assert upstream.stats.requests[("GET", "list")] == 0  # the proxy never forwards a list
    assert upstream.stats.jobs_created >= 1


def test_default_router_reposts_a_create_after_an_upstream_500(
    litellm_proxy_default: LiteLLMProxy, upstream: EmulatorServer
) -> None:
    """The proxy's own double charge (issue 9, path 2): one client POST, two upstream jobs,
    answered 200 with the second; `x-litellm-attempted-retries` tells a client it happened."""
    upstream.faults.add("create-500", endpoint="create")
    r = requests.post(
        f"{litellm_proxy_default.base_url}/videos",
        headers={"Authorization": f"Bearer {litellm_proxy_default.master_key}"},
        files={"prompt": (None, "p"), "model": (None, "sora-2"), "seconds": (None, "4")},
        timeout=60,
    )
    assert r.status_code == 200
    assert r.headers["x-litellm-attempted-retries"] == "1"
    assert r.headers["x-litellm-max-retries"] == "2"
    assert upstream.stats.creates_received == 2 and upstream.stats.jobs_created == 2
    # A failure that persists: 1 + num_retries (2) upstream jobs, then a 500 to the client.
    upstream.stats.reset()
    upstream.faults.add("create-500", count=3, endpoint="create")
    r = requests.post(
        f"{litellm_proxy_default.base_url}/videos",
        headers={"Authorization": f"Bearer {litellm_proxy_default.master_key}"},
        files={"prompt": (None, "p"), "model": (None, "sora-2"), "seconds": (None, "4")},
        timeout=60,
    )
    assert r.status_code == 500 and upstream.stats.jobs_created == 3


def test_generate_warns_when_the_proxy_itself_reposted(
    litellm_proxy_default: LiteLLMProxy,
    upstream: EmulatorServer,
    isolated_home: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    use(litellm_proxy_default, isolated_home, monkeypatch)
    upstream.faults.add("create-500", endpoint="create")
    res = gen()
    assert res.exit_code == 0, res.stderr
    assert upstream.stats.jobs_created == 2  # the proxy's doing, not video-gen's
    assert "num_retries: 0" in res.stderr


def test_bad_key_exits_3(
    litellm_proxy: LiteLLMProxy,
    upstream: EmulatorServer,
    isolated_home: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    use(litellm_proxy, isolated_home, monkeypatch)
    monkeypatch.setenv("LL_KEY", fake_key("sk-wrong"))
    res = gen()
    assert res.exit_code == ExitCode.CONFIG, res.stderr
    assert "(HTTP 400 400)" not in res.stderr
    assert upstream.stats.total_requests == 0


def test_429_renamed_retry_header_is_honoured(
    litellm_proxy: LiteLLMProxy,
    upstream: EmulatorServer,
    isolated_home: Path,
    monkeypatch: pytest.MonkeyPatch,
    sleeps: list[float],
) -> None:
    use(litellm_proxy, isolated_home, monkeypatch)
    upstream.faults.add("429", endpoint="retrieve", value=7)
    res = gen()
    assert res.exit_code == 0, res.stderr
    assert 7.0 in sleeps, sleeps
    assert upstream.stats.jobs_created == 1


# -- fidelity: the emulator's `litellm` profile answers like the real proxy -------------------


def _packed(video_id: str) -> dict[str, str]:
    text = base64.b64decode(video_id.removeprefix("video_"), validate=True).decode()
    assert text.startswith("litellm:custom_llm_provider:")
    return dict(p.split(":", 1) for p in text.removeprefix("litellm:").split(";"))


def _shape(base_url: str, key: str) -> dict[str, Any]:
    """What a client can observe of one proxy: the same requests, reduced to their shape."""
    api = requests.Session()
    api.headers["Authorization"] = f"Bearer {key}"
    out: dict[str, Any] = {}
    made = api.post(
        f"{base_url}/videos",
        files={"prompt": (None, "p"), "model": (None, "sora-2"), "seconds": (None, "4")},
        timeout=30,
    )
    body = made.json()
    out["create_status"] = made.status_code
    out["id_fields"] = sorted(_packed(body["id"]))
    out["id_padded"] = len(body["id"].removeprefix("video_")) % 4 == 0
    out["job_keys"] = sorted(body)
    out["usage"] = body["usage"]
    out["litellm_headers"] = sorted(
        h for h in made.headers if h.lower().startswith("x-litellm-") and "cost" not in h
    )
    out["x_request_id"] = "x-request-id" in made.headers
    lst = api.get(f"{base_url}/videos?limit=1", timeout=30)
    out["list"] = (lst.status_code, lst.json())
    bad = api.post(
        f"{base_url}/videos",
        files={"prompt": (None, "p"), "model": (None, "sora-2"), "seconds": (None, "5")},
        timeout=30,
    )
    err = bad.json()["error"]
    out["error"] = (bad.status_code, sorted(err), err["type"], err["param"], err["code"])
    out["error_head"] = err["message"].split(" - ", 1)[0]
    out["error_tail"] = err["message"].rsplit("\n\n", 1)[1]
    out["error_inner"] = json.loads(err["message"].split(" - ", 1)[1].rsplit("\n\n", 1)[0])
    deleted = api.delete(f"{base_url}/videos/{body['id']}", timeout=30)
    out["delete"] = (deleted.status_code, deleted.json(), deleted.headers.get("allow"))
    wrong = requests.get(
        f"{base_url}/videos/{body['id']}",
        headers={"Authorization": "Bearer sk-not-the-key"},
        timeout=30,
    )
    out["wrong_key"] = (wrong.status_code, wrong.json())
    return out


def test_emulator_litellm_profile_matches_the_real_proxy(
    litellm_proxy: LiteLLMProxy, upstream: EmulatorServer
) -> None:
    real = _shape(litellm_proxy.base_url, litellm_proxy.master_key)
    with EmulatorServer(job_seconds=0.6, profile="litellm", require_key="k-right") as emu:
        played = _shape(emu.base_url, "k-right")
    for name in real:
        if name == "error_inner":
            continue
        assert played[name] == real[name], name
    # The wrapped upstream body is the emulator's own error in both cases.
    assert played["error_inner"]["error"]["param"] == real["error_inner"]["error"]["param"]


def test_emulator_litellm_profile_matches_on_429_and_content(
    litellm_proxy: LiteLLMProxy, upstream: EmulatorServer
) -> None:
    def probe(base_url: str, key: str, emu: EmulatorServer) -> dict[str, Any]:
        api = requests.Session()
        api.headers["Authorization"] = f"Bearer {key}"
        vid = api.post(
            f"{base_url}/videos", json={"prompt": "p", "model": "sora-2"}, timeout=30
        ).json()["id"]
        emu.faults.add("429", endpoint="retrieve", value=2)
        limited = api.get(f"{base_url}/videos/{vid}", timeout=30)
        import time

        time.sleep(0.8)
        thumb = api.get(f"{base_url}/videos/{vid}/content?variant=thumbnail", timeout=30)
        return {
            "429": limited.status_code,
            "retry": (
                limited.headers.get("llm_provider-retry-after"),
                limited.headers.get("retry-after"),
            ),
            "type": limited.json()["error"]["type"],
            "thumb": (thumb.status_code, thumb.headers["content-type"], thumb.content[4:8]),
            "disposition": thumb.headers.get("content-disposition")
            == (f"attachment; filename=video_{vid}.mp4"),
        }

    real = probe(litellm_proxy.base_url, litellm_proxy.master_key, upstream)
    with EmulatorServer(job_seconds=0.6, profile="litellm") as emu:
        played = probe(emu.base_url, "any", emu)
    assert played == real
