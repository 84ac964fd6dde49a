"""Assembling what a spending command needs: config, provider, ledger, limits and prices."""

from __future__ import annotations

import logging
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from video_gen.cli.ui import UI, stderr_is_terminal, stdin_is_terminal
from video_gen.config import Config
from video_gen.errors import ConfigError
from video_gen.jobs import JobEvent, RunOptions
from video_gen.providers import ProviderSpec, capabilities_for, open_provider, spec_for


def setup_logging(verbose: bool) -> None:
    if not verbose:
        # A --verbose command earlier in this process (tests, an embedding program) must not
        # leave its debug handler, bound to a stderr that may be closed by now, in force.
        root = logging.getLogger("video_gen")
        root.handlers[:] = []
        root.setLevel(logging.NOTSET)
        return
    from video_gen.redact import redact

    class Redacting(logging.Formatter):
        def format(self, record: logging.LogRecord) -> str:
            return redact(super().format(record))

    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(Redacting("debug: %(name)s: %(message)s"))
    root = logging.getLogger("video_gen")
    root.handlers[:] = [handler]
    root.setLevel(logging.DEBUG)


@dataclass
class Runtime:
    config: Config
    spec: ProviderSpec
    ui: UI
    provider: Any = None
    ledger: Any = None
    limits: Any = None
    prices: list[Any] = field(default_factory=list)
    listeners: list[Any] = field(default_factory=list)

    def emit(self, event: JobEvent) -> None:
        for fn in self.listeners:
            fn(event)

    def close(self) -> None:
        if self.provider is not None:
            self.provider.close()
        if self.ledger is not None:
            self.ledger.close()

    def capabilities(self, model: str) -> Any:
        return capabilities_for(self.spec, model)


def provider_name(config: Config, flag: str | None) -> str:
    return flag or str(config.value("defaults.provider"))


def load(
    ui: UI, provider: str | None, *, open_remote: bool = True, first_run: bool = False
) -> Runtime:
    """Config, provider spec, ledger, limits and prices; the provider opened when asked.

    ``first_run``: a spending command; when nothing says where videos are made (no provider, no
    key, OpenAI's switched-off API the default), ask on a terminal, or fail at once (exit 3)."""
    from video_gen import firstrun, pricing
    from video_gen.ledger import open_ledger

    config = Config.load()
    if first_run and firstrun.needed(config, provider):
        choose_provider(ui, config)
    spec = spec_for(config, provider_name(config, provider))
    rt = Runtime(config=config, spec=spec, ui=ui)
    rt.ledger = open_ledger(config)
    rt.limits = rt.ledger.limits(config)
    overrides = config.raw("prices") or []
    if not isinstance(overrides, list):
        raise ConfigError(
            "[[prices]] in the config must be an array of tables",
            hint="see docs/configuration.md#prices",
        )
    rt.prices = pricing.rows(overrides)
    for warning in rt.ledger.warnings():
        ui.warn(warning)
    if open_remote:
        open_remote_provider(rt)
    return rt


def open_remote_provider(rt: Runtime) -> None:
    if rt.spec.needs_key and not rt.spec.api_key:
        rt.spec = ask_for_key(rt.config, rt.spec)

    def on_retry(exc: BaseException, wait: float, tries: int) -> None:
        rt.emit(
            JobEvent(
                "retry",
                message=f"{exc} (try {tries + 1} in {wait:.1f}s)",
                http_status=getattr(exc, "status", None),
                retry_after=getattr(exc, "retry_after", None),
            )
        )

    rt.provider = open_provider(rt.spec, connector(on_retry=on_retry))


def connector(*, quick: bool = False, on_retry: Any = None) -> Any:
    """The transport factory providers are opened with: the default timeouts and retry policy
    (``quick``: short timeouts and one retry, for checks that should answer fast)."""
    import functools

    from video_gen.client.retry import RetryPolicy
    from video_gen.client.transport import Timeouts, Transport

    if quick:
        return functools.partial(
            Transport, timeouts=Timeouts(connect=5.0, read=20.0), retry=RetryPolicy(1)
        )
    return functools.partial(Transport, timeouts=Timeouts(), retry=RetryPolicy(), on_retry=on_retry)


def choose_provider(ui: UI, config: Config) -> str:
    """The first run: say the OpenAI Videos API is gone, offer the real choices, store one."""
    from video_gen import firstrun
    from video_gen.cli import prompts

    if not (stdin_is_terminal() and stderr_is_terminal()):
        raise firstrun.refuse()
    ui.err.print(firstrun.NOTICE, markup=False)
    for choice in firstrun.CHOICES:
        ui.err.print(f"  {choice.number}) {choice.label}", markup=False)
    answer = prompts.ask(
        ui, "Where should videos be made?", choices=[c.number for c in firstrun.CHOICES]
    )
    picked = firstrun.choice(answer)
    url = ""
    if picked.needs_url:
        url = firstrun.check_url(prompts.ask(ui, "Server URL (e.g. http://localhost:4000/v1)"))
    key = ""
    if picked.needs_key:
        key = prompts.hidden(f"{picked.key_hint} (input hidden; stored with mode 0600): ").strip()
    name = firstrun.apply(config, picked, url=url, key=key)
    ui.err.print(
        f"saved: provider {name!r} is now the default, in {config.path}"
        " (change it: video-gen config set defaults.provider NAME)",
        markup=False,
    )
    return name


def ask_for_key(config: Config, spec: ProviderSpec) -> ProviderSpec:
    """On a terminal, ask once (hidden) and store it 0600; in CI or a pipe, fail with the fix."""
    if not (stdin_is_terminal() and stderr_is_terminal()):
        raise ConfigError(
            f"no API key for provider {spec.name!r} (and no terminal to ask on)",
            hint=f"{spec.key_hint}; or try the built-in emulator: --provider emulator",
        )
    from dataclasses import replace

    from video_gen.cli import prompts

    key = prompts.hidden(
        f"API key for provider {spec.name!r} (input hidden; stored in "
        f"{config.path} with mode 0600): "
    ).strip()
    if not key:
        raise ConfigError("no API key given", hint=spec.key_hint)
    dotted = "api.key" if spec.name == "openai" else f"providers.{spec.name}.api_key"
    config.set(dotted, key)
    config.save()
    return replace(spec, api_key=key, key_source="config file")


def run_options(
    rt: Runtime,
    *,
    command: str,
    output_dir: Path | None = None,
    name: str | None = None,
    timeout: float | None = None,
    poll_interval: float | None = None,
    variants: tuple[str, ...] = ("video",),
    cancel_on_interrupt: bool = False,
) -> RunOptions:
    """RunOptions from the flags, falling back to the config (flag > env > config > default)."""
    from video_gen import deadline, resolve

    chosen = timeout if timeout is not None else float(rt.config.value("defaults.timeout"))
    deadline.check_timeout(chosen, free=rt.spec.emulated)  # before anything is paid
    configured_poll = float(rt.config.value("defaults.poll_interval")) or None
    return RunOptions(
        output_dir=resolve.output_dir(rt.config, output_dir),
        name_template=name or str(rt.config.value("output.name")),
        timeout=chosen,
        poll_interval=poll_interval if poll_interval is not None else configured_poll,
        variants=variants,
        command=command,
        cancel_on_interrupt=cancel_on_interrupt,
    )


def variants(thumbnail: bool, spritesheet: bool) -> tuple[str, ...]:
    return (
        ("video",)
        + (("thumbnail",) if thumbnail else ())
        + (("spritesheet",) if spritesheet else ())
    )


def recover_left(rt: Runtime) -> list[Any]:
    """The cheap part of ``video-gen recover``, before a spending command creates anything:
    creates of this provider left without an id by a process that died are adopted (or
    released, or kept in doubt), said in one line on stderr (nothing when nothing was found)."""
    from video_gen import reconcile

    gone, _ = reconcile.left_creates(rt.ledger, rt.spec.name)
    if not gone:
        return []
    outcomes = reconcile.reconcile(
        rt.ledger, lambda name: rt.provider, provider=rt.spec.name, sweep=False
    )
    line = reconcile.summary(outcomes)
    if line:
        rt.ui.warn(line)
    return outcomes
