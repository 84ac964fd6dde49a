"""A config that cannot be misread: a typo in a money setting is never replaced by a default,
unknown keys and wrong types are refused (exit 3) naming the key and the likely spelling, and
non-finite, negative or absurd values are refused, before anything is sent."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from video_gen.cli import app
from video_gen.config import Config
from video_gen.emulator import EmulatorServer
from video_gen.errors import ConfigError
from video_gen.exit_codes import ExitCode

runner = CliRunner()


def run(*args: str) -> Any:
    return runner.invoke(app, list(args))


def write_config(home: Path, text: str) -> Path:
    home.mkdir(parents=True, exist_ok=True)
    path = home / "config.toml"
    path.write_text(text, encoding="utf-8")
    return path


def assert_config_error(res: Any, *words: str) -> None:
    assert res.exit_code == ExitCode.CONFIG, (res.exit_code, res.stderr)
    line = res.stderr.strip().splitlines()[-1]
    assert line.startswith("error: ") and "; fix: " in line, res.stderr
    assert "unexpected" not in line
    for word in words:
        assert word in line, line


@pytest.mark.parametrize(
    ("text", "words"),
    [
        # The case: 1.20 USD spent against an intended 0.50 (the 50 USD default).
        ("[budget]\nmonthly = 0.5\n", ("budget.monthly", "did you mean budget.monthly_usd?")),
        ('budget = "x"\n', ("budget", "is a table")),
        ("[budget]\nmonthly_usd = true\n", ("budget.monthly_usd", "True", "number")),
        ('[budget]\nmonthly_usd = "0.5"\n', ("budget.monthly_usd", "number")),
        ("[budget]\nmonthly_usd = nan\n", ("budget.monthly_usd", "finite")),
        ("[budget]\ndaily_usd = inf\n", ("budget.daily_usd", "finite")),
        ("[budget]\nper_video_usd = -1\n", ("budget.per_video_usd", "at least 0")),
        ("[budget]\nmonthly_usd = 5e6\n", ("budget.monthly_usd", "at most", "typo")),
        ("[budget]\nwarn_ratio = 2\n", ("budget.warn_ratio", "at most 1")),
        ('[defaults]\nseconds = "8"\n', ("defaults.seconds", "whole number")),
        ("[defaults]\nseconds = 4.5\n", ("defaults.seconds", "whole number")),
        ('[defaults]\nmodle = "sora-2"\n', ("defaults.modle", "did you mean defaults.model?")),
        ("[budgte]\nmonthly_usd = 1\n", ("budgte", "did you mean budget?")),
    ],
)
def test_a_misreadable_config_is_refused_before_any_create(
    remote: EmulatorServer, isolated_home: Path, text: str, words: tuple[str, ...]
) -> None:
    write_config(isolated_home, text)
    res = run("generate", "a boat", "--seconds", "8", "-o", "out")
    assert_config_error(res, *words)
    assert remote.stats.total_requests == 0
    # the budget view is refused the same way (it would show the wrong limit)
    assert run("budget").exit_code == ExitCode.CONFIG


def test_a_valid_config_still_works(remote: EmulatorServer, isolated_home: Path) -> None:
    write_config(
        isolated_home,
        "[budget]\nmonthly_usd = 1\ndaily_usd = 0.5\n[defaults]\nseconds = 8\ntimeout = 600\n",
    )
    res = run("generate", "a boat", "--seconds", "8", "-o", "out", "--dry-run")
    assert res.exit_code == ExitCode.BUDGET_REFUSED  # 0.80 > the daily 0.50: read, not ignored
    assert "daily limit" in res.stderr


def test_example_toml_and_the_template_stay_valid() -> None:
    import tomlkit

    from video_gen.config import template

    example = Path(__file__).resolve().parents[1] / "example.toml"
    Config.load(example).validate()
    Config(example, tomlkit.parse(template()), exists=True).validate()


def test_config_commands_can_still_fix_a_bad_file(isolated_home: Path) -> None:
    write_config(isolated_home, "[budget]\nmonthly = 0.5\n")
    assert run("config", "show").exit_code == 0
    assert run("config", "unset", "budget.monthly").exit_code == 0
    assert run("config", "set", "budget.monthly_usd", "0.5").exit_code == 0
    assert run("budget", "--json").exit_code == 0
    assert Config.load().value("budget.monthly_usd") == 0.5


@pytest.mark.parametrize("value", ["nan", "inf", "-1", "5000000", "true", "x"])
def test_config_set_refuses_what_load_would(isolated_home: Path, value: str) -> None:
    res = run("config", "set", "--", "budget.monthly_usd", value)
    assert res.exit_code == ExitCode.USAGE, res.stderr
    assert "budget.monthly_usd" in res.stderr
    assert not (isolated_home / "config.toml").exists()


@pytest.mark.parametrize(
    ("table", "words"),
    [
        (
            '[providers.gw]\nkind = "openai-videos"\nbase_url = "http://127.0.0.1:1/v1"\n'
            'api_kye = "k"\n',
            ("'api_kye'", "[providers.gw]", "did you mean api_key?"),
        ),
        (
            '[providers.emu]\nkind = "emulator"\njob_second = 1\n',
            ("'job_second'", "[providers.emu]", "did you mean job_seconds?"),
        ),
        (
            '[providers.or]\nkind = "openrouter"\nfaults = "create-500"\n',
            ("'faults'", "[providers.or]"),
        ),
        ('[providers.emu]\nkind = "emulator"\nfree = "yes"\n', ("free", "true or false")),
    ],
)
def test_unknown_keys_in_a_provider_table_are_refused(
    remote: EmulatorServer, isolated_home: Path, table: str, words: tuple[str, ...]
) -> None:
    write_config(isolated_home, table)
    res = run("generate", "a boat", "-o", "out")
    assert_config_error(res, *words)
    assert remote.stats.total_requests == 0


def test_each_kinds_own_keys_are_accepted(isolated_home: Path) -> None:
    write_config(
        isolated_home,
        '[providers.emu]\nkind = "emulator"\nprofile = "litellm"\njob_seconds = 0.5\n'
        'faults = ""\nfree = true\n'
        '[providers.gw]\nkind = "openai-videos"\nremix = false\nheaders = { "X-Team" = "v" }\n'
        '[providers.gem]\nkind = "gemini"\ndelivery = "inline"\n'
        '[providers.fal]\nkind = "fal"\nplatform_url = "https://api.fal.ai"\n'
        '[providers.wan]\nkind = "openai-videos"\n'
        '[providers.wan.models."wan-2"]\nseconds = "any"\n',
    )
    res = run("providers", "--json")
    assert res.exit_code == 0, res.stderr


# -- environment problems get named errors -------------------------------------------------------
@pytest.mark.parametrize(
    ("var", "value"),
    [
        ("VIDEO_GEN_TIMEOUT", "soon"),
        ("VIDEO_GEN_POLL_INTERVAL", "-3"),
        ("VIDEO_GEN_CONCURRENCY", "0"),
        ("VIDEO_GEN_EMULATOR_JOB_SECONDS", "fast"),
        ("VIDEO_GEN_EMULATOR_JOB_SECONDS", "inf"),
    ],
)
def test_a_bad_number_in_an_environment_variable_is_named(
    monkeypatch: pytest.MonkeyPatch, var: str, value: str
) -> None:
    monkeypatch.setenv(var, value)
    Path("p.txt").write_text("a boat\n")
    res = run("batch", "p.txt", "--provider", "emulator", "-o", "out")
    assert res.exit_code in (ExitCode.CONFIG, ExitCode.USAGE), (res.exit_code, res.stderr)
    assert var in res.stderr and "unexpected" not in res.stderr


@pytest.mark.parametrize("value", ["x", "nan", "-1"])
def test_a_bad_ledger_timeout_in_the_environment_is_named(
    monkeypatch: pytest.MonkeyPatch, value: str
) -> None:
    from video_gen.config import read_value

    monkeypatch.setenv("VIDEO_GEN_LEDGER_RETRY_SECONDS", value)
    with pytest.raises(ConfigError) as info:
        read_value("ledger.retry_seconds")
    assert "VIDEO_GEN_LEDGER_RETRY_SECONDS" in info.value.message


def test_a_binary_config_file_is_a_named_config_error(isolated_home: Path) -> None:
    isolated_home.mkdir(parents=True)
    (isolated_home / "config.toml").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\xff\xfe")
    res = run("generate", "a boat", "--provider", "emulator", "-o", "out")
    assert_config_error(res, "config.toml", "not UTF-8 text")
    with pytest.raises(ConfigError):
        Config.load()


def test_a_config_path_that_is_a_folder_is_a_named_config_error(isolated_home: Path) -> None:
    (isolated_home / "config.toml").mkdir(parents=True)
    res = run("generate", "a boat", "--provider", "emulator", "-o", "out")
    assert_config_error(res, "config.toml")


# -- price rows --------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("value", "words"),
    [
        ("true", ("usd_per_second", "not a number")),
        ('"0.05"', ("usd_per_second", "not a number")),
        ("nan", ("usd_per_second", "finite")),
        ("-1", ("usd_per_second", "finite")),
        ("1e9", ("usd_per_second", "finite")),
        ("0.05\nusd_per_vid = 2", ("usd_per_vid", "did you mean usd_per_video?")),
    ],
)
def test_a_misreadable_price_row_is_refused_before_any_create(
    remote: EmulatorServer, isolated_home: Path, value: str, words: tuple[str, ...]
) -> None:
    write_config(
        isolated_home, f'[[prices]]\nprovider = "*"\nmodel = "sora-2"\nusd_per_second = {value}\n'
    )
    res = run("generate", "a boat", "-o", "out")
    assert_config_error(res, "[[prices]]", *words)
    assert remote.stats.total_requests == 0


@pytest.mark.parametrize("value", ["nan", "inf", "-1", "5000"])
def test_config_set_price_refuses_what_is_not_a_price(isolated_home: Path, value: str) -> None:
    res = run("config", "set-price", "--", "my-model", value)
    assert res.exit_code == ExitCode.USAGE, res.stderr
    assert not (isolated_home / "config.toml").exists()


@pytest.mark.parametrize("value", ["nan", "inf", "-1", "1e9"])
def test_budget_set_refuses_an_absurd_limit_on_both_backends(
    backend: str, isolated_home: Path, value: str
) -> None:
    res = run("budget", "set", f"--monthly={value}")
    assert res.exit_code == ExitCode.USAGE, res.stderr
    assert "--monthly" in res.stderr and "unexpected" not in res.stderr
    assert run("budget", "set", "--monthly=75").exit_code == 0
