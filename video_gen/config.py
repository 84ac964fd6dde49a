"""The TOML configuration file: read and written with tomlkit so a user's comments survive.

Precedence for every setting: command-line flag > environment variable > config file > built-in
default. The CLI applies flags and environment variables (Typer's ``envvar=``); this module
supplies the config file and the defaults, through ``Config.value``.
"""

from __future__ import annotations

import os
import stat
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from video_gen import paths
from video_gen.errors import ConfigError, UsageError


@dataclass(frozen=True)
class Key:
    """One documented setting: its dotted name, type, default and help."""

    name: str
    type: type
    default: Any
    help: str
    env: str | None = None
    secret: bool = False


KEYS: dict[str, Key] = {
    k.name: k
    for k in [
        Key(
            "api.key",
            str,
            "",
            "API key for the `openai` provider (prefer the env var)",
            env="OPENAI_API_KEY",
            secret=True,
        ),
        Key(
            "api.base_url",
            str,
            "https://api.openai.com/v1",
            "base URL of a server speaking the /v1/videos shape",
            env="OPENAI_BASE_URL",
        ),
        Key(
            "api.organization",
            str,
            "",
            "OpenAI-Organization header (optional)",
            env="OPENAI_ORG_ID",
        ),
        Key("api.project", str, "", "OpenAI-Project header (optional)", env="OPENAI_PROJECT_ID"),
        Key(
            "defaults.provider",
            str,
            "openai",
            "provider used when --provider is not given",
            env="VIDEO_GEN_PROVIDER",
        ),
        Key("defaults.model", str, "sora-2", "model", env="VIDEO_GEN_MODEL"),
        Key("defaults.seconds", int, 4, "clip length in seconds", env="VIDEO_GEN_SECONDS"),
        Key("defaults.size", str, "720x1280", "WIDTHxHEIGHT", env="VIDEO_GEN_SIZE"),
        Key(
            "defaults.timeout",
            float,
            1800.0,
            "overall deadline in seconds for one job (create to download)",
            env="VIDEO_GEN_TIMEOUT",
        ),
        Key(
            "defaults.poll_interval",
            float,
            0.0,
            "fixed polling interval in seconds; 0 = adaptive (server hint, then progress)",
            env="VIDEO_GEN_POLL_INTERVAL",
        ),
        Key(
            "defaults.concurrency",
            int,
            2,
            "jobs in flight at once in `batch`",
            env="VIDEO_GEN_CONCURRENCY",
        ),
        Key(
            "output.dir",
            str,
            "videos",
            "where videos are saved (relative to the current dir)",
            env="VIDEO_GEN_OUTPUT_DIR",
        ),
        Key(
            "output.name",
            str,
            "{date}-{time}-{slug}",
            "file name template: {date} {time} {slug} {id} {model} {seconds} {size} {n}",
            env="VIDEO_GEN_NAME",
        ),
        Key(
            "ledger.url",
            str,
            "",
            "where the ledger lives: empty = the local JSON Lines file; postgresql://... = a"
            " database shared by many machines",
            env="VIDEO_GEN_LEDGER_URL",
            secret=True,
        ),
        Key(
            "ledger.retry_seconds",
            float,
            30.0,
            "how long to keep reconnecting to a ledger database that cannot be reached",
            env="VIDEO_GEN_LEDGER_RETRY_SECONDS",
        ),
        Key(
            "ledger.statement_timeout",
            float,
            10.0,
            "seconds one ledger database statement may take before it is cancelled",
            env="VIDEO_GEN_LEDGER_STATEMENT_TIMEOUT",
        ),
        Key("budget.monthly_usd", float, 50.0, "monthly spending limit in USD"),
        Key("budget.daily_usd", float, 0.0, "daily spending limit in USD (0 = none)"),
        Key("budget.per_video_usd", float, 0.0, "most one video may cost in USD (0 = none)"),
        Key(
            "budget.warn_ratio",
            float,
            0.8,
            "warn on stderr when a job takes the month past this share of the limit",
        ),
    ]
}


class Config:
    """The user's config file as a tomlkit document (comments and order preserved)."""

    def __init__(self, path: Path, doc: Any, exists: bool) -> None:
        self.path = path
        self.doc = doc
        self.exists = exists

    @classmethod
    def load(cls, path: Path | None = None) -> Config:
        import tomlkit
        from tomlkit.exceptions import ParseError

        path = path or paths.config_file()
        try:
            text = path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return cls(path, tomlkit.document(), exists=False)
        except OSError as exc:
            raise ConfigError(
                f"cannot read config file {path}: {exc.strerror}",
                hint="check its permissions, or point VIDEO_GEN_CONFIG at another file",
            ) from None
        try:
            doc = tomlkit.parse(text)
        except ParseError as exc:
            raise ConfigError(
                f"config file {path} is not valid TOML: {exc}",
                hint=f"fix line {exc.line} of it, or move it aside and run `video-gen config init`",
            ) from None
        return cls(path, doc, exists=True)

    # -- reading ---------------------------------------------------------------------------
    def raw(self, dotted: str) -> Any:
        """The value stored in the file at ``dotted``, or None when absent."""
        node: Any = self.doc
        for part in dotted.split("."):
            if not hasattr(node, "get"):
                return None
            node = node.get(part)
            if node is None:
                return None
        return _plain(node)

    def value(self, dotted: str) -> Any:
        """Environment variable, else config file, else built-in default.

        Flags are applied by the caller on top of this, completing the documented precedence.
        """
        key = KEYS.get(dotted)
        if key is not None and key.env and os.environ.get(key.env):
            return _coerce(key, os.environ[key.env])
        stored = self.raw(dotted)
        if stored is None or stored == "":
            return key.default if key else None
        return _coerce(key, stored) if key else stored

    def table(self, dotted: str) -> dict[str, Any]:
        value = self.raw(dotted)
        return value if isinstance(value, dict) else {}

    # -- writing ---------------------------------------------------------------------------
    def set(self, dotted: str, value: Any) -> None:
        import tomlkit

        key = KEYS.get(dotted)
        if key is not None:
            value = _coerce(key, value)
        parts = dotted.split(".")
        node: Any = self.doc
        for part in parts[:-1]:
            child = node.get(part)
            if child is None:
                child = tomlkit.table()
                node[part] = child
            elif not hasattr(child, "get"):
                raise UsageError(
                    f"cannot set {dotted}: {part} is not a table in {self.path}",
                    hint=f"video-gen config unset {part} first (or edit the file)",
                )
            node = child
        node[parts[-1]] = value

    def unset(self, dotted: str) -> bool:
        parts = dotted.split(".")
        node: Any = self.doc
        for part in parts[:-1]:
            node = node.get(part)
            if node is None:
                return False
        if parts[-1] in node:
            del node[parts[-1]]
            return True
        return False

    def save(self) -> None:
        """Write atomically, owner-only (0600): the file may hold an API key."""
        import tomlkit

        from video_gen.fsutil import atomic_write_text

        self.path.parent.mkdir(parents=True, exist_ok=True)
        atomic_write_text(self.path, tomlkit.dumps(self.doc), mode=stat.S_IRUSR | stat.S_IWUSR)
        self.exists = True


def read_value(dotted: str) -> Any:
    """``Config.load().value(dotted)`` without tomlkit: the environment variable, else the
    config file parsed read-only with tomllib, else the default. For hot paths that only read
    one setting (opening the ledger: ``ledger.url`` and its timeouts), where tomlkit's import
    would cost more than the whole database query."""
    key = KEYS[dotted]
    if key.env and os.environ.get(key.env):
        return _coerce(key, os.environ[key.env])
    path = paths.config_file()
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return key.default
    except OSError:
        return Config.load(path).value(dotted)  # the full loader says what is wrong
    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover - exercised on 3.10 only
        import tomli as tomllib

    try:
        node: Any = tomllib.loads(text)
    except tomllib.TOMLDecodeError:
        return Config.load(path).value(dotted)  # the full loader names the bad line
    for part in dotted.split("."):
        node = node.get(part) if isinstance(node, dict) else None
    return key.default if node is None or node == "" else _coerce(key, node)


def _plain(node: Any) -> Any:
    unwrap = getattr(node, "unwrap", None)
    return unwrap() if callable(unwrap) else node


def _coerce(key: Key | None, value: Any) -> Any:
    if key is None:
        return value
    try:
        if key.type is bool:
            if isinstance(value, str):
                return value.strip().lower() in ("1", "true", "yes", "on")
            return bool(value)
        if key.type is int and isinstance(value, float) and not value.is_integer():
            raise ValueError(value)
        return key.type(value)
    except (TypeError, ValueError):
        kind = {int: "whole number", float: "number", bool: "true or false"}.get(key.type, "text")
        raise UsageError(
            f"{key.name} must be a {kind}, not {value!r}",
            hint=f"video-gen config set {key.name} <{kind}>",
        ) from None


def template() -> str:
    """The commented config template (`video-gen config init`, and example.toml)."""
    from importlib import resources

    return resources.files("video_gen.data").joinpath("config_template.toml").read_text("utf-8")
