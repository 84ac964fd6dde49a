"""`video-gen config`: show, get, set, unset, path, init, set-price."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

config_app = typer.Typer(
    help="Read and write the config file (comments are preserved).", no_args_is_help=True
)

Key = Annotated[
    str,
    typer.Argument(
        help="Dotted key, e.g. defaults.model or budget.monthly_usd.", show_default=False
    ),
]


def _masked(key: str, value: Any) -> Any:
    from video_gen.config import KEYS
    from video_gen.redact import mask, mask_url

    if key.endswith(".url") and value:
        return mask_url(str(value))  # a database URL: only its password is secret
    secret = (
        (KEYS[key].secret if key in KEYS else False)
        or key.endswith("api_key")
        or key.endswith(".key")
    )
    return mask(str(value)) if secret and value else value


def _walk(prefix: str, value: Any) -> list[tuple[str, Any]]:
    if isinstance(value, dict):
        out: list[tuple[str, Any]] = []
        for k, v in value.items():
            out += _walk(f"{prefix}.{k}" if prefix else str(k), v)
        return out
    return [(prefix, value)]


@config_app.command("show")
def show(json_output: Annotated[bool, typer.Option("--json", help="As JSON.")] = False) -> None:
    """Every setting with its effective value and where it comes from (secrets masked).

    Example: video-gen config show
    """
    import os

    from video_gen.cli.ui import UI
    from video_gen.config import KEYS, Config

    cfg = Config.load(strict=False)
    rows = []
    for name, key in KEYS.items():
        stored = cfg.raw(name)
        if key.env and os.environ.get(key.env):
            source = f"env {key.env}"
        elif name == "api.key" and os.environ.get("SORA_API_KEY"):
            source = "env SORA_API_KEY"
        elif stored not in (None, ""):
            source = "config file"
        else:
            source = "default"
        value = cfg.value(name)
        if name == "api.key":
            value = os.environ.get("OPENAI_API_KEY") or os.environ.get("SORA_API_KEY") or stored
        rows.append((name, _masked(name, value), source))
    known = set(KEYS)
    for name, value in _walk("", cfg.doc.unwrap()):
        if name not in known:
            rows.append((name, _masked(name, value), "config file"))
    ui = UI()
    if json_output:
        ui.json(
            {
                "path": str(cfg.path),
                "exists": cfg.exists,
                "settings": [{"key": k, "value": v, "source": s} for k, v, s in rows],
            }
        )
        return
    ui.result(f"# {cfg.path}{'' if cfg.exists else ' (not created yet: video-gen config init)'}")
    for k, v, s in rows:
        ui.result(f"{k} = {v!r}  # {s}")


@config_app.command("get")
def get(key: Key) -> None:
    """Print one setting's effective value (secrets masked).

    Example: video-gen config get defaults.model
    """
    from video_gen.cli.ui import UI
    from video_gen.config import KEYS, Config
    from video_gen.errors import UsageError

    cfg = Config.load(strict=False)
    value = cfg.value(key)
    if value is None and key not in KEYS:
        raise UsageError(f"{key} is not set", hint="video-gen config show lists every key")
    UI().result(str(_masked(key, value)))


@config_app.command("set")
def set_(
    key: Key, value: Annotated[str, typer.Argument(help="The new value.", show_default=False)]
) -> None:
    """Set a value in the config file (created 0600 if missing; comments kept).

    Example: video-gen config set defaults.seconds 8
    """
    from video_gen.cli.ui import UI
    from video_gen.config import KEYS, Config
    from video_gen.errors import UsageError

    if key not in KEYS and not key.startswith(("providers.", "gags.")):
        raise UsageError(
            f"unknown setting {key!r}",
            hint="video-gen config show lists every key (providers.NAME.* and"
            " gags.* are free-form)",
        )
    cfg = Config.load(strict=False)
    cfg.set(key, _parse_scalar(value) if key not in KEYS else value)
    cfg.save()
    UI().info(f"set {key} in {cfg.path}")


@config_app.command("unset")
def unset(key: Key) -> None:
    """Remove a setting from the config file (its default applies again).

    Example: video-gen config unset defaults.model
    """
    from video_gen.cli.ui import UI
    from video_gen.config import Config

    cfg = Config.load(strict=False)
    if cfg.unset(key):
        cfg.save()
        UI().info(f"removed {key} from {cfg.path}")
    else:
        UI().info(f"{key} was not set in {cfg.path}")


@config_app.command("path")
def path() -> None:
    """Print the config file's path.

    Example: video-gen config path
    """
    from video_gen import paths
    from video_gen.cli.ui import UI

    UI().result(str(paths.config_file()))


@config_app.command("init")
def init(
    force: Annotated[
        bool,
        typer.Option("--force", help="Replace an existing file (the old one is kept as a backup)."),
    ] = False,
) -> None:
    """Write a commented config file with every key (never overwrites without --force).

    Example: video-gen config init
    """
    import stat

    from video_gen import paths
    from video_gen.cli.ui import UI
    from video_gen.config import template
    from video_gen.errors import UsageError
    from video_gen.fsutil import atomic_write_text

    target = paths.config_file()
    if target.exists() and not force:
        raise UsageError(
            f"{target} exists already",
            hint="edit it, or `video-gen config init --force` to replace it",
        )
    backup = _backup(target) if target.exists() else None
    atomic_write_text(target, template(), mode=stat.S_IRUSR | stat.S_IWUSR)
    if backup is not None:
        held = _settings_in(backup)
        UI().warn(
            f"replaced {target}; the old file is kept as {backup}"
            + (f" (it held: {', '.join(held)}; copy back what you need)" if held else "")
        )
    UI().result(str(target))


def _backup(target: Path) -> Path:
    """A copy of ``target`` beside it, owner-only (it may hold a key), never overwriting one."""
    import os
    import shutil
    from datetime import datetime

    from video_gen.errors import UsageError

    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    for n in range(1, 1000):
        candidate = target.with_name(f"{target.name}.bak-{stamp}" + ("" if n == 1 else f"-{n}"))
        try:
            fd = os.open(candidate, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            continue
        with os.fdopen(fd, "wb") as out, target.open("rb") as src:
            shutil.copyfileobj(src, out)
        return candidate
    raise UsageError(f"too many backups of {target}", hint="remove old *.bak-* files beside it")


def _settings_in(path: Path) -> list[str]:
    """The dotted names of the settings a config file held (names only, never values)."""
    from video_gen.config import Config
    from video_gen.errors import VideoGenError

    try:
        data = Config.load(path).doc.unwrap()
    except VideoGenError:
        return []
    names: list[str] = []

    def walk(node: Any, prefix: str) -> None:
        for key, value in node.items():
            dotted = f"{prefix}{key}"
            if isinstance(value, dict) and value:
                walk(value, dotted + ".")
            else:
                names.append(dotted)

    walk(data, "")
    return names


@config_app.command("set-price")
def set_price(
    model: Annotated[
        str, typer.Argument(help="Model name (glob patterns allowed).", show_default=False)
    ],
    usd_per_second: Annotated[
        float, typer.Argument(help="USD per second of video.", show_default=False)
    ],
    provider_kind: Annotated[
        str, typer.Option("--provider-kind", help="openai-videos, openrouter, emulator or *.")
    ] = "*",
    size: Annotated[str, typer.Option("--size", help="WIDTHxHEIGHT, resolution or *.")] = "*",
    source: Annotated[
        str | None, typer.Option("--source", help="Where the price is from.", show_default=False)
    ] = None,
) -> None:
    """Add or replace a price row in the config (wins over the packaged table).

    Example: video-gen config set-price wan-2.7 0.04 --source "my invoice 2026-11"
    """
    import math

    import tomlkit

    from video_gen.cli.ui import UI
    from video_gen.config import Config
    from video_gen.errors import UsageError
    from video_gen.pricing import MAX_USD_PER_SECOND

    if not (math.isfinite(usd_per_second) and 0 <= usd_per_second <= MAX_USD_PER_SECOND):
        raise UsageError(
            f"the price {usd_per_second!r} USD/s is not a finite amount from 0 to"
            f" {MAX_USD_PER_SECOND:g}",
            hint="video-gen config set-price MODEL 0.10",
        )
    cfg = Config.load(strict=False)
    rows = cfg.doc.get("prices")
    if rows is None:
        rows = tomlkit.aot()
        cfg.doc["prices"] = rows
    for i in reversed(range(len(rows))):
        r = rows[i]
        if (
            r.get("model") == model
            and r.get("size", "*") == size
            and r.get("provider", "*") == provider_kind
        ):
            del rows[i]
    row = tomlkit.table()
    row.update(
        {
            "provider": provider_kind,
            "model": model,
            "size": size,
            "usd_per_second": usd_per_second,
            "source": source or "set by video-gen config",
        }
    )
    rows.append(row)
    cfg.save()
    UI().info(
        f"price of {model} ({size}, {provider_kind}) set to {usd_per_second} USD/s in {cfg.path}"
    )


def _parse_scalar(text: str) -> Any:
    low = text.lower()
    if low in ("true", "false"):
        return low == "true"
    for conv in (int, float):
        try:
            return conv(text)
        except ValueError:
            pass
    return text
