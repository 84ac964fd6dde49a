"""Questions on a terminal (Rich's Prompt and Confirm on stderr): the first run, the key prompt
and the guided flow. Ctrl-C or end of input at a question ends the prompt's line and raises
``Cancelled`` (exit 130, "cancelled": nothing was sent or paid)."""

from __future__ import annotations

import sys
from collections.abc import Callable, Sequence
from typing import TypeVar

from video_gen.cli.ui import UI
from video_gen.errors import Cancelled

T = TypeVar("T")


def _guard(fn: Callable[[], T]) -> T:
    try:
        return fn()
    except (KeyboardInterrupt, EOFError):
        sys.stderr.write("\n")  # the prompt's line ends before anything else is said
        sys.stderr.flush()
        raise Cancelled() from None


def ask(
    ui: UI,
    question: str,
    *,
    default: str | None = None,
    choices: Sequence[str] | None = None,
    password: bool = False,
    show_default: bool = True,
) -> str:
    from rich.prompt import Prompt

    def run() -> str:
        if default is None:
            return str(
                Prompt.ask(
                    question,
                    console=ui.err,
                    choices=list(choices) if choices else None,
                    password=password,
                )
            )
        return str(
            Prompt.ask(
                question,
                console=ui.err,
                default=default,
                choices=list(choices) if choices else None,
                password=password,
                show_default=show_default,
            )
        )

    return _guard(run)


def confirm(ui: UI, question: str, *, default: bool = True) -> bool:
    """``question [Y/n]``: Enter takes the capitalised answer."""
    from rich.prompt import Confirm
    from rich.text import Text

    shown = Text(f"{question} [{'Y/n' if default else 'y/N'}]")  # plain text, not markup
    return _guard(
        lambda: bool(
            Confirm.ask(
                shown,
                console=ui.err,
                default=default,
                show_choices=False,
                show_default=False,
            )
        )
    )


def hidden(question: str) -> str:
    """A hidden answer (an API key) through getpass."""
    import getpass

    return _guard(lambda: getpass.getpass(question))
