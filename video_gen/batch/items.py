"""Reading a batch file into raw items: a prompt per line (.txt), a JSON object per line
(.jsonl) or a CSV row under a header (.csv).

Parsing only checks shapes and types; parameters are checked against the model in
``validate.py``. Every problem is a ``Problem`` naming the file, the line and the field, and all
of them are collected (not just the first), so a user fixes a file in one pass.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from video_gen.errors import UsageError

FORMATS = ("txt", "jsonl", "csv")
FIELDS = (
    "prompt",
    "name",
    "model",
    "seconds",
    "size",
    "input_reference",
    "provider",
    "intertitle",  # the title card `video-gen film` shows before this clip (batch ignores it)
)
_EXTENSIONS = {".txt": "txt", ".jsonl": "jsonl", ".ndjson": "jsonl", ".csv": "csv"}
MAX_NAME = 100


@dataclass(frozen=True)
class Problem:
    """Why one item cannot run: ``prompts.csv:4: seconds: ...`` (line/field when known)."""

    source: str
    line: int | None
    field: str | None
    message: str
    hint: str | None = None

    def __str__(self) -> str:
        where = self.source if self.line is None else f"{self.source}:{self.line}"
        what = f"{self.field}: " if self.field else ""
        tail = f" (fix: {self.hint})" if self.hint else ""
        return f"{where}: {what}{self.message}{tail}"

    def to_json(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "line": self.line,
            "field": self.field,
            "message": self.message,
            "hint": self.hint,
        }


@dataclass(frozen=True)
class RawItem:
    """One item as written: the fields it gives (None = take the command line's default)."""

    line: int
    prompt: str
    name: str | None = None
    model: str | None = None
    seconds: int | None = None
    size: str | None = None
    input_reference: str | None = None
    provider: str | None = None
    intertitle: str | None = None


@dataclass
class Parsed:
    items: list[RawItem] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)


def detect_format(path: Path | None, flag: str | None, text: str) -> str:
    """``--format`` if given; else the extension; stdin: jsonl when it starts with ``{``."""
    if flag is not None:
        fmt = flag.strip().lower()
        if fmt not in FORMATS:
            raise UsageError(f"unknown --format {flag!r}", hint=f"use one of: {', '.join(FORMATS)}")
        return fmt
    if path is None:
        return "jsonl" if text.lstrip().startswith("{") else "txt"
    found = _EXTENSIONS.get(path.suffix.lower())
    if found is None:
        raise UsageError(
            f"cannot tell the format of {path.name} from its extension",
            hint="name it .txt, .jsonl or .csv, or pass --format txt|jsonl|csv",
        )
    return found


def read_source(arg: str, stdin_text: str | None = None) -> tuple[str, Path | None]:
    """The batch file's text and its path (None for ``-``, stdin)."""
    if arg == "-":
        if stdin_text is None:
            from video_gen.resolve import read_stdin

            stdin_text = read_stdin("the batch")
        return stdin_text.removeprefix("\ufeff"), None
    path = Path(arg).expanduser()
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise UsageError(f"batch file {arg} does not exist", hint="check the path") from None
    except IsADirectoryError:
        raise UsageError(f"{arg} is a folder, not a batch file", hint="give a file") from None
    except OSError as exc:
        raise UsageError(
            f"cannot read batch file {arg}: {exc.strerror}", hint="check its permissions"
        ) from None
    try:
        # utf-8-sig: spreadsheets save CSV with a byte-order mark the header would otherwise keep
        return data.decode("utf-8-sig"), path
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise UsageError(f"{arg}:{line}: not UTF-8 text", hint="save the file as UTF-8") from None


def parse(text: str, fmt: str, source: str) -> Parsed:
    """Items and problems of a batch file; ``source`` names it in messages."""
    if fmt == "txt":
        return _parse_txt(text)
    if fmt == "jsonl":
        return _parse_jsonl(text, source)
    if fmt == "csv":
        return _parse_csv(text, source)
    raise ValueError(f"unknown format {fmt!r}")


def _parse_txt(text: str) -> Parsed:
    out = Parsed()
    for number, line in enumerate(text.splitlines(), start=1):
        prompt = line.strip()
        if prompt and not prompt.startswith("#"):
            out.items.append(RawItem(line=number, prompt=prompt))
    return out


def _parse_jsonl(text: str, source: str) -> Parsed:
    out = Parsed()
    for number, line in enumerate(text.splitlines(), start=1):
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        try:
            obj = json.loads(stripped)
        except json.JSONDecodeError as exc:
            out.problems.append(
                Problem(
                    source,
                    number,
                    None,
                    f"not valid JSON: {exc.msg}",
                    'one object per line: {"prompt": "..."}',
                )
            )
            continue
        if isinstance(obj, str):
            obj = {"prompt": obj}  # a bare JSON string is a prompt
        if not isinstance(obj, dict):
            out.problems.append(
                Problem(
                    source,
                    number,
                    None,
                    f"a line must be a JSON object, not {_kind(obj)}",
                    '{"prompt": "...", "name": "..."}',
                )
            )
            continue
        _add(out, source, number, obj)
    return out


def _parse_csv(text: str, source: str) -> Parsed:
    out = Parsed()
    # strict: a quote left open must not silently merge the rest of the file into one paid
    # prompt (the lenient reader does exactly that at the end of the data).
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    header: list[str] | None = None
    start = 1  # the line a row begins on (a quoted field may span lines)
    try:
        for row in reader:
            number, start = start, reader.line_num + 1
            if not any(cell.strip() for cell in row):
                continue
            if header is None:
                header = [cell.strip().lower() for cell in row]
                if "prompt" not in header:
                    out.problems.append(
                        Problem(
                            source,
                            number,
                            None,
                            "the header row has no prompt column",
                            f"the first row names the columns, e.g. prompt,name,seconds"
                            f" (known: {', '.join(FIELDS)})",
                        )
                    )
                    return out
                dupes = sorted({h for h in header if header.count(h) > 1 and h})
                if dupes:
                    out.problems.append(
                        Problem(source, number, dupes[0], "this column appears twice in the header")
                    )
                    return out
                continue
            if len(row) > len(header):
                extra = [c for c in row[len(header) :] if c.strip()]
                if extra:
                    out.problems.append(
                        Problem(
                            source,
                            number,
                            None,
                            f"{len(row)} cells but the header names {len(header)} columns",
                            "quote cells that contain commas",
                        )
                    )
                    continue
            obj = {h: c for h, c in zip(header, row, strict=False) if h and c.strip() != ""}
            _add(out, source, number, obj)
    except csv.Error as exc:
        if "unexpected end of data" in str(exc):
            out.problems.append(
                Problem(
                    source,
                    start,
                    None,
                    "a quoted cell opened on this line is never closed: the rest of the file"
                    " would be one prompt",
                    'close the quote (a quote inside a quoted cell is written "")',
                )
            )
        else:
            out.problems.append(Problem(source, reader.line_num, None, f"bad CSV: {exc}"))
    if header is None:
        out.problems.append(Problem(source, None, None, "the file is empty (no header row)"))
    return out


def _add(out: Parsed, source: str, line: int, obj: Mapping[str, Any]) -> None:
    """Check one item's fields (names and types) and add it, or its problems."""
    problems: list[Problem] = []
    values: dict[str, Any] = {}
    for key, value in obj.items():
        name = str(key).strip().lower()
        if name not in FIELDS:
            problems.append(
                Problem(
                    source, line, str(key), "unknown field", f"the fields are: {', '.join(FIELDS)}"
                )
            )
            continue
        if value is None:
            continue
        if name == "seconds":
            seconds = _as_int(value)
            if seconds is None:
                problems.append(
                    Problem(
                        source,
                        line,
                        name,
                        f"must be a whole number of seconds, not {value!r}",
                        "e.g. 4, 8 or 12",
                    )
                )
                continue
            values[name] = seconds
            continue
        # A name may be written as a number (1, 2, 3 ...); every other field is text.
        allowed = (str, int) if name == "name" else (str,)
        if isinstance(value, bool) or not isinstance(value, allowed):
            problems.append(Problem(source, line, name, f"must be text, not {_kind(value)}"))
            continue
        text = str(value).strip()
        if text:
            values[name] = text
    prompt = values.get("prompt")
    if not prompt and not any(p.field == "prompt" for p in problems):
        problems.append(
            Problem(source, line, "prompt", "missing or empty", "every item needs a prompt")
        )
    given_name = values.get("name")
    if given_name is not None and len(given_name) > MAX_NAME:
        problems.append(
            Problem(source, line, "name", f"{len(given_name)} characters; at most {MAX_NAME}")
        )
    if problems:
        out.problems.extend(problems)
        return
    out.items.append(RawItem(line=line, **values))


def _as_int(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str):
        text = value.strip()
        if text.lstrip("+-").isdigit():
            return int(text)
    return None


def _kind(value: Any) -> str:
    if isinstance(value, dict):
        return "an object"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, bool):
        return "true/false"
    if value is None:
        return "null"
    return type(value).__name__
