"""How ``--help`` names arguments and flags, the way the docs write them.

Typer 0.29 writes a required argument as ``{job_id}`` and an optional one as ``[prompt]`` on the
usage line, and gives every flag a ``<bool>`` type. Here: arguments are upper case (``JOB_ID``,
``[PROMPT]``, as in docs/commands.md) and flags show no type (a flag takes no value). Applied
once when the application is built; a Typer without these hooks is left as it is.
"""

from __future__ import annotations

from typing import Any

_applied = False


def apply() -> None:
    global _applied
    if _applied:
        return
    _applied = True
    try:
        from typer import core
    except ImportError:  # pragma: no cover - typer is a dependency
        return
    argument = getattr(core, "TyperArgument", None)
    option = getattr(core, "TyperOption", None)
    if argument is not None and hasattr(argument, "_usage_display_name"):

        def display_name_raw(self: Any) -> str:
            return str(self.metavar) if self.metavar is not None else str(self.name).upper()

        def usage_name(self: Any) -> str:
            name = self.display_name_raw if self.required else f"[{self.display_name_raw}]"
            return name + ("..." if self.nargs != 1 else "")

        argument.display_name_raw = property(display_name_raw)
        argument._usage_display_name = usage_name
    if option is not None and hasattr(option, "display_type_rich"):
        typed = option.display_type_rich

        def display_type_rich(self: Any, ctx: Any) -> str | None:
            if getattr(self, "is_flag", False) and not getattr(self, "count", False):
                return None  # a flag takes no value
            return typed(self, ctx)  # type: ignore[no-any-return]

        option.display_type_rich = display_type_rich
