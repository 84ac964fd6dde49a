"""A ledger that cannot be misread: a line no reader can use (an absurd amount, brackets nested
100,000 deep, a ``downloaded`` record of the wrong types) is skipped and reported like any
corrupt line, never fatal; duplicated lines are not counted twice; a paid provider's reported
cost of 0 (or far below the estimate) is recorded with a warning and the estimate charged."""

from __future__ import annotations

import json
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from video_gen.cli import app
from video_gen.exit_codes import ExitCode
from video_gen.ledger import BudgetLimits, Ledger, LedgerBackend, open_ledger
from video_gen.types import Estimate, GenerationRequest

runner = CliRunner()
NOW = datetime.now(timezone.utc)
LIMITS = BudgetLimits(monthly_usd=50.0)


def run(*args: str) -> Any:
    return runner.invoke(app, list(args))


def reserve(ledger: LedgerBackend, usd: float = 0.4) -> str:
    r = ledger.reserve(
        GenerationRequest(prompt="a paper boat", model="sora-2", seconds=4, size="720x1280"),
        Estimate(usd, round(usd / 4, 6), "test prices"),
        LIMITS,
        provider_kind="openai-videos",
        command="generate",
    )
    return str(r.local_id)


def done_job(ledger: LedgerBackend, usd: float = 0.4, actual: float | None = None) -> str:
    local_id = reserve(ledger, usd)
    ledger.submitted(local_id, f"video_{local_id}", "queued")
    ledger.completed(local_id, actual)
    return local_id


def _ts() -> str:
    return NOW.strftime("%Y-%m-%dT%H:%M:%S.000Z")


def bad_lines(local_id: str) -> dict[str, str]:
    head = f'{{"v":1,"ts":"{_ts()}","id":"{local_id}",'
    return {
        "actual 1e308": head + '"kind":"completed","actual_usd":1e308}',
        "charged 1e308": head + '"kind":"completed","charged_usd":1e308}',
        "estimate 1e308": head.replace(local_id, "j0000000000zzzz")
        + '"kind":"reserved","provider":"openai","model":"sora-2","estimate_usd":1e308}',
        "nested": "[" * 100_000 + "]" * 100_000,
        "downloaded types": head
        + '"kind":"downloaded","variant":5,"path":[1],"sha256":{},"bytes":"x"}',
        "downloaded bytes": head
        + '"kind":"downloaded","variant":"video","path":"/x.mp4","sha256":"ab","bytes":-4}',
        "submitted id": head + '"kind":"submitted","remote_id":{"a":1},"status":"queued"}',
    }


@pytest.mark.parametrize("case", list(bad_lines("j")))
def test_a_line_no_reader_can_use_is_skipped_and_reported_never_fatal(
    emulator: Any, case: str
) -> None:
    ledger = Ledger()
    open_id = reserve(ledger, 0.4)  # in flight: the bad final line must not end it
    ledger.submitted(open_id, "video_open", "queued")
    with ledger.path.open("ab") as fh:
        fh.write(bad_lines(open_id)[case].encode() + b"\n")
    for args in (["history"], ["budget", "--json"], ["history", "show", open_id]):
        res = run(*args)
        assert res.exit_code == 0, (args, res.stderr)
        assert "unexpected" not in res.stderr
    assert "line 3" in run("budget").stderr  # reported with its line number
    month = Ledger().month(limits=LIMITS)
    assert month.reserved_usd == pytest.approx(0.4) and month.spent_usd == 0
    # and a paid command still works after it
    res = run("generate", "a boat", "--provider", "emulator", "-o", "out", "-q")
    assert res.exit_code == 0, res.stderr


@pytest.mark.jsonl_only
def test_a_whole_ledger_duplicated_is_counted_once(emulator: Any) -> None:
    ledger = Ledger()
    first = done_job(ledger, 0.4)
    second = reserve(ledger, 0.8)
    ledger.submitted(second, "video_b", "queued")
    text = ledger.path.read_bytes()
    ledger.path.write_bytes(text + text)  # a file concatenated with itself
    month = Ledger().month(limits=LIMITS)
    assert month.spent_usd == pytest.approx(0.4)
    assert month.reserved_usd == pytest.approx(0.8)
    listed = json.loads(run("history", "--json").stdout)
    assert sorted(j["id"] for j in listed) == sorted([first, second])
    shown = Ledger().get(first)
    assert shown.status == "completed" and len(shown.files) == 0
    assert [e["kind"] for e in shown.events].count("completed") == 1


@pytest.mark.jsonl_only
def test_a_single_final_line_duplicated_is_counted_once(emulator: Any) -> None:
    ledger = Ledger()
    local_id = done_job(ledger, 0.4)
    lines = ledger.path.read_bytes().splitlines(keepends=True)
    reserved = next(line for line in lines if b'"reserved"' in line)
    ledger.path.write_bytes(b"".join(lines) + reserved + lines[-1])
    month = Ledger().month(limits=LIMITS)
    assert month.spent_usd == pytest.approx(0.4) and month.reserved_usd == 0
    assert Ledger().get(local_id).charged_usd == pytest.approx(0.4)


# -- what a server reports ------------------------------------------------------------------------
def test_a_server_reporting_1e308_is_recorded_as_unbelievable_and_the_estimate_charged(
    backend: str,
) -> None:
    ledger = open_ledger()
    local_id = done_job(ledger, 0.4, actual=1e308)
    again = open_ledger()
    assert again.get(local_id).charged_usd == pytest.approx(0.4)
    assert again.month(limits=LIMITS).spent_usd == pytest.approx(0.4)
    assert run("budget").exit_code == 0 and run("history").exit_code == 0


@pytest.mark.parametrize("reported", [0.0, 0.01])
def test_a_paid_providers_implausibly_low_cost_keeps_the_estimate_with_a_warning(
    backend: str, reported: float
) -> None:
    ledger = open_ledger()
    local_id = done_job(ledger, 0.4, actual=reported)
    job = open_ledger().get(local_id)
    assert job.charged_usd == pytest.approx(0.4)
    assert open_ledger().month(limits=LIMITS).spent_usd == pytest.approx(0.4)
    final = next(e for e in job.events if e["kind"] == "completed")
    assert final["actual_usd"] == reported  # what the server said is kept
    assert "reported a cost of" in final["warning"] and "free = true" in final["warning"]


def test_a_plausible_lower_cost_is_believed(backend: str) -> None:
    ledger = open_ledger()
    local_id = done_job(ledger, 0.4, actual=0.35)
    assert open_ledger().get(local_id).charged_usd == pytest.approx(0.35)


def test_a_free_providers_zero_is_believed(backend: str) -> None:
    ledger = open_ledger()
    local_id = reserve(ledger, 0.4)
    ledger.submitted(local_id, "video_free", "queued")
    ledger.completed(local_id, 0.0, free=True)
    assert open_ledger().get(local_id).charged_usd == 0
    assert open_ledger().month(limits=LIMITS).spent_usd == 0


def test_the_emulator_is_free_and_a_declared_free_provider_too(
    isolated_home: Path,
) -> None:
    from video_gen.config import Config
    from video_gen.jobs import _is_free
    from video_gen.providers import open_provider, spec_for

    (isolated_home).mkdir(parents=True, exist_ok=True)
    (isolated_home / "config.toml").write_text(
        '[providers.gpu]\nkind = "openai-videos"\nbase_url = "http://127.0.0.1:9/v1"\n'
        'api_key = "none"\nfree = true\n'
        '[providers.paid]\nkind = "openai-videos"\nbase_url = "http://127.0.0.1:9/v1"\n'
        'api_key = "none"\n'
    )
    from video_gen.client.transport import Transport

    def connect(base_url: str, **kw: Any) -> Any:
        return Transport(base_url, **kw)

    config = Config.load()
    assert _is_free(open_provider(spec_for(config, "gpu"), connect))
    assert not _is_free(open_provider(spec_for(config, "paid"), connect))
    emu = open_provider(spec_for(config, "emulator"), connect)
    try:
        assert _is_free(emu)
    finally:
        emu.close()


# -- end to end: OpenRouter's usage.cost -----------------------------------------------------------
@pytest.fixture
def openrouter(isolated_home: Path, monkeypatch: pytest.MonkeyPatch) -> Any:
    from video_gen.emulator import EmulatorServer

    monkeypatch.setenv("OR_TEST_KEY", "sk" + "-or-test-0000000000000000")
    with EmulatorServer(job_seconds=0.3, profile="openrouter") as srv:
        yield srv


def _or_config(home: Path, srv: Any, extra: str = "") -> None:
    home.mkdir(parents=True, exist_ok=True)
    (home / "config.toml").write_text(
        f'[providers.or]\nkind = "openrouter"\nbase_url = "{srv.base_url}"\n'
        f'api_key_env = "OR_TEST_KEY"\nmodel = "google/veo-3.1-fast"\n{extra}'
    )


@pytest.mark.parametrize(("reported", "shown"), [(0.0, "0.00"), (1e308, None)])
def test_openrouter_reporting_zero_or_1e308_charges_the_estimate(
    openrouter: Any,
    isolated_home: Path,
    monkeypatch: pytest.MonkeyPatch,
    reported: float,
    shown: str | None,
) -> None:
    from video_gen.emulator import openrouter_api

    monkeypatch.setattr(openrouter_api, "sku_price", lambda *a, **k: reported / 4)
    _or_config(isolated_home, openrouter)
    res = run("generate", "a boat", "--provider", "or", "--seconds", "4", "-o", "out", "--json")
    assert res.exit_code == 0, res.stderr
    data = json.loads(res.stdout)
    job = Ledger().get(data["local_id"])
    assert job.charged_usd == pytest.approx(data["estimate_usd"]) and job.charged_usd > 0
    if shown is not None:
        assert f"reported a cost of {shown} USD" in res.stderr
    assert run("budget").exit_code == 0 and run("history").exit_code == 0


def test_a_provider_declared_free_is_believed(
    openrouter: Any, isolated_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from video_gen.emulator import openrouter_api

    monkeypatch.setattr(openrouter_api, "sku_price", lambda *a, **k: 0.0)
    _or_config(isolated_home, openrouter, "free = true\n")
    res = run("generate", "a boat", "--provider", "or", "--seconds", "4", "-o", "out", "--json")
    assert res.exit_code == 0, res.stderr
    assert Ledger().get(json.loads(res.stdout)["local_id"]).charged_usd == 0
    assert "reported a cost" not in res.stderr


@pytest.mark.parametrize("amount", ["nan", "inf", "1e308", "2000000"])
def test_settle_refuses_an_amount_that_is_not_one(amount: str) -> None:
    ledger = Ledger()
    local_id = reserve(ledger, 0.4)
    res = run("settle", local_id, "--charged", "--amount", amount)
    assert res.exit_code == ExitCode.USAGE, res.stderr
    assert "--amount" in res.stderr and "unexpected" not in res.stderr
    assert Ledger().get(local_id).charged_usd is None  # still open, nothing recorded


@pytest.mark.jsonl_only
def test_a_reserved_line_copied_below_the_jobs_end_does_not_reopen_it_in_history(
    emulator: Any,
) -> None:
    ledger = Ledger()
    local_id = done_job(ledger, 0.4)
    lines = ledger.path.read_bytes().splitlines(keepends=True)
    reserved = next(line for line in lines if b'"reserved"' in line)
    ledger.path.write_bytes(b"".join(lines) + reserved)
    listed = json.loads(run("history", "--json").stdout)
    assert [(j["id"], j["status"], j["in_flight"]) for j in listed] == [
        (local_id, "completed", False)
    ]
    assert Ledger().month(limits=LIMITS).reserved_usd == 0
