"""Which symbols matter: the public surface first (``surface.py``), PageRank to break ties.

The order is by ``surface_score`` (export lists, language-level visibility, private names and
example/internal folders demoted, types before functions), then by PageRank centrality; the
README and docs add their mentions later, in ``pipeline`` (they are not part of the code).

PageRank runs over the repository's reference graph.

Nodes are defined names (all definitions of ``run`` are one node: without type inference a call
``x.run()`` cannot say which ``run`` it means), plus one node per file's top-level code. An edge
goes from the name whose body refers to another name, weighted by how: a call, ``raise`` or
``except`` counts 1, a base class or decorator 2; the weights of one pair add up, capped at 3.
Rank flows along edges by power iteration (damping 0.85; restarts, and the rank of nodes
without out-links, go to every node alike, test-only nodes at a tenth of the share), written out
here so it is deterministic to the last bit: nodes are numbered in sorted order and every sum
runs in that order. Ties are broken by name.

Builtins never become nodes (a call to ``len`` or ``dict.get`` is nobody's endorsement), dunder
methods speak for their class, and names defined only in tests or test helpers (files under
tests/, ``test_*``, ``conftest``, ``*.spec.ts`` ...) are ranked but never listed: tests calling
a function still count as votes for it.
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from video_gen.repoprompt.facts import MODULE_SYMBOL, AnalyzedFile, Symbol
from video_gen.repoprompt.surface import demoted_area, listed_names, surface_score

DAMPING = 0.85
MAX_ITERATIONS = 100
# L1 change of the whole vector. Centrality only breaks ties between equally public names, and
# their order is settled long before 1e-6.
TOLERANCE = 1e-4
TEST_TELEPORT = 0.1  # a test-only node's share of the restart mass, relative to other nodes
MAX_EDGE_WEIGHT = 3
KEEP_RANKED = 600  # names kept in the analysis: the story needs a dozen, the JSON shows 25

# Python's builtin functions and exception types, and the builtins of the other languages a
# repository might shadow (a fixed list, so output does not vary by interpreter). A name the
# repository does not define never becomes a node anyway.
BUILTIN_NAMES = frozenset(
    (
        "abs",
        "aiter",
        "all",
        "anext",
        "any",
        "ascii",
        "bin",
        "bool",
        "breakpoint",
        "bytearray",
        "bytes",
        "callable",
        "chr",
        "classmethod",
        "compile",
        "complex",
        "copyright",
        "credits",
        "delattr",
        "dict",
        "dir",
        "divmod",
        "enumerate",
        "eval",
        "exec",
        "exit",
        "filter",
        "float",
        "format",
        "frozenset",
        "getattr",
        "globals",
        "hasattr",
        "hash",
        "help",
        "hex",
        "id",
        "input",
        "int",
        "isinstance",
        "issubclass",
        "iter",
        "len",
        "license",
        "list",
        "locals",
        "map",
        "max",
        "memoryview",
        "min",
        "next",
        "object",
        "oct",
        "open",
        "ord",
        "pow",
        "print",
        "property",
        "quit",
        "range",
        "repr",
        "reversed",
        "round",
        "set",
        "setattr",
        "slice",
        "sorted",
        "staticmethod",
        "str",
        "sum",
        "super",
        "tuple",
        "type",
        "vars",
        "zip",
        "__import__",
        "NotImplemented",
        "Ellipsis",
        "None",
        "True",
        "False",
        "BaseException",
        "BaseExceptionGroup",
        "Exception",
        "ExceptionGroup",
        "ArithmeticError",
        "AssertionError",
        "AttributeError",
        "BlockingIOError",
        "BrokenPipeError",
        "BufferError",
        "ChildProcessError",
        "ConnectionError",
        "ConnectionAbortedError",
        "ConnectionRefusedError",
        "ConnectionResetError",
        "EOFError",
        "EnvironmentError",
        "FileExistsError",
        "FileNotFoundError",
        "FloatingPointError",
        "GeneratorExit",
        "IOError",
        "ImportError",
        "IndentationError",
        "IndexError",
        "InterruptedError",
        "IsADirectoryError",
        "KeyError",
        "KeyboardInterrupt",
        "LookupError",
        "MemoryError",
        "ModuleNotFoundError",
        "NameError",
        "NotADirectoryError",
        "NotImplementedError",
        "OSError",
        "OverflowError",
        "PermissionError",
        "ProcessLookupError",
        "RecursionError",
        "ReferenceError",
        "RuntimeError",
        "StopAsyncIteration",
        "StopIteration",
        "SyntaxError",
        "SystemError",
        "SystemExit",
        "TabError",
        "TimeoutError",
        "TypeError",
        "UnboundLocalError",
        "UnicodeDecodeError",
        "UnicodeEncodeError",
        "UnicodeError",
        "UnicodeTranslateError",
        "ValueError",
        "ZeroDivisionError",
        "Warning",
        "UserWarning",
        "DeprecationWarning",
        "PendingDeprecationWarning",
        "RuntimeWarning",
        "SyntaxWarning",
        "FutureWarning",
        "ImportWarning",
        "UnicodeWarning",
        "BytesWarning",
        "ResourceWarning",
        "EncodingWarning",
        "console",
        "require",
        "setTimeout",
        "setInterval",
        "clearTimeout",
        "parseInt",
        "parseFloat",
        "make",
        "append",
        "cap",
        "copy",
        "delete",
        "panic",
        "recover",
        "new",
        "println",
        "Println",
        "Printf",
        "Sprintf",
        "Errorf",
        "Ok",
        "Err",
        "Some",
        "Box",
        "Vec",
        "Rc",
        "Arc",
        # JavaScript's own objects and methods, which libraries shadow or polyfill
        "defineProperty",
        "defineGetter",
        "defineSetter",
        "__defineGetter__",
        "hasOwnProperty",
        "getPrototypeOf",
        "setPrototypeOf",
        "isPrototypeOf",
        "propertyIsEnumerable",
        "toString",
        "toLocaleString",
        "valueOf",
        "constructor",
        "prototype",
        "apply",
        "call",
        "bind",
        "Symbol",
        "Object",
        "Array",
        "Function",
        "Promise",
        "Reflect",
        "Proxy",
        "Number",
        "String",
        "Boolean",
        "Date",
        "RegExp",
        "JSON",
        "Math",
        "Map",
        "Set",
        "WeakMap",
        "WeakSet",
        "Buffer",
        "process",
        "globalThis",
        "window",
        "document",
    )
)

# Methods of builtin types: ``x.get()`` / ``x.append()`` are almost always a dict's or a list's.
BUILTIN_METHODS = frozenset(
    (
        "append",
        "extend",
        "insert",
        "remove",
        "pop",
        "clear",
        "index",
        "count",
        "sort",
        "reverse",
        "copy",
        "get",
        "items",
        "keys",
        "values",
        "update",
        "setdefault",
        "popitem",
        "fromkeys",
        "add",
        "discard",
        "union",
        "intersection",
        "difference",
        "issubset",
        "issuperset",
        "join",
        "split",
        "rsplit",
        "splitlines",
        "strip",
        "lstrip",
        "rstrip",
        "startswith",
        "endswith",
        "replace",
        "lower",
        "upper",
        "title",
        "format",
        "encode",
        "decode",
        "find",
        "rfind",
        "partition",
        "rpartition",
        "zfill",
        "ljust",
        "rjust",
        "center",
        "isdigit",
        "isalpha",
        "isalnum",
        "isspace",
        "casefold",
        "expandtabs",
        "translate",
        "maketrans",
        "read",
        "readline",
        "readlines",
        "write",
        "writelines",
        "close",
        "flush",
        "seek",
        "tell",
        "fileno",
        "push",
        "then",
        "catch",
        "finally",
        "map",
        "filter",
        "reduce",
        "forEach",
        "slice",
        "splice",
        "concat",
        "includes",
        "indexOf",
        "toString",
        "valueOf",
        "hasOwnProperty",
        "log",
        "error",
        "warn",
        "info",
        "debug",
        "unwrap",
        "expect",
        "clone",
        "to_string",
        "into",
        "iter",
        "collect",
        "len",
        "is_empty",
        "unwrap_or",
    )
)


@dataclass(frozen=True)
class RankedSymbol:
    name: str
    qualname: str
    kind: str
    file: str
    line: int
    score: float
    inbound: int  # how many other names refer to it
    definitions: int
    doc: str
    is_exception: bool
    recursive: bool
    is_async: bool
    surface: float = 0.0  # public-surface score from the code alone (see surface_score)
    signals: tuple[str, ...] = ()  # why: "exported", "listed in shop/__init__.py", ...
    bases: tuple[str, ...] = ()
    methods: tuple[str, ...] = ()  # for a type: the methods defined on it (first 40, sorted)

    def to_list(self) -> list[Any]:
        return [
            self.name,
            self.qualname,
            self.kind,
            self.file,
            self.line,
            self.score,
            self.inbound,
            self.definitions,
            self.doc,
            int(self.is_exception),
            int(self.recursive),
            int(self.is_async),
            self.surface,
            list(self.signals),
            list(self.bases),
            list(self.methods),
        ]

    @classmethod
    def from_list(cls, d: Sequence[Any]) -> RankedSymbol:
        return cls(
            str(d[0]),
            str(d[1]),
            str(d[2]),
            str(d[3]),
            int(d[4]),
            float(d[5]),
            int(d[6]),
            int(d[7]),
            str(d[8]),
            bool(d[9]),
            bool(d[10]),
            bool(d[11]),
            float(d[12]),
            tuple(d[13]),
            tuple(d[14]),
            tuple(d[15]),
        )


@dataclass(frozen=True)
class Ranking:
    symbols: tuple[RankedSymbol, ...]  # non-test names, best first
    nodes: int
    edges: int
    iterations: int

    def top(self, n: int) -> tuple[RankedSymbol, ...]:
        return self.symbols[:n]

    def to_json(self) -> dict[str, Any]:
        return {
            "symbols": [s.to_list() for s in self.symbols],
            "nodes": self.nodes,
            "edges": self.edges,
            "iterations": self.iterations,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Ranking:
        return cls(
            tuple(RankedSymbol.from_list(s) for s in data["symbols"]),
            int(data["nodes"]),
            int(data["edges"]),
            int(data["iterations"]),
        )


def _is_dunder(name: str) -> bool:
    return name.startswith("__") and name.endswith("__")


_EXCEPTION_SUFFIXES = ("Error", "Exception", "Exc", "Failure", "Fault")


def _looks_like_exception(s: Symbol) -> bool:
    if s.kind not in ("class", "struct", "enum", "error", "record"):
        return False
    if s.kind == "error" or s.name.endswith(_EXCEPTION_SUFFIXES):
        return True
    return any(
        b.endswith(_EXCEPTION_SUFFIXES) or b in ("Exception", "BaseException", "Error")
        for b in s.bases
    )


_KIND_ORDER = {
    "class": 0,
    "struct": 0,
    "interface": 1,
    "trait": 1,
    "enum": 2,
    "record": 0,
    "function": 3,
    "method": 4,
    "error": 5,
    "type": 6,
    "union": 6,
}


def pagerank(
    n: int, edges: dict[tuple[int, int], int], teleport: Sequence[float] | None = None
) -> tuple[list[float], int]:
    """Scores of nodes ``0..n-1`` for weighted ``edges[(src, dst)]``; also the iterations used.

    ``teleport`` (summing to 1) is where a random surfer restarts, and where the rank of nodes
    without out-links goes; uniform when not given.
    """
    if n == 0:
        return [], 0
    jump = list(teleport) if teleport is not None else [1.0 / n] * n
    out_weight = [0] * n
    incoming: list[list[int]] = [[] for _ in range(n)]
    for (src, dst), w in sorted(edges.items()):
        out_weight[src] += w
        incoming[dst].extend([src] * w)  # weight as repetition: the inner sum stays in C
    dangling = [i for i in range(n) if out_weight[i] == 0]
    inv_out = [1.0 / w if w else 0.0 for w in out_weight]
    targets = [j for j in range(n) if incoming[j]]
    sources = [incoming[j] for j in targets]
    rank = list(jump)
    iterations = 0
    mul, sub = operator.mul, operator.sub
    while iterations < MAX_ITERATIONS:
        iterations += 1
        restart = (1.0 - DAMPING) + DAMPING * sum([rank[i] for i in dangling])
        shares: list[float] = list(map(mul, rank, inv_out))
        get: Callable[[int], float] = shares.__getitem__
        new = [restart * share for share in jump]
        for target, voters in zip(targets, sources, strict=True):
            new[target] += DAMPING * sum(map(get, voters))
        delta = sum(map(abs, map(sub, new, rank)))
        rank = new
        if delta < TOLERANCE:
            break
    return rank, iterations


def rank(files: Sequence[AnalyzedFile]) -> Ranking:
    """Rank every defined name of ``files`` (any order in, the same answer out)."""
    ordered = sorted(files, key=lambda f: f.path)
    defs: dict[str, list[tuple[AnalyzedFile, Symbol]]] = {}
    for f in ordered:
        for s in f.facts.symbols:
            if s.name == MODULE_SYMBOL or _is_dunder(s.name) or s.name in BUILTIN_NAMES:
                continue
            defs.setdefault(s.name, []).append((f, s))
    names = sorted(defs)
    module_nodes = sorted(
        {
            f"{MODULE_SYMBOL}:{f.path}"
            for f in ordered
            for s in f.facts.symbols
            if s.name == MODULE_SYMBOL
        }
    )
    index = {name: i for i, name in enumerate(names + module_nodes)}
    edges: dict[tuple[int, int], int] = {}
    inbound: dict[int, set[int]] = {}

    def link(src: int, target: str, weight: int) -> None:
        dst = index.get(target)
        if dst is None or dst == src or dst >= len(names):
            return
        key = (src, dst)
        edges[key] = min(MAX_EDGE_WEIGHT, edges.get(key, 0) + weight)
        inbound.setdefault(dst, set()).add(src)

    for f in ordered:
        for s in f.facts.symbols:
            if s.name == MODULE_SYMBOL:
                src_name = f"{MODULE_SYMBOL}:{f.path}"
            elif _is_dunder(s.name) or s.name in BUILTIN_NAMES:
                parts = s.qualname.split(".")
                if len(parts) < 2:
                    continue
                src_name = parts[-2]  # a dunder method speaks for its class
            else:
                src_name = s.name
            src = index.get(src_name)
            if src is None:
                continue
            for call in s.calls:
                if call in s.raises:
                    continue  # `raise E(...)` is one reference, counted below
                if call[0] == ".":
                    if call[1:] not in BUILTIN_METHODS:
                        link(src, call[1:], 1)
                elif call not in BUILTIN_NAMES:
                    link(src, call, 1)
            for group, weight in ((s.bases, 2), (s.decorators, 2), (s.raises, 1), (s.catches, 1)):
                for target in group:
                    link(src, target, weight)

    # Test code restarts the surfer less often: it votes, but a test suite ten times the size of
    # the code (the standard library's) must not drown out the code's own structure.
    test_names = {n for n in names if all(f.is_test for f, _ in defs[n])}
    test_modules = {f"{MODULE_SYMBOL}:{f.path}" for f in ordered if f.is_test}
    weights = [
        TEST_TELEPORT if (n in test_names or n in test_modules) else 1.0
        for n in names + module_nodes
    ]
    total = sum(weights)
    scores, iterations = pagerank(len(index), edges, [w / total for w in weights])
    listed = listed_names(
        (
            f.path,
            f.facts.language,
            f.facts.exports,
            frozenset(s.name for s in f.facts.symbols),
        )
        for f in ordered
        if not f.is_test and f.facts.exports
    )
    methods_of: dict[str, set[str]] = {}
    for f in ordered:
        if f.is_test:
            continue
        for sym in f.facts.symbols:
            if sym.kind == "method" and "." in sym.qualname:
                methods_of.setdefault(sym.qualname.split(".")[-2], set()).add(sym.name)
    out: list[RankedSymbol] = []
    for name in names:
        candidates = [(f, s) for f, s in defs[name] if not f.is_test]
        if not candidates:
            continue  # defined only in tests: never a winner
        # The definition shown: the most public one, then types before functions, then path.
        f, s = min(
            candidates,
            key=lambda fs: (
                bool(demoted_area(fs[0].path)),
                not fs[1].exported,
                _KIND_ORDER.get(fs[1].kind, 9),
                fs[0].path,
                fs[1].line,
                fs[1].qualname,
            ),
        )
        every = [sym for _, sym in candidates]
        surface, signals = surface_score(
            name=name,
            kind=s.kind,
            path=f.path,
            language=f.facts.language,
            exported=any(x.exported for x in every),
            listed_in=listed.get(name, ""),
            doc_lines=max(x.doc_lines for x in every),
            methods=len(methods_of.get(name, ())),
        )
        out.append(
            RankedSymbol(
                name=name,
                qualname=s.qualname,
                kind=s.kind,
                file=f.path,
                line=s.line,
                score=scores[index[name]],
                inbound=len(inbound.get(index[name], ())),
                definitions=len(candidates),
                doc=s.doc,
                is_exception=any(_looks_like_exception(x) for x in every),
                recursive=any(x.recursive for x in every),
                is_async=any(x.is_async for x in every),
                surface=surface,
                signals=signals,
                bases=s.bases,
                methods=tuple(sorted(methods_of.get(name, ())))[:40]
                if s.kind not in ("function", "method")
                else (),
            )
        )
    # The public surface first; centrality (PageRank) only breaks ties.
    out.sort(key=lambda r: (-r.surface, -r.score, r.name))
    del out[KEEP_RANKED:]
    return Ranking(symbols=tuple(out), nodes=len(index), edges=len(edges), iterations=iterations)
