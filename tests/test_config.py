"""Config: precedence, comments preserved, owner-only writes, clear errors, `video-gen config`."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest
from fakekeys import fake_key
from typer.testing import CliRunner

from video_gen import paths
from video_gen.cli import app
from video_gen.config import Config, template
from video_gen.errors import ConfigError, UsageError

runner = CliRunner()


def test_home_moves_config_data_and_cache(isolated_home: Path) -> None:
    assert paths.config_file() == isolated_home / "config.toml"
    assert paths.ledger_file().parent == isolated_home / "data"
    assert paths.cache_dir() == isolated_home / "cache"


def test_video_gen_config_overrides_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("VIDEO_GEN_CONFIG", str(tmp_path / "elsewhere.toml"))
    assert paths.config_file() == tmp_path / "elsewhere.toml"


def test_precedence_env_over_file_over_default(monkeypatch: pytest.MonkeyPatch) -> None:
    cfg = Config.load()
    assert cfg.value("defaults.model") == "sora-2" and cfg.value("defaults.seconds") == 4
    cfg.set("defaults.model", "sora-2-pro")
    cfg.save()
    assert Config.load().value("defaults.model") == "sora-2-pro"
    monkeypatch.setenv("VIDEO_GEN_MODEL", "from-env")
    assert Config.load().value("defaults.model") == "from-env"


def test_comments_survive_set_and_file_is_0600(isolated_home: Path) -> None:
    path = paths.config_file()
    path.parent.mkdir(parents=True)
    path.write_text('# my notes\n[defaults]\nmodel = "sora-2"  # keep this\n')
    cfg = Config.load()
    cfg.set("defaults.seconds", "8")
    cfg.save()
    text = path.read_text()
    assert "# my notes" in text and "# keep this" in text and "seconds = 8" in text
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_bad_toml_names_the_line() -> None:
    path = paths.config_file()
    path.parent.mkdir(parents=True)
    path.write_text("[defaults]\nmodel = \n")
    with pytest.raises(ConfigError) as err:
        Config.load()
    assert "line 2" in (err.value.hint or "")


def test_bad_type_is_a_usage_error() -> None:
    with pytest.raises(UsageError, match=r"defaults\.seconds must be a whole number"):
        Config.load().set("defaults.seconds", "eight")


def test_template_matches_example_toml() -> None:
    example = Path(__file__).resolve().parents[1] / "example.toml"
    assert example.read_text() == template()


def test_every_key_is_in_the_template() -> None:
    from video_gen.config import KEYS

    text = template()
    for name in KEYS:
        section, key = name.split(".")
        assert f"[{section}]" in text and f"{key} =" in text, name


def test_config_cli_init_set_get_show_masks(isolated_home: Path) -> None:
    res = runner.invoke(app, ["config", "init"])
    assert res.exit_code == 0 and res.stdout.strip() == str(paths.config_file())
    assert runner.invoke(app, ["config", "init"]).exit_code == 2  # never overwrites
    assert runner.invoke(app, ["config", "set", "defaults.seconds", "8"]).exit_code == 0
    assert runner.invoke(app, ["config", "get", "defaults.seconds"]).stdout.strip() == "8"
    secret = fake_key("live")
    assert runner.invoke(app, ["config", "set", "api.key", secret]).exit_code == 0
    shown = runner.invoke(app, ["config", "show"])
    assert shown.exit_code == 0 and secret not in shown.stdout and "api.key" in shown.stdout
    assert secret not in runner.invoke(app, ["config", "get", "api.key"]).stdout
    assert "# Where it lives" in paths.config_file().read_text()  # the template's comments kept
    bad = runner.invoke(app, ["config", "set", "nonsense.key", "1"])
    assert bad.exit_code == 2 and "unknown setting" in bad.stderr


def test_set_price_adds_a_row_used_by_estimates() -> None:
    from video_gen import pricing
    from video_gen.types import GenerationRequest

    res = runner.invoke(app, ["config", "set-price", "wan-*", "0.04", "--source", "invoice"])
    assert res.exit_code == 0, res.stderr
    rows = pricing.rows(Config.load().raw("prices"))
    est = pricing.estimate(GenerationRequest("p", "wan-2.7", 5, "1280x720"), "openai-videos", rows)
    assert est.usd == pytest.approx(0.20) and "invoice" in est.source


def test_read_value_matches_the_full_loader(monkeypatch: pytest.MonkeyPatch) -> None:
    from video_gen.config import read_value

    assert read_value("ledger.url") == "" and read_value("ledger.retry_seconds") == 30.0
    config = Config.load()
    config.set("ledger.url", "postgresql://u@h/db")
    config.set("ledger.statement_timeout", 3)
    config.save()
    for key in ("ledger.url", "ledger.statement_timeout", "ledger.retry_seconds"):
        assert read_value(key) == Config.load().value(key)
    monkeypatch.setenv("VIDEO_GEN_LEDGER_STATEMENT_TIMEOUT", "7")
    assert read_value("ledger.statement_timeout") == 7.0
