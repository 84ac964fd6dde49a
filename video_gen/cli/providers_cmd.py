"""`video-gen providers` (list, `check NAME`) and `video-gen models`: where videos can be made,
whether a provider answers, and what each model takes and costs. None of them spends anything."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from video_gen.cli import options as opt

providers_app = typer.Typer(
    help="Named providers: list them, or check one answers and accepts its key.",
    invoke_without_command=True,
)

_OPENAI_OFF = "api.openai.com"


@providers_app.callback(invoke_without_command=True)
def providers(
    ctx: typer.Context,
    list_kinds: Annotated[
        bool,
        typer.Option(
            "--kinds", help="List the provider kinds instead: built in and installed plugins."
        ),
    ] = False,
    json_output: opt.Json = False,
) -> None:
    """List the providers: name, kind, base URL, default model, and where the key comes from
    (never the key itself). The default provider is marked with *.

    Example: video-gen providers --json
    """
    if ctx.invoked_subcommand is not None:
        return
    from video_gen.cli.ui import UI
    from video_gen.config import Config
    from video_gen.providers import specs

    if list_kinds:
        _kinds(UI(json_output=json_output))
        return

    config = Config.load()
    default = str(config.value("defaults.provider"))
    default_model = str(config.value("defaults.model"))
    rows = [_describe(spec, default, default_model) for spec in specs(config).values()]
    ui = UI(json_output=json_output)
    if json_output:
        ui.json({"default": default, "config": str(config.path), "providers": rows})
        return
    table = [["", "NAME", "KIND", "BASE URL", "MODEL", "KEY"]]
    for r in rows:
        key = r["key"]
        if not key["needed"]:
            key_text = "not needed"
        elif key["present"]:
            key_text = f"present ({key['source']})"
        else:
            key_text = f"missing: {key['hint']}"
        model = r["model"] or f"{default_model} (defaults.model)"
        table.append(
            ["*" if r["default"] else "", r["name"], r["kind"], r["base_url"], model, key_text]
        )
    ui.result(_columns(table))
    if default not in {r["name"] for r in rows}:
        ui.warn(f"defaults.provider is {default!r}, which is not configured")
    if any(_OPENAI_OFF in r["base_url"] for r in rows if r["name"] == "openai"):
        ui.info(
            "note: OpenAI's Videos API was switched off on 2026-09-24; point OPENAI_BASE_URL at"
            " a /v1/videos server, or add a provider (docs/providers.md)"
        )


def _kinds(ui: Any) -> None:
    from video_gen.providers import kinds

    rows = []
    for name in kinds.names():
        kind = kinds.get(name)
        rows.append(
            {
                "kind": name,
                "origin": kinds.origin(name),
                "description": kind.description,
                "default_base_url": kind.default_base_url or None,
                "key_env": kind.default_key_env,
            }
        )
    if ui.json_output:
        ui.json({"kinds": rows})
        return
    table = [["KIND", "FROM", "WHAT"]] + [[r["kind"], r["origin"], r["description"]] for r in rows]
    ui.result(_columns(table))


def _describe(spec: Any, default: str, default_model: str) -> dict[str, Any]:
    out: dict[str, Any] = {
        "name": spec.name,
        "default": spec.name == default,
        "kind": spec.kind,
        "base_url": spec.base_url,
        "model": spec.model,
        "effective_model": spec.model or default_model,
        "key": {
            "needed": spec.needs_key,
            "present": bool(spec.api_key),
            "source": spec.key_source or None,
            "hint": None if spec.api_key or not spec.needs_key else spec.key_hint,
        },
        "declared_models": sorted(spec.declared_models()),
    }
    out.update(spec.impl.describe(spec))
    if spec.headers:
        out["headers"] = sorted(spec.headers)  # names only: a header may carry a secret
    return out


@providers_app.command("check")
def check(
    name: Annotated[
        str,
        typer.Argument(help="Provider name (from `video-gen providers`).", show_default=False),
    ],
    json_output: opt.Json = False,
    verbose: opt.Verbose = False,
) -> None:
    """Make one cheap authenticated call and say what works: reachable, key accepted, and
    through which endpoint. Spends nothing. Exit 3 when the key is refused, 7 when unreachable.

    Example: video-gen providers check my-openrouter
    """
    from video_gen.cli import runtime
    from video_gen.cli.ui import UI
    from video_gen.config import Config
    from video_gen.providers import check as check_provider
    from video_gen.providers import spec_for

    ui = UI(verbose=verbose, json_output=json_output)
    runtime.setup_logging(verbose)
    spec = spec_for(Config.load(), name)
    found = check_provider(spec, runtime.connector(quick=True))
    if json_output:
        ui.json(
            {
                "name": found.name,
                "kind": found.kind,
                "base_url": found.base_url,
                "reachable": True,
                "key_accepted": found.key_accepted,
                "endpoint": found.endpoint,
                "detail": found.detail,
                "server": found.server,
                "job_list": found.job_list,
                "models": list(found.models),
                "notes": list(found.notes),
                "warnings": list(found.warnings),
            }
        )
        return
    key = {True: "key accepted", None: "no key needed", False: "key refused"}[found.key_accepted]
    server = f", {found.server}" if found.server else ""
    ui.result(
        f"{found.name} ({found.kind}{server}): reachable, {key}: {found.endpoint} answered OK"
    )
    for line in (found.detail, *found.notes):
        ui.result(f"  {line}")
    if found.job_list is not None:
        ui.result(
            "  job list: "
            + (
                "yes (a create that fails ambiguously is looked up before anything is re-sent)"
                if found.job_list
                else "no (a create that fails ambiguously is recorded in doubt, never re-sent)"
            )
        )
    for warning in found.warnings:
        ui.warn(warning)


def models(
    provider: opt.ProviderName = None,
    json_output: opt.Json = False,
) -> None:
    """List known models per provider: seconds, sizes (or resolutions and aspect ratios) and
    USD per second from the price table and the config's price rows. A model with no price is
    marked: spending on it is refused (exit 9) until you set one.

    Example: video-gen models --provider my-openrouter --json
    """
    from video_gen import pricing
    from video_gen.cli.ui import UI
    from video_gen.config import Config
    from video_gen.errors import ConfigError
    from video_gen.providers import models_of, spec_for, specs

    config = Config.load()
    overrides = config.raw("prices") or []
    if not isinstance(overrides, list):
        raise ConfigError(
            "[[prices]] in the config must be an array of tables",
            hint="see docs/configuration.md#prices",
        )
    table = pricing.rows(overrides)
    default_size = str(config.value("defaults.size"))
    chosen = [spec_for(config, provider)] if provider else list(specs(config).values())
    rows: list[dict[str, Any]] = []
    for spec in chosen:
        for model, caps in models_of(spec).items():
            rows.append(_model_row(spec, model, caps, table, default_size))
    ui = UI(json_output=json_output)
    if json_output:
        ui.json({"price_table": pricing.table_version(), "models": rows})
        return
    lines = [["PROVIDER", "MODEL", "SECONDS", "SIZES", "USD/S"]]
    for r in rows:
        lines.append(
            [r["provider"], r["model"], r["seconds_text"], r["sizes_text"], r["price_text"]]
        )
    ui.result(_columns(lines))
    if any(not r["priced"] for r in rows):
        ui.info(
            "a model with no price is refused (exit 9): set one with"
            " video-gen config set-price MODEL USD_PER_SECOND --provider-kind KIND"
        )


def _model_row(
    spec: Any, model: str, caps: Any, table: list[Any], default_size: str
) -> dict[str, Any]:
    from video_gen import pricing

    sizes: tuple[str, ...] = tuple(caps.sizes) if caps is not None and caps.sizes else ()
    probes = sizes or (default_size,)
    prices = []
    for size in probes:
        row = pricing.find(
            spec.kind,
            model,
            size,
            table,
            api=spec.api,
            audio=caps.audio_default if caps is not None and caps.audio else None,
        )
        prices.append(
            {
                "size": size,
                "usd_per_second": row.usd_per_second if row else None,
                "source": (row.source + (f", {row.as_of}" if row.as_of else "")) if row else None,
                "origin": row.origin if row else None,
            }
        )
    priced = any(p["usd_per_second"] is not None for p in prices)
    return {
        "provider": spec.name,
        "kind": spec.kind,
        "model": model,
        "default": model == spec.model,
        "known": caps is not None,
        "seconds": list(caps.seconds) if caps is not None and caps.seconds else None,
        "sizes": list(caps.sizes) if caps is not None and caps.sizes else None,
        "resolutions": list(caps.resolutions) if caps is not None and caps.resolutions else None,
        "aspect_ratios": (
            list(caps.aspect_ratios) if caps is not None and caps.aspect_ratios else None
        ),
        "remix": caps.remix if caps is not None else None,
        "audio": caps.audio if caps is not None else None,
        "audio_default": caps.audio_default if caps is not None else None,
        "prices": prices,
        "priced": priced,
        "seconds_text": caps.seconds_text() if caps is not None else "?",
        "sizes_text": caps.sizes_text() if caps is not None else "?",
        "price_text": _price_text(prices, bool(sizes)),
    }


def _price_text(prices: list[dict[str, Any]], per_size: bool) -> str:
    values = {p["usd_per_second"] for p in prices}
    if values == {None}:
        return "NO PRICE"
    if len(values) == 1:
        return f"{next(iter(values)):.2f}"
    groups: dict[Any, list[str]] = {}
    for p in prices:
        groups.setdefault(p["usd_per_second"], []).append(p["size"])
    return ", ".join(
        ("no price" if usd is None else f"{usd:.2f}") + (f" ({', '.join(s)})" if per_size else "")
        for usd, s in groups.items()
    )


def _columns(rows: list[list[str]]) -> str:
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    return "\n".join(
        "  ".join(cell.ljust(w) for cell, w in zip(r, widths, strict=True)).rstrip() for r in rows
    )
