"""JavaScript/TypeScript, Go, Rust and Java facts through light regular expressions.

No parser: comments are blanked (line numbers kept), then patterns find definitions (classes,
interfaces, structs, traits, enums, functions, methods), imports, and error types thrown,
returned or caught. A definition owns the text up to the next definition, and the names called
there become its calls. Good enough to rank and to find concepts; not a compiler.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Callable
from dataclasses import dataclass, field

from video_gen.repoprompt.facts import MODULE_SYMBOL, FileFacts, Symbol

_ID = r"[A-Za-z_$][\w$]*"

# Strings are matched (and kept) only so that comment markers inside them are not taken for
# comments; `'` is not a string quote in Rust (lifetimes).
_COMMENTS = {
    "c": re.compile(
        r"(\"(?:\\.|[^\"\\\n])*\"|'(?:\\.|[^'\\\n])*'|`(?:\\.|[^`\\])*`)"
        r"|//[^\n]*|/\*.*?\*/",
        re.S,
    ),
    "rust": re.compile(r"(\"(?:\\.|[^\"\\])*\")|//[^\n]*|/\*.*?\*/", re.S),
}


def _blank_comments(text: str, style: str) -> str:
    def repl(m: re.Match[str]) -> str:
        if m.group(1) is not None:
            return m.group(0)
        return "\n" * m.group(0).count("\n")

    return _COMMENTS[style].sub(repl, text)


_KEYWORDS = frozenset(
    (
        "if",
        "else",
        "for",
        "while",
        "do",
        "switch",
        "case",
        "return",
        "function",
        "func",
        "fn",
        "new",
        "typeof",
        "instanceof",
        "catch",
        "try",
        "finally",
        "throw",
        "throws",
        "await",
        "async",
        "yield",
        "import",
        "export",
        "from",
        "class",
        "interface",
        "struct",
        "enum",
        "trait",
        "impl",
        "type",
        "match",
        "loop",
        "where",
        "super",
        "this",
        "self",
        "Self",
        "void",
        "delete",
        "in",
        "of",
        "sizeof",
        "defer",
        "go",
        "select",
        "chan",
        "map",
        "range",
        "var",
        "let",
        "const",
        "static",
        "public",
        "private",
        "protected",
        "final",
        "abstract",
        "synchronized",
        "native",
        "default",
        "package",
        "use",
        "mod",
        "pub",
        "unsafe",
        "extern",
        "crate",
        "as",
        "dyn",
        "ref",
        "move",
        "mut",
        "assert",
        "println",
        "print",
        "panic",
        "format",
        "vec",
    )
)

_CALL = re.compile(r"(?<![\w$.])(" + _ID + r")\s*(?:::<[^<>]*>\s*)?\(")
_DOT_CALL = re.compile(r"\.\s*(" + _ID + r")\s*\(")


@dataclass
class _Def:
    pos: int
    name: str
    qualname: str
    kind: str
    bases: list[str] = field(default_factory=list)
    raises: set[str] = field(default_factory=set)
    header_end: int = 0
    is_async: bool = False
    exported: bool = False


@dataclass
class _Found:
    defs: list[_Def] = field(default_factory=list)
    imports: set[str] = field(default_factory=set)
    raises: list[tuple[int, str]] = field(default_factory=list)  # (position, type name)
    catches: list[tuple[int, str]] = field(default_factory=list)
    exports: set[str] = field(default_factory=set)


def _split_names(text: str | None) -> list[str]:
    """``Foo<T>, a.b.Bar`` -> Foo, Bar (generic arguments dropped, last dotted part kept)."""
    if not text:
        return []
    depth = 0
    clean = []
    for ch in text:
        if ch == "<":
            depth += 1
        elif ch == ">":
            depth = max(0, depth - 1)
        elif depth == 0:
            clean.append(ch)
    out = []
    for part in "".join(clean).replace("|", ",").split(","):
        part = part.strip().split("::")[-1].split(".")[-1].strip()
        if re.fullmatch(_ID, part):
            out.append(part)
    return out


# --- JavaScript / TypeScript ------------------------------------------------------------------
_JS_CLASS = re.compile(
    r"\b(?:export\s+)?(?:default\s+)?(?:abstract\s+)?class\s+(" + _ID + r")(?:\s*<[^{]*?>)?"
    r"(?:\s+extends\s+([\w$.]+(?:<[^{]*?>)?))?(?:\s+implements\s+([\w$.,\s<>]+?))?\s*\{"
)
_JS_IFACE = re.compile(
    r"\b(?:export\s+)?interface\s+(" + _ID + r")(?:\s*<[^{]*?>)?"
    r"(?:\s+extends\s+([\w$.,\s<>]+?))?\s*\{"
)
_JS_TYPE = re.compile(r"\b(?:export\s+)?(?:declare\s+)?(type|enum)\s+(" + _ID + r")\b\s*[<={]")
_JS_FUNC = re.compile(
    r"\b(?:export\s+)?(?:default\s+)?(async\s+)?function\s*\*?\s*(" + _ID + r")\s*[<(]"
)
_JS_ARROW = re.compile(
    r"\b(?:export\s+)?(?:const|let|var)\s+(" + _ID + r")\s*(?::[^=\n]+)?=\s*(async\s+)?"
    r"(?:function\b|\([^()]*\)\s*(?::\s*[^=\n]+)?=>|" + _ID + r"\s*=>)"
)
_JS_METHOD = re.compile(
    r"^[ \t]+(?:(?:public|private|protected|static|readonly|override|abstract|get|set)\s+)*"
    r"(async\s+)?\*?(" + _ID + r")\s*(?:<[^()\n]*>)?\s*\([^()]*\)\s*(?::\s*[^{;\n]+)?\{",
    re.M,
)
_JS_THROW = re.compile(r"\bthrow\s+(?:new\s+)?([\w$.]+)")
_JS_CATCH = re.compile(r"\binstanceof\s+([\w$.]*(?:Error|Exception)\w*)")
_JS_IMPORT = re.compile(
    r"""\bimport\s+(?:type\s+)?(?:[^'";]*?\s+from\s+)?['"]([^'"]+)['"]"""
    r"""|\brequire\(\s*['"]([^'"]+)['"]\s*\)|\bimport\(\s*['"]([^'"]+)['"]\s*\)"""
)


_JS_EXPORT_LIST = re.compile(r"\bexport\s*(?:type\s*)?\{([^{}]*)\}")
_JS_EXPORT_DEFAULT = re.compile(r"\bexport\s+default\s+(" + _ID + r")\s*[;\n]")
_JS_MODULE_EXPORTS = re.compile(r"\bmodule\.exports\s*=\s*(?:\{([^{}]*)\}|(" + _ID + r")\s*[;\n])")
_JS_EXPORTS_DOT = re.compile(r"\b(?:module\.)?exports\.(" + _ID + r")\s*=")


def _js_exports(text: str, f: _Found) -> None:
    for m in _JS_EXPORT_LIST.finditer(text):
        for part in m.group(1).split(","):
            words_ = part.split()
            if words_:
                f.exports.add(words_[-1] if "as" in words_ else words_[0])
    for m in _JS_EXPORT_DEFAULT.finditer(text):
        f.exports.add(m.group(1))
    for m in _JS_MODULE_EXPORTS.finditer(text):
        if m.group(2):
            f.exports.add(m.group(2))
        else:
            for part in m.group(1).split(","):
                key = part.split(":")[0].strip()
                if re.fullmatch(_ID, key):
                    f.exports.add(key)
    for m in _JS_EXPORTS_DOT.finditer(text):
        f.exports.add(m.group(1))


def _find_js(text: str) -> _Found:
    f = _Found()
    _js_exports(text, f)
    classes: list[tuple[int, str]] = []
    for m in _JS_CLASS.finditer(text):
        bases = _split_names(m.group(2)) + _split_names(m.group(3))
        f.defs.append(_Def(m.start(), m.group(1), m.group(1), "class", bases, header_end=m.end()))
        classes.append((m.start(), m.group(1)))
    for m in _JS_IFACE.finditer(text):
        f.defs.append(
            _Def(
                m.start(),
                m.group(1),
                m.group(1),
                "interface",
                _split_names(m.group(2)),
                header_end=m.end(),
            )
        )
    for m in _JS_TYPE.finditer(text):
        f.defs.append(_Def(m.start(), m.group(2), m.group(2), m.group(1), header_end=m.end()))
    for m in _JS_FUNC.finditer(text):
        f.defs.append(
            _Def(
                m.start(),
                m.group(2),
                m.group(2),
                "function",
                header_end=m.end(),
                is_async=bool(m.group(1)),
            )
        )
    for m in _JS_ARROW.finditer(text):
        f.defs.append(
            _Def(
                m.start(),
                m.group(1),
                m.group(1),
                "function",
                header_end=m.end(),
                is_async=bool(m.group(2)),
            )
        )
    starts = [p for p, _ in classes]
    for m in _JS_METHOD.finditer(text):
        name = m.group(2)
        if name in _KEYWORDS or name == "constructor":
            continue
        i = bisect.bisect_right(starts, m.start()) - 1
        owner = classes[i][1] + "." if i >= 0 else ""
        f.defs.append(
            _Def(
                m.start(2),
                name,
                owner + name,
                "method" if owner else "function",
                header_end=m.end(),
                is_async=bool(m.group(1)),
            )
        )
    for d in f.defs:
        d.exported = text.startswith("export", d.pos) or d.name in f.exports
    for m in _JS_THROW.finditer(text):
        f.raises.append((m.start(), m.group(1).split(".")[-1]))
    for m in _JS_CATCH.finditer(text):
        f.catches.append((m.start(), m.group(1).split(".")[-1]))
    for m in _JS_IMPORT.finditer(text):
        f.imports.add(m.group(1) or m.group(2) or m.group(3))
    return f


# --- Go ---------------------------------------------------------------------------------------
_GO_FUNC = re.compile(
    r"^func\s+(?:\(\s*(?:\w+\s+)?\*?\s*(\w+)(?:\[[^\]]*\])?\s*\)\s*)?(\w+)\s*(?:\[[^\]]*\])?\(",
    re.M,
)
_GO_TYPE = re.compile(r"^(?:type\s+|\t| {4})(\w+)(?:\[[^\]\n]*\])?\s+(struct|interface)\s*\{", re.M)
_GO_NAMED_TYPE = re.compile(r"^type\s+(\w+)(?:\[[^\]\n]*\])?\s+(?!struct\b|interface\b|=)\S", re.M)
_GO_ERRVAR = re.compile(r"\b(Err\w*|\w+Error)\s*=\s*(?:errors\.New|fmt\.Errorf)\(")
_GO_RETERR = re.compile(r"\breturn\b[^\n]*?&?\b([A-Z]\w*Error)\s*\{")
_GO_NEWERR = re.compile(r"\b(errors\.New|fmt\.Errorf|panic)\s*\(")
_GO_IS = re.compile(r"\berrors\.(?:Is|As)\(\s*\w+\s*,\s*&?([\w.]+)\s*\)")
_GO_IMPORT_ONE = re.compile(r"^import\s+(?:\w+\s+)?\"([^\"]+)\"", re.M)
_GO_IMPORT_BLOCK = re.compile(r"^import\s*\(([^)]*)\)", re.M | re.S)
_GO_QUOTED = re.compile(r"\"([^\"]+)\"")


def _find_go(text: str) -> _Found:
    f = _Found()
    for m in _GO_FUNC.finditer(text):
        recv, name = m.group(1), m.group(2)
        f.defs.append(
            _Def(
                m.start(),
                name,
                f"{recv}.{name}" if recv else name,
                "method" if recv else "function",
                header_end=m.end(),
            )
        )
    for m in _GO_TYPE.finditer(text):
        f.defs.append(
            _Def(
                m.start(),
                m.group(1),
                m.group(1),
                "struct" if m.group(2) == "struct" else "interface",
                header_end=m.end(),
            )
        )
    for m in _GO_NAMED_TYPE.finditer(text):  # `type HandlerFunc func(*Context)`
        f.defs.append(_Def(m.start(), m.group(1), m.group(1), "type", header_end=m.end() - 1))
    for m in _GO_ERRVAR.finditer(text):
        f.defs.append(_Def(m.start(), m.group(1), m.group(1), "error", header_end=m.end()))
    for d in f.defs:
        d.exported = d.name[:1].isupper()
    for m in _GO_RETERR.finditer(text):
        f.raises.append((m.start(1), m.group(1)))
    for m in _GO_NEWERR.finditer(text):
        f.raises.append((m.start(), "panic" if m.group(1) == "panic" else "error"))
    for m in _GO_IS.finditer(text):
        f.catches.append((m.start(), m.group(1).split(".")[-1]))
    for m in _GO_IMPORT_ONE.finditer(text):
        f.imports.add(m.group(1))
    for m in _GO_IMPORT_BLOCK.finditer(text):
        f.imports.update(_GO_QUOTED.findall(m.group(1)))
    return f


# --- Rust -------------------------------------------------------------------------------------
_RS_FN = re.compile(
    r"^([ \t]*)(?:pub(?:\([^)]*\))?\s+)?(?:default\s+)?(?:const\s+)?(async\s+)?(?:unsafe\s+)?"
    r"(?:extern\s+\"[^\"]*\"\s+)?fn\s+(\w+)",
    re.M,
)
_RS_TYPE = re.compile(r"^\s*(?:pub(?:\([^)]*\))?\s+)?(struct|enum|trait|union)\s+(\w+)", re.M)
_RS_ALIAS = re.compile(r"^\s*(?:pub(?:\([^)]*\))?\s+)?type\s+(\w+)(?:<[^>=]*>)?\s*=", re.M)
_RS_IMPL = re.compile(r"^impl(?:\s*<[^{]*?>)?\s+(?:([\w:]+)(?:<[^{]*?>)?\s+for\s+)?([\w:]+)", re.M)
_RS_ERR = re.compile(r"\bErr\(\s*([A-Z]\w*)")
_RS_PANIC = re.compile(r"\b(panic|unreachable|todo|unimplemented)!")
_RS_CATCH = re.compile(r"\bErr\(\s*([A-Z]\w*)(?:::\w+)?(?:\([^)]*\))?\s*\)\s*=>")
_RS_USE = re.compile(r"^\s*(?:pub\s+)?use\s+([\w:]+)", re.M)
_RS_PUB_USE = re.compile(r"^\s*pub\s+use\s+([^;]+);", re.M)
_RS_PUB = re.compile(r"\bpub\s")  # `pub`, not `pub(crate)`


def _find_rust(text: str) -> _Found:
    f = _Found()
    impls: list[tuple[int, str, str | None]] = []
    for m in _RS_IMPL.finditer(text):
        impls.append(
            (
                m.start(),
                m.group(2).split("::")[-1],
                m.group(1).split("::")[-1] if m.group(1) else None,
            )
        )
    starts = [p for p, _, _ in impls]
    for m in _RS_FN.finditer(text):
        name, indented = m.group(3), bool(m.group(1))
        i = bisect.bisect_right(starts, m.start()) - 1
        owner = impls[i][1] if indented and i >= 0 else None
        f.defs.append(
            _Def(
                m.start(),
                name,
                f"{owner}.{name}" if owner else name,
                "method" if owner else "function",
                header_end=m.end(),
                is_async=bool(m.group(2)),
            )
        )
    traits: dict[str, set[str]] = {}
    for _, ty, trait in impls:
        if trait:
            traits.setdefault(ty, set()).add(trait)
    for m in _RS_TYPE.finditer(text):
        name = m.group(2)
        f.defs.append(
            _Def(
                m.start(), name, name, m.group(1), sorted(traits.get(name, ())), header_end=m.end()
            )
        )
    for m in _RS_ALIAS.finditer(text):
        f.defs.append(_Def(m.start(), m.group(1), m.group(1), "type", header_end=m.end()))
    for m in _RS_ERR.finditer(text):
        f.raises.append((m.start(), m.group(1)))
    for m in _RS_PANIC.finditer(text):
        f.raises.append((m.start(), "panic"))
    for m in _RS_CATCH.finditer(text):
        f.catches.append((m.start(), m.group(1)))
    for m in _RS_USE.finditer(text):
        f.imports.add(m.group(1).rstrip(":"))
    for m in _RS_PUB_USE.finditer(text):
        body = m.group(1)
        for part in re.split(r"[{},]", body):
            part = part.strip()
            if not part or part.endswith("*"):
                continue
            name = part.split(" as ")[-1].strip().split("::")[-1].strip()
            if re.fullmatch(r"[A-Za-z_]\w*", name) and name not in ("self", "crate", "super"):
                f.exports.add(name)
    for d in f.defs:
        d.exported = bool(_RS_PUB.search(text, d.pos, d.header_end))
    return f


# --- Java -------------------------------------------------------------------------------------
_JAVA_TYPE = re.compile(
    r"\b(class|interface|enum|record)\s+(\w+)(?:\s*<[^{]*?>)?(?:\s*\([^)]*\))?"
    r"(?:\s+extends\s+([\w.,\s<>]+?))?(?:\s+implements\s+([\w.,\s<>]+?))?\s*\{"
)
_JAVA_METHOD = re.compile(
    r"^[ \t]+(?:(?:public|protected|private|static|final|abstract|synchronized|native|default)"
    r"\s+)*(?:<[^>\n]+>\s+)?[\w.<>\[\],? ]+?\s+(\w+)\s*\([^()]*\)\s*"
    r"(?:throws\s+([\w.,\s]+?))?\s*\{",
    re.M,
)
_JAVA_THROW = re.compile(r"\bthrow\s+new\s+([\w.]+)")
_JAVA_CATCH = re.compile(r"\bcatch\s*\(\s*(?:final\s+)?([\w.|\s]+?)\s+\w+\s*\)")
_JAVA_IMPORT = re.compile(r"^\s*import\s+(?:static\s+)?([\w.]+)", re.M)


def _find_java(text: str) -> _Found:
    f = _Found()
    classes: list[tuple[int, str]] = []
    for m in _JAVA_TYPE.finditer(text):
        bases = _split_names(m.group(3)) + _split_names(m.group(4))
        f.defs.append(
            _Def(m.start(), m.group(2), m.group(2), m.group(1), bases, header_end=m.end())
        )
        classes.append((m.start(), m.group(2)))
    starts = [p for p, _ in classes]
    for m in _JAVA_METHOD.finditer(text):
        name = m.group(1)
        if name in _KEYWORDS:
            continue
        i = bisect.bisect_right(starts, m.start()) - 1
        owner = classes[i][1] + "." if i >= 0 else ""
        d = _Def(m.start(1), name, owner + name, "method", header_end=m.end())
        d.raises.update(_split_names(m.group(2)))
        f.defs.append(d)
    for d in f.defs:
        line_start = text.rfind("\n", 0, d.pos) + 1
        d.exported = "public" in text[line_start : d.header_end]
    for m in _JAVA_THROW.finditer(text):
        f.raises.append((m.start(), m.group(1).split(".")[-1]))
    for m in _JAVA_CATCH.finditer(text):
        for name in _split_names(m.group(1)):
            f.catches.append((m.start(), name))
    for m in _JAVA_IMPORT.finditer(text):
        f.imports.add(m.group(1))
    return f


_FINDERS: dict[str, tuple[Callable[[str], _Found], str]] = {
    "javascript": (_find_js, "c"),
    "typescript": (_find_js, "c"),
    "go": (_find_go, "c"),
    "rust": (_find_rust, "rust"),
    "java": (_find_java, "c"),
}
PATTERN_LANGUAGES = tuple(sorted(_FINDERS))


_COMMENT_LINE = ("//", "/*", "*", "#")  # `#` only reaches here as Rust's `#[attr]`


def _doc_lines(lines: list[str], line: int) -> int:
    """Comment lines right above 1-based ``line`` (attributes and decorators skipped)."""
    n = 0
    i = line - 2
    while i >= 0:
        stripped = lines[i].strip()
        if stripped.startswith(("#[", "@")):
            i -= 1
            continue
        if not stripped.startswith(_COMMENT_LINE) or stripped.startswith("#!"):
            break
        n += 1
        i -= 1
    return n


def extract_patterns(data: bytes, language: str) -> FileFacts:
    """Facts of one file in a pattern-extracted language."""
    try:
        raw = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return FileFacts.skip(language, "encoding")
    finder, comment_style = _FINDERS[language]
    raw_lines = raw.split("\n")
    text = _blank_comments(raw, comment_style)
    found = finder(text)
    # One definition per position (a method may also look like a function to a second pattern).
    defs: dict[int, _Def] = {}
    for d in found.defs:
        defs.setdefault(d.pos, d)
    ordered = sorted(defs.values(), key=lambda d: (d.pos, d.name))
    starts = [d.pos for d in ordered]
    line_starts = [0] + [m.end() for m in re.finditer("\n", text)]
    calls: list[set[str]] = [set() for _ in ordered]
    raises: list[set[str]] = [set(d.raises) for d in ordered]
    catches: list[set[str]] = [set() for _ in ordered]
    module_calls: set[str] = set()
    module_raises: set[str] = set()
    module_catches: set[str] = set()

    def owner(pos: int) -> int:
        return bisect.bisect_right(starts, pos) - 1

    for m in _CALL.finditer(text):
        name = m.group(1)
        if name in _KEYWORDS:
            continue
        i = owner(m.start())
        if i >= 0 and m.start() < ordered[i].header_end:
            continue  # the definition's own header, not a call
        (calls[i] if i >= 0 else module_calls).add(name)
    for m in _DOT_CALL.finditer(text):
        i = owner(m.start())
        if i >= 0 and m.start() < ordered[i].header_end:
            continue
        (calls[i] if i >= 0 else module_calls).add("." + m.group(1))
    for pos, name in found.raises:
        i = owner(pos)
        (raises[i] if i >= 0 else module_raises).add(name)
    for pos, name in found.catches:
        i = owner(pos)
        (catches[i] if i >= 0 else module_catches).add(name)

    symbols: list[Symbol] = []
    for i, d in enumerate(ordered):
        own = calls[i]
        symbols.append(
            Symbol(
                name=d.name,
                qualname=d.qualname,
                kind=d.kind,
                line=bisect.bisect_right(line_starts, d.pos),
                bases=tuple(sorted(set(d.bases) - {d.name})),
                calls=tuple(sorted(own)),
                raises=tuple(sorted(raises[i])),
                catches=tuple(sorted(catches[i])),
                is_async=d.is_async,
                exported=d.exported,
                doc_lines=_doc_lines(raw_lines, bisect.bisect_right(line_starts, d.pos)),
                recursive=d.kind
                not in (
                    "class",
                    "struct",
                    "interface",
                    "enum",
                    "trait",
                    "record",
                    "type",
                    "union",
                    "error",
                )
                and (d.name in own or "." + d.name in own),
            )
        )
    if module_calls or module_raises or module_catches:
        symbols.append(
            Symbol(
                name=MODULE_SYMBOL,
                qualname=MODULE_SYMBOL,
                kind="module",
                line=1,
                calls=tuple(sorted(module_calls)),
                raises=tuple(sorted(module_raises)),
                catches=tuple(sorted(module_catches)),
            )
        )
    symbols.sort(key=lambda s: (s.line, s.qualname))
    return FileFacts(
        language=language,
        imports=tuple(sorted(i for i in found.imports if i)),
        symbols=tuple(symbols),
        exports=tuple(sorted(found.exports)),
    )
