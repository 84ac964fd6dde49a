"""Budgets: limits checked atomically with the reservation, warnings, month summaries, and the
`video-gen budget` commands (through CliRunner). Every test runs on both ledger backends (the
JSON Lines file and PostgreSQL: ``backend`` in conftest.py) unless marked ``jsonl_only``."""

from __future__ import annotations

import csv
import io
import json
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from typer.testing import CliRunner

from video_gen import pricing
from video_gen.cli import app
from video_gen.config import Config
from video_gen.errors import BudgetError, ConfigError, UsageError
from video_gen.exit_codes import ExitCode
from video_gen.ledger import BudgetLimits, Ledger, LedgerBackend, open_ledger
from video_gen.ledger.report import COLUMNS
from video_gen.types import Estimate, GenerationRequest

NOW = datetime(2026, 11, 21, 12, 0, tzinfo=timezone.utc)

runner = CliRunner()
pytestmark = pytest.mark.usefixtures("backend")


def reserve(
    ledger: LedgerBackend,
    usd: float,
    limits: BudgetLimits,
    *,
    now: datetime = NOW,
    model: str = "sora-2",
    seconds: int = 4,
) -> tuple[str, list[str]]:
    r = ledger.reserve(
        GenerationRequest(prompt="a paper boat", model=model, seconds=seconds, size="720x1280"),
        Estimate(usd, round(usd / seconds, 6), "test prices"),
        limits,
        provider_kind="openai-videos",
        command="generate",
        now=now,
    )
    return r.local_id, r.warnings


def line_count(ledger: LedgerBackend) -> int:
    return sum(1 for _ in ledger.records())


# -- refusals ----------------------------------------------------------------------------------
def test_monthly_refusal_names_every_number_and_the_command_that_raises_the_limit() -> None:
    ledger = open_ledger()
    limits = BudgetLimits(monthly_usd=1.0)
    done, _ = reserve(ledger, 0.4, limits)
    ledger.completed(done, None)
    reserve(ledger, 0.4, limits)
    before = line_count(ledger)
    with pytest.raises(BudgetError) as info:
        reserve(ledger, 0.4, limits)
    err = info.value
    assert err.exit_code == ExitCode.BUDGET_REFUSED == 9
    assert "November 2026 to 1.20 USD" in err.message
    assert "monthly limit of 1.00 USD" in err.message
    assert "spent 0.40, reserved 0.40 by 1 job in flight, this job 0.40" in err.message
    assert err.hint == "video-gen budget set --monthly 2"
    assert line_count(ledger) == before  # a refusal writes nothing


def test_a_job_that_exactly_fills_the_limit_fits() -> None:
    ledger = open_ledger()
    limits = BudgetLimits(monthly_usd=0.8)
    reserve(ledger, 0.4, limits)
    reserve(ledger, 0.4, limits)
    with pytest.raises(BudgetError):
        reserve(ledger, 0.000001, limits)


def test_per_video_limit() -> None:
    ledger = open_ledger()
    with pytest.raises(BudgetError) as info:
        reserve(ledger, 1.2, BudgetLimits(monthly_usd=50, per_video_usd=1.0))
    assert "estimated at 1.20 USD, over the per-video limit of 1.00 USD" in info.value.message
    assert info.value.hint == "video-gen budget set --per-video 2"
    with pytest.raises(BudgetError) as info:
        reserve(ledger, 0.45, BudgetLimits(monthly_usd=50, per_video_usd=0.4))
    assert info.value.hint == "video-gen budget set --per-video 0.45"
    reserve(ledger, 1.0, BudgetLimits(monthly_usd=50, per_video_usd=1.0))


def test_daily_limit_counts_the_utc_day_of_the_reservation() -> None:
    ledger = open_ledger()
    limits = BudgetLimits(monthly_usd=50, daily_usd=1.0)
    reserve(ledger, 0.8, limits, now=NOW - timedelta(days=1))
    reserve(ledger, 0.8, limits)
    with pytest.raises(BudgetError) as info:
        reserve(ledger, 0.4, limits)
    assert "2026-11-21 (UTC) to 1.20 USD, over the daily limit of 1.00 USD" in info.value.message
    assert info.value.hint == "video-gen budget set --daily 2"
    reserve(ledger, 0.4, limits, now=NOW.replace(hour=23, minute=59) + timedelta(minutes=1))


def test_months_are_utc_months() -> None:
    ledger = open_ledger()
    limits = BudgetLimits(monthly_usd=1.0)
    # 00:30 on 1 November in UTC+2 is still 31 October in UTC.
    plus_two = timezone(timedelta(hours=2))
    reserve(ledger, 1.0, limits, now=datetime(2026, 11, 1, 0, 30, tzinfo=plus_two))
    reserve(ledger, 1.0, limits, now=datetime(2026, 11, 1, 0, 0, tzinfo=timezone.utc))
    with pytest.raises(BudgetError, match="October 2026"):
        reserve(ledger, 0.1, limits, now=datetime(2026, 10, 31, 23, 59, tzinfo=timezone.utc))
    assert ledger.month("2026-10", limits=limits, now=NOW).reserved_usd == 1.0
    assert ledger.month("2026-11", limits=limits, now=NOW).reserved_usd == 1.0


def test_failure_and_release_give_the_reservation_back() -> None:
    ledger = open_ledger()
    limits = BudgetLimits(monthly_usd=0.8)
    a, _ = reserve(ledger, 0.4, limits)
    b, _ = reserve(ledger, 0.4, limits)
    with pytest.raises(BudgetError):
        reserve(ledger, 0.4, limits)
    ledger.failed(a, "failed", "server_error", "boom")
    c, _ = reserve(ledger, 0.4, limits)
    ledger.released(b, "create refused")
    reserve(ledger, 0.4, limits)
    with pytest.raises(BudgetError):
        reserve(ledger, 0.4, limits)
    ledger.completed(c, 0.1)  # the actual cost replaces the estimate
    reserve(ledger, 0.3, limits)


def test_warning_when_a_job_takes_the_month_past_the_ratio() -> None:
    ledger = open_ledger()
    limits = BudgetLimits(monthly_usd=50.0, daily_usd=100.0)
    for _ in range(4):
        _, warnings = reserve(ledger, 9.9, limits)
        assert warnings == []
    _, warnings = reserve(ledger, 1.6, limits)
    assert warnings == [
        "this job takes November 2026 past 80% of the monthly limit (41.20 of 50.00 USD)"
    ]
    _, warnings = reserve(ledger, 1.0, limits)
    assert warnings == []  # only the crossing warns


def test_daily_warning() -> None:
    ledger = open_ledger()
    _, warnings = reserve(ledger, 0.9, BudgetLimits(monthly_usd=50, daily_usd=1.0, warn_ratio=0.5))
    assert warnings == ["this job takes 2026-11-21 past 50% of the daily limit (0.90 of 1.00 USD)"]


def test_would_fit_checks_without_reserving() -> None:
    ledger = open_ledger()
    limits = BudgetLimits(monthly_usd=1.0)
    reserve(ledger, 0.8, limits)
    assert ledger.would_fit(0.2, limits, now=NOW)
    assert not ledger.would_fit(0.3, limits, now=NOW)
    assert line_count(ledger) == 1


def test_a_model_without_a_price_is_refused_with_exit_9_and_the_config_fix() -> None:
    request = GenerationRequest(prompt="x", model="mystery-1", seconds=4, size="720x1280")
    with pytest.raises(BudgetError) as info:
        pricing.estimate(request, "openai-videos", pricing.rows())
    assert info.value.exit_code == 9
    assert "no known price for model 'mystery-1'" in info.value.message
    assert info.value.hint and "video-gen config set-price mystery-1" in info.value.hint


# -- limits from the config --------------------------------------------------------------------
def test_limits_from_config_defaults_and_zero_means_none() -> None:
    assert BudgetLimits.from_config(Config.load()) == BudgetLimits(50.0, None, None, 0.8)
    config = Config.load()
    config.set("budget.monthly_usd", 120)
    config.set("budget.daily_usd", 10)
    config.set("budget.per_video_usd", 0)
    config.save()
    assert BudgetLimits.from_config(Config.load()) == BudgetLimits(120.0, 10.0, None, 0.8)


def test_negative_limits_in_the_config_are_a_config_error() -> None:
    config = Config.load()
    with pytest.raises(UsageError):  # `config set` refuses it
        config.set("budget.daily_usd", -1)
    config.save()
    config.path.write_text("[budget]\ndaily_usd = -1\n")
    with pytest.raises(ConfigError) as info:  # and a hand-edited file is refused on load
        Config.load()
    assert "budget.daily_usd" in info.value.message and "at least 0" in info.value.message
    config.path.write_text("[budget]\nwarn_ratio = 1.5\n")
    with pytest.raises(ConfigError):
        Config.load()


# -- month summaries ---------------------------------------------------------------------------
def populate() -> LedgerBackend:
    """Oct 31: 0.40 done. Nov 3: 0.40 done (actual 0.35). Nov 10: 1.20 pro done.
    Nov 15: 0.40 failed. Nov 21: 0.80 in flight."""
    ledger = open_ledger()
    limits = BudgetLimits(monthly_usd=50.0)
    day = NOW.replace(hour=9)
    plan = [
        (day.replace(month=10, day=31), 0.4, "sora-2", ("completed", None)),
        (day.replace(day=3), 0.4, "sora-2", ("completed", 0.35)),
        (day.replace(day=10), 1.2, "sora-2-pro", ("completed", None)),
        (day.replace(day=15), 0.4, "sora-2", ("failed", None)),
        (day.replace(day=21), 0.8, "sora-2", None),
    ]
    for when, usd, model, end in plan:
        local_id, _ = reserve(ledger, usd, limits, now=when, model=model)
        ledger.submitted(local_id, f"video_{local_id}", "queued")
        if end and end[0] == "completed":
            ledger.completed(local_id, end[1])
        elif end:
            ledger.failed(local_id, "failed", "x", "y")
    return ledger


def test_month_summary_numbers() -> None:
    s = populate().month("2026-11", limits=BudgetLimits(50.0, 5.0, 2.0), now=NOW)
    assert (s.spent_usd, s.reserved_usd, s.remaining_usd) == (1.55, 0.8, 47.65)
    assert (s.completed, s.failed, s.released, s.in_flight) == (2, 1, 0, 1)
    assert (s.limit_usd, s.daily_limit_usd, s.per_video_limit_usd) == (50.0, 5.0, 2.0)
    assert len(s.days) == 30 and s.days[0].day == "2026-11-01"
    by_day = {
        d.day: (d.charged_usd, d.reserved_usd) for d in s.days if d.charged_usd or d.reserved_usd
    }
    assert by_day == {"2026-11-03": (0.35, 0.0), "2026-11-10": (1.2, 0.0), "2026-11-21": (0.0, 0.8)}
    assert s.today is not None and s.today.reserved_usd == 0.8
    models = {(m.provider, m.model): m for m in s.models}
    assert models[("openai", "sora-2-pro")].charged_usd == 1.2
    sora = models[("openai", "sora-2")]
    assert (sora.charged_usd, sora.reserved_usd, sora.completed, sora.failed, sora.in_flight) == (
        0.35,
        0.8,
        1,
        1,
        1,
    )
    assert sora.seconds == 4
    assert s.models[0].model == "sora-2-pro"  # the most spent first
    # 2.35 USD committed in 20.5 days, over a 30-day month.
    assert s.period == "current" and s.projection_usd == round(2.35 / 20.5 * 30, 2)

    october = open_ledger().month("2026-10", limits=BudgetLimits(50.0), now=NOW)
    assert (october.period, october.spent_usd, october.projection_usd) == ("past", 0.4, 0.4)
    december = open_ledger().month("2026-12", limits=BudgetLimits(50.0), now=NOW)
    assert (december.period, december.spent_usd, december.projection_usd) == ("future", 0.0, None)


def test_month_must_be_written_yyyy_mm() -> None:
    with pytest.raises(UsageError, match="YYYY-MM"):
        open_ledger().month("2026-13", limits=BudgetLimits(50.0))


# -- the commands ------------------------------------------------------------------------------
def test_budget_shows_the_month() -> None:
    populate()
    result = runner.invoke(app, ["budget", "--month", "2026-11"])
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert "November 2026 (UTC)" in out
    assert "1.55 USD" in out and "0.80 USD" in out and "47.65 USD" in out
    assert "of the 50.00 USD monthly limit" in out
    assert "openai/sora-2-pro" in out and "per day" in out
    assert result.stderr == ""


def test_budget_on_a_fresh_home() -> None:
    result = runner.invoke(app, ["budget"])
    assert result.exit_code == 0, result.output
    assert "0.00 USD" in result.stdout and "50.00 USD" in result.stdout


def test_budget_json() -> None:
    populate()
    result = runner.invoke(app, ["budget", "--month", "2026-11", "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["month"] == "2026-11" and data["timezone"] == "UTC"
    assert (data["spent_usd"], data["reserved_usd"], data["remaining_usd"]) == (1.55, 0.8, 47.65)
    assert data["jobs"] == {
        "completed": 2,
        "failed": 1,
        "released": 0,
        "settled": 0,
        "in_flight": 1,
    }
    assert len(data["days"]) == 30 and {m["model"] for m in data["models"]} == {
        "sora-2",
        "sora-2-pro",
    }


def test_budget_bad_month_is_a_usage_error() -> None:
    result = runner.invoke(app, ["budget", "--month", "November"])
    assert result.exit_code == ExitCode.USAGE, result.output


@pytest.mark.jsonl_only
def test_budget_warns_about_bad_ledger_lines_on_stderr() -> None:
    ledger = populate()
    assert isinstance(ledger, Ledger)
    bad_line = line_count(ledger) + 1
    with ledger.path.open("ab") as fh:
        fh.write(b"not json at all\n")
    result = runner.invoke(app, ["budget", "--month", "2026-11", "--json"])
    assert result.exit_code == 0
    json.loads(result.stdout)
    assert "warning:" in result.stderr and f"line {bad_line}:" in result.stderr


def test_budget_set_writes_where_the_ledger_keeps_its_limits(backend: str) -> None:
    result = runner.invoke(
        app, ["budget", "set", "--monthly", "120", "--daily", "10", "--per-video", "2"]
    )
    assert result.exit_code == 0, result.output
    assert "monthly limit 120.00 USD, daily limit 10.00 USD, per-video limit 2.00 USD" in (
        result.stdout
    )
    assert open_ledger().limits() == BudgetLimits(120.0, 10.0, 2.0, 0.8)
    if backend == "jsonl":
        assert BudgetLimits.from_config(Config.load()) == BudgetLimits(120.0, 10.0, 2.0, 0.8)
    else:  # in the database, shared by every machine; this machine's config is left alone
        assert "saved to the ledger database postgresql://" in result.stdout
        assert not Config.load().exists

    result = runner.invoke(app, ["budget", "set", "--daily", "0", "--warn-ratio", "0.9"])
    assert result.exit_code == 0, result.output
    assert open_ledger().limits() == BudgetLimits(120.0, None, 2.0, 0.9)


@pytest.mark.parametrize(
    "args", [[], ["--monthly", "-5"], ["--daily", "nan"], ["--warn-ratio", "2"]]
)
def test_budget_set_refuses_nonsense(args: list[str]) -> None:
    result = runner.invoke(app, ["budget", "set", *args])
    assert result.exit_code == ExitCode.USAGE, result.output
    assert not Config.load().exists


def test_budget_set_then_a_refusal_names_the_new_limit() -> None:
    runner.invoke(app, ["budget", "set", "--monthly", "0.5"])
    with pytest.raises(BudgetError) as info:
        reserve(open_ledger(), 0.8, open_ledger().limits())
    assert info.value.hint == "video-gen budget set --monthly 0.80"


def test_report_markdown() -> None:
    ledger = populate()
    result = runner.invoke(app, ["budget", "report", "--month", "2026-11"])
    assert result.exit_code == 0, result.output
    md = result.stdout
    assert md.startswith("# video-gen budget report: November 2026")
    assert "| Monthly limit | 50.00 |" in md and "| Spent (charged) | 1.55 |" in md
    assert "| Reserved (1 in flight) | 0.80 |" in md and "| Remaining | 47.65 |" in md
    assert "| **Total** | | | | | 16 | | 2.80 | 1.55 | |" in md
    for job in ledger.jobs(since=NOW.replace(day=1, hour=0), limit=None):
        assert job.local_id in md
    assert "2026-10-31" not in md


def test_report_csv_has_one_row_per_job_and_a_total() -> None:
    populate()
    result = runner.invoke(app, ["budget", "report", "--month", "2026-11", "--format", "csv"])
    assert result.exit_code == 0, result.output
    rows = list(csv.reader(io.StringIO(result.stdout)))
    assert tuple(rows[0]) == COLUMNS
    jobs, total = rows[1:-1], rows[-1]
    assert len(jobs) == 4 and [r[0] for r in jobs] == sorted(r[0] for r in jobs)
    assert [r[8] for r in jobs] == ["0.35", "1.20", "0.00", ""]  # in flight: no charge yet
    assert [r[9] for r in jobs] == ["completed", "completed", "failed", "queued"]
    assert total == ["TOTAL", "", "", "", "", "16", "", "2.80", "1.55", ""]


def test_report_json_to_a_file(tmp_path: Path) -> None:
    populate()
    out = tmp_path / "reports" / "2026-11.json"
    result = runner.invoke(
        app, ["budget", "report", "--month", "2026-11", "--format", "json", "--out", str(out)]
    )
    assert result.exit_code == 0, result.output
    assert result.stdout.strip() == str(out)
    data = json.loads(out.read_text())
    assert data["totals"] == {
        "jobs": 4,
        "completed": 2,
        "failed": 1,
        "released": 0,
        "in_flight": 1,
        "seconds": 16,
        "estimate_usd": 2.8,
        "charged_usd": 1.55,
    }
    assert data["spent_usd"] == data["totals"]["charged_usd"] and data["limit_usd"] == 50.0
    assert [p.name for p in out.parent.iterdir()] == ["2026-11.json"]  # no temp file left


def test_report_of_an_empty_month() -> None:
    result = runner.invoke(app, ["budget", "report", "--month", "2020-01"])
    assert result.exit_code == 0
    assert "Jobs: 0" in result.stdout and "**Total**" not in result.stdout
