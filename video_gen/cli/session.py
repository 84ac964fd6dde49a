"""The CLI's ``Session`` for the use cases (``video_gen/usecases``): one runtime per provider.

Providers are looked up without connecting (validation), opened only when a job needs one, and
reused by later runs of the same process (``film --chain`` runs one clip at a time).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from video_gen.cli import runtime
from video_gen.cli.ui import UI
from video_gen.jobs import JobEvent, RunOptions


class CliSession:
    def __init__(self, ui: UI, provider: str | None, *, first_run: bool = False) -> None:
        self.ui = ui
        self.rt = runtime.load(ui, provider, open_remote=False, first_run=first_run)
        self.config = self.rt.config
        self.ledger = self.rt.ledger
        self.limits = self.rt.limits
        self._runtimes: dict[str, runtime.Runtime] = {self.rt.spec.name: self.rt}
        self._opened: dict[str, Any] = {}
        self._listeners: dict[str, Callable[[JobEvent], None]] = {}

    @property
    def default_provider(self) -> str:
        return self.rt.spec.name

    def runtime_for(self, name: str | None) -> runtime.Runtime:
        from video_gen.providers import spec_for

        if name is None:
            return self.rt
        if name not in self._runtimes:
            self._runtimes[name] = runtime.Runtime(
                config=self.rt.config,
                spec=spec_for(self.rt.config, name),
                ui=self.ui,
                ledger=self.rt.ledger,
                limits=self.rt.limits,
                prices=self.rt.prices,
            )
        return self._runtimes[name]

    def provider_info(self, name: str | None) -> Any:
        from video_gen.batch.validate import ProviderInfo

        r = self.runtime_for(name)
        return ProviderInfo(
            name=r.spec.name,
            kind=r.spec.kind,
            config=r.config,
            spec=r.spec,
            capabilities=r.capabilities,
            prices=r.prices,
        )

    def open_backend(self, name: str, listener: Callable[[JobEvent], None]) -> Any:
        from video_gen.batch.runner import Backend

        r = self.runtime_for(name)
        # The latest run's listener hears this provider's retries (runs follow each other).
        self._listeners[name] = listener
        if name not in self._opened:
            runtime.open_remote_provider(r)
            r.listeners.append(lambda e, n=name: self._listeners[n](e))
            self._opened[name] = Backend(r.provider, r.prices)
        return self._opened[name]

    def run_options(
        self,
        *,
        command: str,
        output_dir: Path | None,
        name: str | None,
        timeout: float | None,
        poll_interval: float | None,
    ) -> RunOptions:
        return runtime.run_options(
            self.rt,
            command=command,
            output_dir=output_dir,
            name=name,
            timeout=timeout,
            poll_interval=poll_interval,
        )

    def close(self) -> None:
        for name in list(self._opened):
            self._runtimes[name].close()
        self._opened.clear()
