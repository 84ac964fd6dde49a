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
    minimum: float | None = None  # numbers: the smallest value accepted
    maximum: float | None = None  # numbers: the largest value accepted


# A money limit above this is a typo (an extra zero or two), not a budget.
MAX_USD = 1_000_000.0
# Top-level tables read by their own code: prices (rows checked by pricing), providers (each
# table checked against its kind's keys in video_gen/providers), styles and gags (free-form).
FREE_TABLES = ("prices", "providers", "styles", "gags")

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
        Key(
            "defaults.seconds",
            int,
            4,
            "clip length in seconds",
            env="VIDEO_GEN_SECONDS",
            minimum=1,
        ),
        Key("defaults.size", str, "720x1280", "WIDTHxHEIGHT", env="VIDEO_GEN_SIZE"),
        Key(
            "defaults.timeout",
            float,
            1800.0,
            "overall deadline in seconds for one job (create to download)",
            env="VIDEO_GEN_TIMEOUT",
            minimum=0,
        ),
        Key(
            "defaults.poll_interval",
            float,
            0.0,
            "fixed polling interval in seconds; 0 = adaptive (server hint, then progress)",
            env="VIDEO_GEN_POLL_INTERVAL",
            minimum=0,
        ),
        Key(
            "defaults.concurrency",
            int,
            2,
            "jobs in flight at once in `batch`",
            env="VIDEO_GEN_CONCURRENCY",
            minimum=1,
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
            minimum=0,
        ),
        Key(
            "ledger.statement_timeout",
            float,
            10.0,
            "seconds one ledger database statement may take before it is cancelled",
            env="VIDEO_GEN_LEDGER_STATEMENT_TIMEOUT",
            minimum=0,
        ),
        Key(
            "budget.monthly_usd",
            float,
            50.0,
            "monthly spending limit in USD",
            minimum=0,
            maximum=MAX_USD,
        ),
        Key(
            "budget.daily_usd",
            float,
            0.0,
            "daily spending limit in USD (0 = none)",
            minimum=0,
            maximum=MAX_USD,
        ),
        Key(
            "budget.per_video_usd",
            float,
            0.0,
            "most one video may cost in USD (0 = none)",
            minimum=0,
            maximum=MAX_USD,
        ),
        Key(
            "budget.warn_ratio",
            float,
            0.8,
            "warn on stderr when a job takes the month past this share of the limit",
            minimum=0,
            maximum=1,
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
    def load(cls, path: Path | None = None, *, strict: bool = True) -> Config:
        """Read the config file. ``strict`` (every command but ``config``, which must be able
        to fix a bad file) refuses unknown keys and wrong types (``validate``)."""
        import tomlkit
        from tomlkit.exceptions import ParseError

        path = path or paths.config_file()
        text = _read_text(path)
        if text is None:
            return cls(path, tomlkit.document(), exists=False)
        try:
            doc = tomlkit.parse(text)
        except ParseError as exc:
            raise ConfigError(
                f"config file {path} is not valid TOML: {exc}",
                hint=f"fix line {exc.line} of it, or move it aside and run `video-gen config init`",
            ) from None
        config = cls(path, doc, exists=True)
        if strict:
            config.validate()
        return config

    def validate(self) -> None:
        """Refuse (ConfigError, exit 3) what could be misread: an unknown table or key (naming
        the likely spelling: ``[budget] monthly`` is not ``monthly_usd``, and a typo must never
        leave a default in force), a value of the wrong type (``monthly_usd = true``), and a
        number that is not finite or out of its range (negative, or an absurd limit)."""
        data = _plain(self.doc)
        sections = sorted({name.split(".")[0] for name in KEYS})
        for top, value in data.items():
            if top in FREE_TABLES:
                continue
            if top not in sections:
                raise _unknown(top, [*sections, *FREE_TABLES], self.path)
            if not isinstance(value, dict):
                raise ConfigError(
                    f"{top} in {self.path} is {value!r}, but it is a table of settings",
                    hint=f"write them under [{top}], e.g. {_example(top)}",
                )
            for name, item in value.items():
                dotted = f"{top}.{name}"
                key = KEYS.get(dotted)
                if key is None:
                    known = [k for k in KEYS if k.startswith(f"{top}.")]
                    raise _unknown(dotted, known, self.path)
                if item == "" and key.type is not str:
                    continue  # an empty value means the default (as `config unset`)
                _checked(key, item, f"{dotted} in {self.path}")

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
            return _coerce(key, os.environ[key.env], source=f"environment variable {key.env}")
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
        return _coerce(key, os.environ[key.env], source=f"environment variable {key.env}")
    path = paths.config_file()
    text = _read_text(path)
    if text is None:
        return key.default
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
    if node is None or node == "":
        return key.default
    return _checked(key, node, f"{dotted} in {path}")


def _plain(node: Any) -> Any:
    unwrap = getattr(node, "unwrap", None)
    return unwrap() if callable(unwrap) else node


def env_number(name: str, default: float, *, minimum: float = 0.0) -> float:
    """A number from environment variable ``name`` (``default`` when unset or empty): a
    ConfigError naming the variable when it is not a finite number >= ``minimum``."""
    import math

    text = os.environ.get(name, "").strip()
    if not text:
        return default
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not math.isfinite(value) or value < minimum:
        raise ConfigError(
            f"environment variable {name} is {text!r}: it must be a number >= {minimum:g}",
            hint=f"export {name}={default:g} (or unset it)",
        )
    return value


def _read_text(path: Path) -> str | None:
    """The config file's text, None when there is none; ConfigError when it cannot be read or
    is not text (a binary file, another encoding)."""
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    except UnicodeDecodeError as exc:
        raise ConfigError(
            f"config file {path} is not UTF-8 text (byte {exc.start} is"
            f" {exc.object[exc.start]:#04x}): it is not a TOML file",
            hint="move it aside and run `video-gen config init`, or point VIDEO_GEN_CONFIG at"
            " the right file",
        ) from None
    except OSError as exc:
        raise ConfigError(
            f"cannot read config file {path}: {exc.strerror}",
            hint="check its permissions, or point VIDEO_GEN_CONFIG at another file",
        ) from None


def _unknown(name: str, known: list[str], path: Path) -> ConfigError:
    import difflib

    close = difflib.get_close_matches(name, known, n=1, cutoff=0.5)
    if not close and "." in name:  # [budget] monthly: compare the last parts
        tails = {k.split(".")[-1]: k for k in known}
        found = difflib.get_close_matches(name.split(".")[-1], list(tails), n=1, cutoff=0.5)
        close = [tails[f] for f in found]
    what = "key" if "." in name else "table"
    guess = f"did you mean {close[0]}? " if close else ""
    return ConfigError(
        f"unknown {what} {name} in {path}: it would be ignored, so it is refused",
        hint=f"{guess}`video-gen config show` lists every key (docs/configuration.md)",
    )


def _example(top: str) -> str:
    first = next(k for k in KEYS.values() if k.name.startswith(f"{top}."))
    return f"[{top}] {first.name.split('.', 1)[1]} = {first.default!r}"


_KIND = {int: "whole number", float: "number", bool: "true or false", str: "text"}


def _checked(key: Key, value: Any, source: str) -> Any:
    """A value read from the file: its TOML type must be the key's (``true`` is not a
    number, ``"8"`` is not a whole number), then its range is checked."""
    ok = (
        isinstance(value, str)
        if key.type is str
        else isinstance(value, bool)
        if key.type is bool
        else isinstance(value, (int, float)) and not isinstance(value, bool)
    )
    if key.type is int and isinstance(value, float) and not value.is_integer():
        ok = False
    if not ok:
        kind = _KIND.get(key.type, "text")
        raise ConfigError(
            f"{source} is {value!r}, but {key.name} is a {kind}",
            hint=f"video-gen config set {key.name} <{kind}> (default {key.default!r})",
        )
    return _coerce(key, value, source=source)


def _coerce(key: Key | None, value: Any, *, source: str | None = None) -> Any:
    """``value`` (text from the environment or the command line, or a checked file value) as
    the key's type, within its range. ``source`` names where it came from; without one (``config
    set``) the error is a usage error."""
    if key is None:
        return value
    error = UsageError if source is None else ConfigError
    where = source or key.name
    fix = (
        f"fix or unset {source.split()[-1]}"
        if source and source.startswith("environment")
        else f"video-gen config set {key.name} <{_KIND.get(key.type, 'text')}>"
    )
    try:
        if key.type is bool:
            if isinstance(value, str):
                return value.strip().lower() in ("1", "true", "yes", "on")
            return bool(value)
        if key.type is int and isinstance(value, float) and not value.is_integer():
            raise ValueError(value)
        if key.type in (int, float) and isinstance(value, bool):
            raise ValueError(value)
        result = key.type(value)
    except (TypeError, ValueError, OverflowError):
        kind = _KIND.get(key.type, "text")
        raise error(f"{where} must be a {kind}, not {value!r}", hint=fix) from None
    if key.type in (int, float):
        import math

        if not math.isfinite(result):
            raise error(f"{where} is {value!r}: it must be a finite number", hint=fix)
        if key.minimum is not None and result < key.minimum:
            raise error(f"{where} is {value!r}: it must be at least {key.minimum:g}", hint=fix)
        if key.maximum is not None and result > key.maximum:
            unit = " USD: a typo, not a budget" if key.name.startswith("budget.") else ""
            raise error(f"{where} is {value!r}: it must be at most {key.maximum:g}{unit}", hint=fix)
    return result


def template() -> str:
    """The commented config template (`video-gen config init`, and example.toml)."""
    from importlib import resources

    return resources.files("video_gen.data").joinpath("config_template.toml").read_text("utf-8")
