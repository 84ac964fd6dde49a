"""The one terminal object: knows whether it is interactive, quiet or in CI, and where output goes.

stdout carries results only (a path, an id, ``--json``); everything else goes to stderr. Rich is
imported lazily so ``--help`` stays fast.
"""

from __future__ import annotations

import json
import os
import sys
from functools import cached_property
from typing import Any

CI_VARS = ("CI", "GITHUB_ACTIONS", "GITLAB_CI", "BUILDKITE", "JENKINS_URL", "TF_BUILD")


def in_ci() -> bool:
    return any(os.environ.get(v, "").lower() not in ("", "0", "false") for v in CI_VARS)


def stderr_is_terminal() -> bool:
    try:
        return sys.stderr.isatty() and os.environ.get("TERM") != "dumb" and not in_ci()
    except (AttributeError, ValueError):
        return False


def stdin_is_terminal() -> bool:
    try:
        return sys.stdin.isatty() and not in_ci()
    except (AttributeError, ValueError):
        return False


class UI:
    def __init__(
        self, *, quiet: bool = False, verbose: bool = False, json_output: bool = False
    ) -> None:
        self.quiet = quiet
        self.verbose = verbose
        self.json_output = json_output
        self.interactive = stderr_is_terminal()

    @cached_property
    def err(self) -> Any:
        from rich.console import Console

        return Console(stderr=True, highlight=False, soft_wrap=True)

    @cached_property
    def out(self) -> Any:
        from rich.console import Console

        return Console(highlight=False, soft_wrap=True)

    # -- stdout: results -------------------------------------------------------------------
    def result(self, text: str) -> None:
        sys.stdout.write(text + "\n")
        sys.stdout.flush()

    def json(self, data: Any) -> None:
        sys.stdout.write(json.dumps(data, indent=2, sort_keys=False, default=str) + "\n")
        sys.stdout.flush()

    # -- stderr: messages -------------------------------------------------------------------
    def info(self, text: str) -> None:
        if not self.quiet:
            self._err_line(text)

    def warn(self, text: str) -> None:
        # Warnings about money are never silenced by --quiet.
        self._err_line(f"warning: {text}", style="yellow")

    def debug(self, text: str) -> None:
        if self.verbose:
            self._err_line(f"debug: {text}", style="dim")

    def _err_line(self, text: str, style: str | None = None) -> None:
        from video_gen.redact import redact

        text = redact(text)
        if self.interactive:
            self.err.print(text, style=style, markup=False)
        else:
            sys.stderr.write(text + "\n")
            sys.stderr.flush()


def print_error(message: str, hint: str | None) -> None:
    """One line on stderr: what happened; and the fix."""
    from video_gen.redact import redact

    line = f"error: {message}"
    if hint:
        line += f"; fix: {hint}"
    sys.stderr.write(redact(line) + "\n")
    sys.stderr.flush()


_MAX_LEDGER_WARNINGS = 5


def echo_ledger_warnings(ledger: Any) -> None:
    """Torn or corrupt ledger lines, on stderr (the first few, then a count)."""
    found = ledger.warnings()
    if not found:
        return
    ui = UI()
    for line in found[:_MAX_LEDGER_WARNINGS]:
        ui.warn(line)
    if len(found) > _MAX_LEDGER_WARNINGS:
        ui.warn(f"{len(found) - _MAX_LEDGER_WARNINGS} more ledger warnings (see docs/ledger.md)")
