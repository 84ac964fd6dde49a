"""Python facts through ``ast``: parsed, never imported or run.

Kept per definition (module-level classes and functions, methods, nested classes): docstring's
first line, base classes, decorators, called names, exception types raised and caught, whether
it is async and whether it calls itself. Nested functions count as part of their enclosing
definition. Top-level statements form the ``<module>`` pseudo-symbol.
"""

from __future__ import annotations

import ast
import re
from typing import Any

from video_gen.repoprompt.facts import MODULE_SYMBOL, FileFacts, Symbol

_COOKIE = re.compile(rb"^[ \t\f]*#.*?coding[:=][ \t]*([-\w.]+)")
DOC_CHARS = 160


def decode_python(data: bytes) -> str | None:
    """Source text, honouring a PEP 263 coding cookie; None when it cannot be decoded."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    for line in data.split(b"\n", 2)[:2]:
        m = _COOKIE.match(line)
        if m:
            try:
                return data.decode(m.group(1).decode("ascii"))
            except (LookupError, UnicodeDecodeError):
                return None
    return None


def first_line(doc: str | None, limit: int = DOC_CHARS) -> str:
    if not doc:
        return ""
    for line in doc.strip().splitlines():
        line = " ".join(line.split())
        if line:
            return line if len(line) <= limit else line[: limit - 1].rstrip() + "…"
    return ""


def _name(node: ast.expr) -> str | None:
    """The last dotted component a reference names: ``a.b.C`` -> C, ``C[T]`` -> C, ``f()`` -> f."""
    while True:
        if isinstance(node, ast.Name):
            return node.id
        if isinstance(node, ast.Attribute):
            return node.attr
        if isinstance(node, (ast.Subscript, ast.Call)):
            node = node.value if isinstance(node, ast.Subscript) else node.func
            continue
        return None


def _names(node: ast.expr | None) -> list[str]:
    if node is None:
        return []
    if isinstance(node, ast.Tuple):
        return [n for e in node.elts for n in _names(e)]
    n = _name(node)
    return [n] if n else []


# Fields that never hold a node worth visiting (names, flags, operators, expression contexts).
# Skipping them, and walking with a plain stack, halves the cost of ``ast.walk``.
_LEAF_FIELDS = frozenset(
    {
        "ctx",
        "id",
        "arg",
        "attr",
        "name",
        "names",
        "module",
        "level",
        "asname",
        "kind",
        "type_comment",
        "is_async",
        "conversion",
        "op",
        "ops",
        "simple",
        "kwd_attrs",
        "tag",
        "type_ignores",
    }
)
_FIELDS: dict[type, tuple[str, ...]] = {ast.Constant: ()}


def _child_fields(t: type) -> tuple[str, ...]:
    fields = _FIELDS.get(t)
    if fields is None:
        fields = tuple(f for f in getattr(t, "_fields", ()) if f not in _LEAF_FIELDS)
        _FIELDS[t] = fields
    return fields


class _Refs:
    __slots__ = ("calls", "catches", "imports", "raises")

    def __init__(self, imports: set[str]) -> None:
        self.calls: set[str] = set()
        self.raises: set[str] = set()
        self.catches: set[str] = set()
        self.imports = imports

    def scan(self, root: ast.AST) -> None:
        calls, raises, catches, imports = self.calls, self.raises, self.catches, self.imports
        Call, Raise, Handler, Import, ImportFrom = (
            ast.Call,
            ast.Raise,
            ast.ExceptHandler,
            ast.Import,
            ast.ImportFrom,
        )
        Name, Attribute = ast.Name, ast.Attribute
        fields_of = _FIELDS
        stack: list[Any] = [root]
        pop, push, extend = stack.pop, stack.append, stack.extend
        while stack:
            node = pop()
            t = type(node)
            if t is Call:
                func = node.func
                tf = type(func)
                if tf is Name:
                    calls.add(func.id)
                elif tf is Attribute:
                    calls.add("." + func.attr)
            elif t is Raise:
                if node.exc is not None:
                    n = _name(node.exc)
                    if n:
                        raises.add(n)
            elif t is Handler:
                catches.update(_names(node.type))
            elif t is Import:
                imports.update(a.name for a in node.names)
            elif t is ImportFrom:
                imports.add("." * node.level + (node.module or ""))
            fields = fields_of.get(t)
            if fields is None:
                fields = _child_fields(t)
            for f in fields:
                v = getattr(node, f)
                if type(v) is list:
                    extend(v)  # may hold None (``{**d}`` keys): a None has no fields
                elif v is not None:
                    push(v)


def _symbol(
    node: ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef,
    qual: str,
    kind: str,
    refs: _Refs,
    bases: list[str],
) -> Symbol:
    calls = refs.calls
    recursive = kind != "class" and (node.name in calls or "." + node.name in calls)
    docstring = ast.get_docstring(node, clean=False)
    return Symbol(
        name=node.name,
        qualname=qual,
        kind=kind,
        line=node.lineno,
        doc=first_line(docstring),
        doc_lines=docstring.count("\n") + 1 if docstring else 0,
        bases=tuple(sorted(set(bases))),
        decorators=tuple(sorted({n for d in node.decorator_list for n in _names(d)})),
        calls=tuple(sorted(calls)),
        raises=tuple(sorted(refs.raises)),
        catches=tuple(sorted(refs.catches)),
        is_async=isinstance(node, ast.AsyncFunctionDef),
        recursive=recursive,
    )


def _class(node: ast.ClassDef, prefix: str, out: list[Symbol], imports: set[str]) -> None:
    qual = prefix + node.name
    refs = _Refs(imports)
    for item in node.body:
        if isinstance(item, (ast.FunctionDef, ast.AsyncFunctionDef)):
            if item.name.startswith("__") and item.name.endswith("__"):
                refs.scan(item)  # dunders speak for their class (rank skips dunder names)
            else:
                _function(item, qual + ".", "method", out, imports)
        elif isinstance(item, ast.ClassDef):
            _class(item, qual + ".", out, imports)
        else:
            refs.scan(item)
    for d in node.decorator_list:
        refs.scan(d)
    for k in node.keywords:
        refs.scan(k)
    bases = [n for b in node.bases for n in _names(b)]
    out.append(_symbol(node, qual, "class", refs, bases))


def _function(
    node: ast.FunctionDef | ast.AsyncFunctionDef,
    prefix: str,
    kind: str,
    out: list[Symbol],
    imports: set[str],
) -> None:
    refs = _Refs(imports)
    refs.scan(node)
    out.append(_symbol(node, prefix + node.name, kind, refs, []))


def extract_python(data: bytes) -> FileFacts:
    """Facts of one Python file's bytes (binary and long-line checks are the caller's)."""
    text = decode_python(data)
    if text is None:
        return FileFacts.skip("python", "encoding")
    try:
        tree = ast.parse(text)
    except (SyntaxError, ValueError):
        return FileFacts.skip("python", "syntax_error")
    except (RecursionError, MemoryError):
        return FileFacts.skip("python", "too_complex")
    imports: set[str] = set()
    symbols: list[Symbol] = []
    module = _Refs(imports)
    all_names: list[str] | None = None
    reexports: list[str] = []
    try:
        for stmt in tree.body:
            if isinstance(stmt, (ast.Assign, ast.AugAssign, ast.AnnAssign)):
                names = _dunder_all(stmt)
                if names is not None:
                    all_names = (all_names or []) + names
            elif isinstance(stmt, ast.ImportFrom) and (stmt.level or 0) > 0:
                reexports.extend(a.asname or a.name for a in stmt.names if a.name != "*")
            if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef)):
                _function(stmt, "", "function", symbols, imports)
            elif isinstance(stmt, ast.ClassDef):
                _class(stmt, "", symbols, imports)
            else:
                module.scan(stmt)
    except RecursionError:
        return FileFacts.skip("python", "too_complex")
    if module.calls or module.raises or module.catches:
        symbols.append(
            Symbol(
                name=MODULE_SYMBOL,
                qualname=MODULE_SYMBOL,
                kind="module",
                line=1,
                calls=tuple(sorted(module.calls)),
                raises=tuple(sorted(module.raises)),
                catches=tuple(sorted(module.catches)),
            )
        )
    symbols.sort(key=lambda s: (s.line, s.qualname))
    exports = all_names if all_names is not None else reexports
    return FileFacts(
        language="python",
        doc=first_line(ast.get_docstring(tree, clean=False)),
        imports=tuple(sorted(i for i in imports if i)),
        symbols=tuple(symbols),
        exports=tuple(sorted({n for n in exports if n.isidentifier() and not n.startswith("_")})),
    )


def _dunder_all(stmt: ast.Assign | ast.AugAssign | ast.AnnAssign) -> list[str] | None:
    """The names of ``__all__ = [...]`` / ``__all__ += (...)``, or None for other statements."""
    targets = stmt.targets if isinstance(stmt, ast.Assign) else [stmt.target]
    if not any(isinstance(t, ast.Name) and t.id == "__all__" for t in targets):
        return None
    value = stmt.value
    if isinstance(value, (ast.List, ast.Tuple)):
        return [
            e.value for e in value.elts if isinstance(e, ast.Constant) and isinstance(e.value, str)
        ]
    return []
