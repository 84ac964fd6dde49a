"""prompt-from-repo, stage by stage: scan, extract, rank, concepts, compose, fit, cache."""

from __future__ import annotations

import itertools
import json
import os
import re
import subprocess
from pathlib import Path
from typing import Any

import pytest
from test_repoprompt_fixtures import (  # noqa: F401 - pytest fixtures, used as parameters
    age,
    env,
    make_repo,
    repo,
    write,
)

from video_gen.errors import ConfigError, UsageError
from video_gen.repoprompt import fit as fitmod
from video_gen.repoprompt.analysis import analyze
from video_gen.repoprompt.compose import P_ESSENTIAL, Piece, render
from video_gen.repoprompt.extract import extract_bytes
from video_gen.repoprompt.extract_python import decode_python
from video_gen.repoprompt.facts import AnalyzedFile, FileFacts, is_test_path, words
from video_gen.repoprompt.fit import LEVEL_ORDER, LEVELS, fit, load_counter
from video_gen.repoprompt.metadata import read_metadata, readme_paragraph
from video_gen.repoprompt.pipeline import build
from video_gen.repoprompt.rank import pagerank, rank
from video_gen.repoprompt.scan import ScanOptions, scan
from video_gen.repoprompt.scrub import scrub, secret_shaped
from video_gen.repoprompt.styles import load_style, packaged_styles
from video_gen.repoprompt.surface import mention_counts
from video_gen.repoprompt.world import archetype_of, infer_kind, load_library


@pytest.fixture(autouse=True)
def _isolated(env: Path) -> None:
    """Every test: VIDEO_GEN_HOME in a temp dir."""


def _facts(repo_root: Path, rel: str) -> FileFacts:
    language = {"py": "python", "ts": "typescript", "go": "go", "js": "javascript"}[
        rel.rsplit(".", 1)[1]
    ]
    return extract_bytes((repo_root / rel).read_bytes(), language)


def _analyzed(repo_root: Path) -> list[AnalyzedFile]:
    scanned = scan(repo_root)
    out = []
    for f in scanned.files:
        facts = extract_bytes((repo_root / f.path).read_bytes(), f.language)
        out.append(AnalyzedFile(f.path, "", is_test_path(f.path), "", facts))
    return out


# -- scan -------------------------------------------------------------------------------------
def test_scan_lists_sources_and_counts_what_it_skips(repo: Path) -> None:
    result = scan(repo)
    paths = [f.path for f in result.files]
    assert paths == sorted(paths)
    assert paths == [
        "conftest.py",
        "nested/keep.gen.py",
        "shop/__init__.py",
        "shop/blob.py",
        "shop/broken.py",
        "shop/cache.py",
        "shop/cookie.py",
        "shop/latin.py",
        "shop/payments.py",
        "shop/tree.py",
        "svc/server.go",
        "tests/test_payments.py",
        "web/client.ts",
        "web/minified.js",
    ]
    skipped = dict(result.skipped)
    assert skipped["secret_keys.py"] == "gitignored"
    assert skipped["generated"] == "gitignored"  # an ignored folder is not entered
    assert skipped["nested/skip.gen.py"] == "gitignored"  # nested .gitignore
    assert skipped["node_modules"] == "vendored"
    assert skipped["shop/huge.py"] == "too_large"
    assert skipped["link_out.py"] == "link_outside_root"
    assert skipped["link_in.py"] == "link"  # never followed: its target is scanned in place
    assert result.other_files >= 3  # README.md, pyproject.toml, notes.txt: not code


def test_scan_honours_size_option_and_virtualenvs(tmp_path: Path) -> None:
    write(tmp_path, "a.py", "x = 1\n" * 100)
    write(tmp_path, "venv/pyvenv.cfg", "home = /usr\n")
    write(tmp_path, "venv/lib/site.py", "def f(): pass\n")
    write(tmp_path, "env_not_a_venv/mod.py", "def g(): pass\n")
    result = scan(tmp_path, ScanOptions(max_file_bytes=50))
    assert dict(result.skipped) == {"a.py": "too_large", "venv": "vendored"}
    assert [f.path for f in result.files] == ["env_not_a_venv/mod.py"]


@pytest.mark.parametrize("bad", ["!", "\\", "[z-a]", "[", "!\\"])
def test_invalid_gitignore_lines_are_ignored_like_git_does(tmp_path: Path, bad: str) -> None:
    # git skips a pattern it cannot use; the valid lines around it still apply.
    write(tmp_path, ".gitignore", f"{bad}\n*.gen.py\n")
    write(tmp_path, "a.py", "def f(): pass\n")
    write(tmp_path, "b.gen.py", "def g(): pass\n")
    write(tmp_path, "sub/.gitignore", f"{bad}\n")
    write(tmp_path, "sub/c.py", "def h(): pass\n")
    result = scan(tmp_path)
    assert [f.path for f in result.files] == ["a.py", "sub/c.py"]
    assert dict(result.skipped) == {"b.gen.py": "gitignored"}


def test_a_deeply_nested_manifest_is_not_a_crash(tmp_path: Path) -> None:
    write(tmp_path, "package.json", '{"a":' * 50_000 + "1" + "}" * 50_000)
    write(tmp_path, "pyproject.toml", "a = " + "[" * 50_000 + "]" * 50_000 + "\n")
    write(tmp_path, "Cargo.toml", "a = " + "{b=" * 30_000 + "1" + "}" * 30_000 + "\n")
    write(tmp_path, "index.js", "export function hello() { return 1 }\n")
    meta = read_metadata(tmp_path, git=False)
    assert meta.name == tmp_path.name and meta.description == ""


def test_scan_rejects_a_missing_path(tmp_path: Path) -> None:
    with pytest.raises(UsageError):
        scan(tmp_path / "nope")
    write(tmp_path, "file.py", "")
    with pytest.raises(UsageError):
        scan(tmp_path / "file.py")


# -- extract ----------------------------------------------------------------------------------
def test_python_extraction(repo: Path) -> None:
    facts = _facts(repo, "shop/payments.py")
    assert facts.skipped is None
    assert facts.doc == "Payments with retries."
    assert facts.imports == ("requests", "time")
    by_name = {s.qualname: s for s in facts.symbols}
    assert set(by_name) == {
        "PaymentError",
        "RetryPolicy",
        "RetryPolicy.should_retry",
        "with_retry",
        "charge",
        "refund",
        "checkout",
    }
    assert by_name["PaymentError"].bases == ("Exception",)
    assert by_name["PaymentError"].doc == "A payment failed."
    assert by_name["RetryPolicy.should_retry"].kind == "method"
    charge = by_name["charge"]
    assert charge.decorators == ("with_retry",)
    assert charge.raises == ("PaymentError",)
    assert ".post" in charge.calls and "PaymentError" in charge.calls
    assert by_name["refund"].catches == ("PaymentError", "ValueError")
    wrapper = by_name["with_retry"]  # the nested wrapper belongs to its decorator
    assert {"RetryPolicy", ".should_retry", ".sleep"} <= set(wrapper.calls)
    assert wrapper.catches == ("PaymentError",)
    assert _facts(repo, "shop/tree.py").symbols[-1].recursive is False
    assert {s.name: s.recursive for s in _facts(repo, "shop/tree.py").symbols} == {
        "walk_tree": True,
        "charge_all": False,
    }
    assert "shop.payments" in _facts(repo, "shop/cache.py").imports


def test_content_checks_skip_and_count(repo: Path) -> None:
    assert _facts(repo, "shop/broken.py").skipped == "syntax_error"
    assert _facts(repo, "shop/latin.py").skipped == "encoding"
    assert _facts(repo, "shop/blob.py").skipped == "binary"
    assert _facts(repo, "web/minified.js").skipped == "long_lines"
    cookie = _facts(repo, "shop/cookie.py")  # a PEP 263 cookie is honoured
    assert cookie.skipped is None and cookie.symbols[0].name == "café"
    assert decode_python(b"\xff\xfe") is None
    deep = b"x = " + b"(\n" * 3000 + b")\n" * 3000
    assert extract_bytes(deep, "python").skipped in ("syntax_error", "too_complex")


def test_typescript_extraction(repo: Path) -> None:
    facts = _facts(repo, "web/client.ts")
    by_name = {s.qualname: s for s in facts.symbols}
    assert "Fake" not in by_name  # comments are blanked first
    assert by_name["ApiClient"].kind == "class"
    assert by_name["ApiClient"].bases == ("BaseClient", "Closeable")
    assert by_name["TimeoutError"].bases == ("Error",)
    assert by_name["ApiClient.fetchOrders"].is_async
    assert ".request" in by_name["ApiClient.fetchOrders"].calls
    assert by_name["retryFetch"].raises == ("TimeoutError",)
    assert by_name["parseOrder"].kind == "function"
    assert facts.imports == ("./base", "axios")


def test_go_extraction(repo: Path) -> None:
    facts = _facts(repo, "svc/server.go")
    by_name = {s.qualname: s for s in facts.symbols}
    assert by_name["OrderQueue"].kind == "struct"
    assert by_name["OrderQueue.Enqueue"].kind == "method"
    assert by_name["ErrNotFound"].kind == "error"
    assert ".Enqueue" in by_name["handle"].calls
    assert facts.imports == ("errors", "net/http")


def test_rust_and_java_extraction() -> None:
    rust = extract_bytes(
        b"""
use std::collections::HashMap;
pub struct Store { m: HashMap<String, u32> }
impl Display for Store {}
impl Store {
    pub fn get(&self, k: &str) -> Result<u32, StoreError> {
        self.m.get(k).copied().ok_or(StoreError::Missing)
    }
    fn load(&self) -> Result<(), StoreError> { Err(StoreError::Io) }
}
pub enum StoreError { Missing, Io }
""",
        "rust",
    )
    by_name = {s.qualname: s for s in rust.symbols}
    assert by_name["Store"].bases == ("Display",)
    assert by_name["Store.load"].raises == ("StoreError",)
    assert by_name["StoreError"].kind == "enum"
    java = extract_bytes(
        b"""
import java.util.List;
public class Repo extends Base implements AutoCloseable {
    public List<String> find(String q) throws IOException {
        try { return load(q); }
        catch (IllegalStateException | IOException e) { throw new RepoException(e); }
    }
}
""",
        "java",
    )
    by_name = {s.qualname: s for s in java.symbols}
    assert by_name["Repo"].bases == ("AutoCloseable", "Base")
    assert by_name["Repo.find"].raises == ("IOException", "RepoException")
    assert by_name["Repo.find"].catches == ("IOException", "IllegalStateException")
    assert java.imports == ("java.util.List",)


def test_facts_round_trip_through_json(repo: Path) -> None:
    facts = _facts(repo, "shop/payments.py")
    assert FileFacts.from_json(facts.to_json()) == facts


def test_test_paths_and_words() -> None:
    for p in (
        "tests/test_a.py",
        "pkg/tests/x.py",
        "conftest.py",
        "a/b_test.go",
        "web/x.spec.ts",
        "src/test/java/FooTest.java",
        "test_x.py",
    ):
        assert is_test_path(p), p
    for p in ("shop/payments.py", "contest.py", "latest.py", "src/attest.ts"):
        assert not is_test_path(p), p
    assert words("HTTPRetryPolicy") == ("http", "retry", "policy")
    assert words("parse_args") == ("parse", "args")


# -- metadata ---------------------------------------------------------------------------------
def test_readme_paragraph_skips_headings_badges_and_code() -> None:
    text = "# T\n\n[![b](u)](v)\n\n```\ncode here\n```\n\nDoes **one** thing [well](x).\n"
    assert readme_paragraph(text) == "Does one thing well."
    assert readme_paragraph("Title\n=====\n\nRST prose that counts.\n") == "RST prose that counts."


# -- rank -------------------------------------------------------------------------------------
def test_pagerank_is_deterministic_and_favours_the_referenced() -> None:
    edges = {(1, 0): 1, (2, 0): 1, (3, 0): 2, (0, 1): 1}
    scores, iterations = pagerank(4, edges)
    assert scores == pagerank(4, dict(reversed(list(edges.items()))))[0]
    assert max(range(4), key=scores.__getitem__) == 0
    assert abs(sum(scores) - 1.0) < 1e-6 and iterations > 1


def test_ranking_top_symbols_exclude_tests_and_builtins(repo: Path) -> None:
    ranking = rank(_analyzed(repo))
    names = [s.name for s in ranking.symbols]
    assert "charge" in names[:10]  # public, called from everywhere (types come first)
    assert "PaymentError" in names[:6]
    for hidden in (
        "helper_make_order",
        "test_charge",
        "fixture_thing",
        "len",
        "Exception",
        "ValueError",
        "__init__",
    ):
        assert hidden not in names
    assert ranking == rank(list(reversed(_analyzed(repo))))  # input order does not matter
    last = ranking.symbols[-1]
    tied = [s for s in ranking.symbols if (s.surface, s.score) == (last.surface, last.score)]
    assert [s.name for s in tied] == sorted(s.name for s in tied)  # ties broken by name


# -- the public surface ----------------------------------------------------------------------
def test_export_lists_docs_and_privacy_outrank_centrality(tmp_path: Path) -> None:
    write(tmp_path, "pkg/__init__.py", 'from .core import Widget\n__all__ = ["Widget"]\n')
    write(
        tmp_path,
        "pkg/core.py",
        "class Widget:\n"
        '    """A widget.\n\n    Longer story.\n    And more.\n    """\n'
        "    def a(self): return _helper()\n"
        "    def b(self): return _helper()\n"
        "    def c(self): return _helper()\n\n"
        "def public_fn():\n    return _helper()\n\n"
        "def _helper():\n    return 1\n",
    )
    write(tmp_path, "pkg/_impl.py", "def hidden():\n    return 1\n")
    write(
        tmp_path,
        "examples/demo.py",
        "from pkg.core import _helper\n\ndef demo():\n    _helper(); _helper()\n",
    )
    ranking = rank(_analyzed(tmp_path))
    names = [s.name for s in ranking.symbols]
    by_name = {s.name: s for s in ranking.symbols}
    # _helper is the most central name (everything calls it), and still comes last but one.
    assert max(ranking.symbols, key=lambda s: s.score).name == "_helper"
    assert names[0] == "Widget", names
    assert names.index("public_fn") < names.index("_helper")
    assert "listed in pkg/__init__.py" in by_name["Widget"].signals
    assert "documented (5 lines)" in by_name["Widget"].signals
    assert "3 methods" in by_name["Widget"].signals
    assert "private" in by_name["_helper"].signals and "private" in by_name["hidden"].signals
    assert by_name["_helper"].surface < 0 < by_name["public_fn"].surface
    assert "in examples/" in by_name["demo"].signals


def test_export_lists_in_other_languages() -> None:
    js = extract_bytes(
        b"export class Router {}\nfunction chunk(a) { return a }\nexport { chunk }\n"
        b"module.exports = { debounce, throttle: t };\n",
        "javascript",
    )
    assert set(js.exports) == {"chunk", "debounce", "throttle"}
    assert {s.name: s.exported for s in js.symbols if s.kind != "module"} == {
        "Router": True,
        "chunk": True,
    }
    rs = extract_bytes(
        b"pub use crate::builder::{Arg, Command as Cmd};\npub struct Arg {}\nstruct Hidden {}\n"
        b"impl Arg {\n    pub fn new() -> Self { Arg {} }\n    pub(crate) fn inner() {}\n}\n",
        "rust",
    )
    assert rs.exports == ("Arg", "Cmd")
    assert {s.name: s.exported for s in rs.symbols} == {
        "Arg": True,
        "Hidden": False,
        "new": True,
        "inner": False,
    }
    go = extract_bytes(
        b"package gin\n\ntype HandlerFunc func(*Context)\ntype engine struct {}\n"
        b"// Engine is the framework's instance.\n// It holds the router.\n"
        b"type Engine struct {}\n",
        "go",
    )
    assert {s.name: (s.kind, s.exported, s.doc_lines) for s in go.symbols} == {
        "HandlerFunc": ("type", True, 0),
        "engine": ("struct", False, 0),
        "Engine": ("struct", True, 2),
    }


def test_readme_mentions_count_identifiers_not_english() -> None:
    text = "Render a Table with the Console.\n\n```python\nconsole.render(table)\n```\n"
    counts = mention_counts(text + "Use `add_column` and safeParse.\n")
    assert counts.get("render") == 1  # only inside the code block
    assert "Table" not in counts and "Console" not in counts  # English at a sentence start
    assert counts["add_column"] == 1 and counts["safeParse"] == 1


def test_minified_and_generated_code_is_never_read() -> None:
    minified = b"!function(e,t){" + b"var a=e.b,c=t.d,f=a(c);" * 300 + b"}"
    assert extract_bytes(minified, "javascript").skipped == "minified"
    short_names = b"\n".join([b"var a=b(c,d),e=f(g,h),i=j(k,l),m=n(o,p);"] * 200)
    assert extract_bytes(short_names, "javascript").skipped == "minified"
    generated = b"// Code generated by protoc-gen-go. DO NOT EDIT.\npackage pb\nfunc X() {}\n"
    assert extract_bytes(generated, "go").skipped == "generated"
    normal = b"\n".join(
        [b"def handle_request(request, response):", b"    return response.send(request)"] * 100
    )
    assert extract_bytes(normal, "python").skipped is None


# -- the project's kind, its world, the cast ---------------------------------------------------
def test_kind_comes_from_evidence_and_roles_from_what_a_symbol_is() -> None:
    lib = load_library()
    web = infer_kind(
        lib,
        description="A lightweight web framework",
        readme="Route requests to views with middleware.",
        names=["Router", "Blueprint"],
        imports=[],
    )
    assert web.kind == "web_framework" and web.world == "railway" and web.evidence
    cli = infer_kind(
        lib, description="Command line argument parser", readme="", names=["Arg"], imports=[]
    )
    assert cli.world == "theatre"
    assert infer_kind(lib, description="", readme="", names=[], imports=[]).world == "workshop"

    def role(name: str, kind: str = "class", bases: tuple[str, ...] = ()) -> str:
        return archetype_of(lib, name=name, kind=kind, bases=bases, methods=(), is_exception=False)[
            0
        ]

    assert role("RouterGroup") == "router"  # its head noun
    assert role("ForeignKey") == "field"  # a key that is a field, not a lock
    assert role("Hash", kind="function") != "schema"
    assert role("add_row", kind="method") == "function"  # a verb phrase is not a database row
    assert role("Thing", bases=("Model",)) == "model"  # what it extends
    assert (
        archetype_of(lib, name="Oops", kind="class", bases=(), methods=(), is_exception=True)[0]
        == "error"
    )
    for world in lib.worlds.values():  # every world can film every role
        assert set(world.roles) == {a.key for a in lib.archetypes}


def test_cast_is_the_public_surface_with_roles_and_evidence(repo: Path) -> None:
    result = build(repo, level="high", workers=1, use_cache=False, git=False)
    data = result.to_json()
    assert data["kind"]["world"] == result.storyboard.world
    cast = data["cast"]
    assert cast and all(c["evidence"] and c["image"] and c["role"] for c in cast)
    assert len({c["image"] for c in cast}) == len(cast)  # one role each
    assert cast[0]["symbol"] != "PaymentError"  # an exception type is the trouble, not the lead
    for c in cast:
        assert c["symbol"] in result.scenes[0].prompt


# -- filmable clips ----------------------------------------------------------------------------
_QUOTED = re.compile(r'"[^"\n]+"')
_BEAT = re.compile(r"^(\d+(?:\.\d+)?)-(\d+(?:\.\d+)?)s: (.*)$", re.M)


@pytest.mark.parametrize("style", ["chaplin", "noir", "keystone", "documentary"])
@pytest.mark.parametrize("scenes", [1, 2, 3, 8, 12])
def test_clips_are_filmable(repo: Path, style: str, scenes: int) -> None:
    result = build(repo, style=style, scenes=scenes, level="high", workers=1, git=False)
    protagonist = None
    uses_cards = load_style(style).title_cards
    peaks = 0
    for s in result.scenes:
        texts = _QUOTED.findall(s.prompt)
        assert len(texts) <= (1 if uses_cards else 0), (s.index, texts)
        assert all(t.strip('"') == "tinyshop" for t in texts)  # never an identifier on a prop
        line = next(x for x in s.prompt.splitlines() if x.startswith("Protagonist:"))
        protagonist = protagonist or line
        assert line == protagonist  # described identically in every clip
        beats = [(float(a), float(b)) for a, b, _ in _BEAT.findall(s.prompt)]
        assert beats and beats[0][0] == 0 and beats[-1][1] == s.seconds
        for t in range(0, s.seconds, 4):  # at most two beats start in any 4 seconds
            assert sum(1 for a, _ in beats if t <= a < t + 4) <= 2
        peaks += "at once" in s.prompt
    assert peaks == 1  # the peak happens once, whatever the number of scenes
    set_lines = {x for s in result.scenes for x in s.prompt.splitlines() if x.startswith("Set:")}
    assert len(set_lines) == 1  # one set


@pytest.mark.parametrize("level", LEVEL_ORDER)
def test_trimming_keeps_cause_effect_and_the_peak_at_70_percent(repo: Path, level: str) -> None:
    result = build(repo, level=level, workers=1, git=False)
    prompt = result.scenes[0].prompt
    beats = {m[2][:25]: (float(m[0]), float(m[1])) for m in _BEAT.findall(prompt)}
    peak = next(v for k, v in beats.items() if "at once" in k or "Every" in k)
    assert abs((peak[0] + peak[1]) / 2 - 0.7 * 12) <= 0.6  # midpoint at 70%, at every level
    kept = set(result.scenes[0].dropped)
    assert "beat.end" not in kept and "beat.setup" not in kept  # the payoff and its cause
    assert "beat.peak" not in kept


def test_each_level_adds_real_detail(repo: Path) -> None:
    texts = [build(repo, level=lv, workers=1, git=False).scenes[0] for lv in LEVEL_ORDER]
    for low, high in itertools.pairwise(texts):
        assert high.tokens > low.tokens + 40, (low.tokens, high.tokens)
        assert set(low.symbols) <= set(high.symbols)


def test_a_piece_is_never_kept_without_its_cause() -> None:
    counter, _ = load_counter()
    pieces = [
        Piece("look", "look", 0, P_ESSENTIAL, "Look."),
        Piece("setup", "beats", 0, 5, "A cat eyes a tall stack of plates. " * 20, start=0.0),
        Piece("end", "beats", 1, 1, "The plates crash.", start=0.8, requires=("setup",)),
    ]
    fitted = fit(pieces, lambda ps: render(ps, 12), counter, "ultra-low")
    assert "setup" in fitted.dropped and "end" in fitted.dropped  # no payoff without its cause
    roomy = fit(pieces, lambda ps: render(ps, 12), counter, "high")
    assert not roomy.dropped


# -- nothing secret-shaped reaches a prompt ----------------------------------------------------
def test_secret_fixtures_leak_nothing(tmp_path: Path) -> None:
    key = "AKIA" + "Z7QW3RTY5UIO2PLK"
    token = "ghp_" + "k7Q2mZ9xR4vB8nL1pW6tY3sD5fG0hJ2cV9bN"
    root = tmp_path / "leaky"
    write(
        root,
        "pyproject.toml",
        f'[project]\nname = "leaky"\ndescription = "Deploys with {key}. A tool for queues."\n',
    )
    write(
        root,
        "README.md",
        "# leaky\n\nLeaky moves jobs between queues; ask ops@corp.example.com or see "
        "/home/alice/notes and build.intranet.local. The admin password is hunter2hunter2.\n",
    )
    write(
        root,
        "leaky/__init__.py",
        f'"""Queues. token={token}"""\n\n'
        "class Queue:\n"
        '    """A queue. password: Tr0ub4dor&3"""\n\n'
        "    def push(self): pass\n\n"
        f"def {key}():\n    pass\n",
    )
    git = ["git", "-C", str(root), "-c", "user.name=x", "-c", "user.email=x@example.com"]
    subprocess.run([*git, "init", "-q"], check=True)
    subprocess.run([*git, "add", "-A"], check=True)
    subprocess.run([*git, "commit", "-qm", f"rotate {token}"], check=True)  # as in the issue
    for style in ("chaplin", "documentary"):
        result = build(root, level="high", style=style, scenes=3, workers=1, use_cache=False)
        text = json.dumps([s.prompt for s in result.scenes])
        for secret in (key, token, "hunter2", "Tr0ub4dor", "ops@", "/home/alice", "intranet"):
            assert secret not in text, secret
        assert "Queue" in text  # the project itself still shows
    for shaped in (key, token, "mail bob@example.com", "see C:\\Users\\bob\\x", "10.1.2.3"):
        assert secret_shaped(shaped), shaped
    for fine in ("A Python library for rich text.", "HTTPBasicAuth", "ZodDiscriminatedUnion"):
        assert not secret_shaped(fine), fine
    assert scrub(f"Fast queues. Key {key} inside. Easy.") == "Fast queues. Easy."


# -- bad input ---------------------------------------------------------------------------------
def test_a_folder_without_code_is_a_usage_error(tmp_path: Path) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(UsageError, match="no source code"):
        build(empty, workers=1, git=False)
    write(tmp_path / "docs", "README.md", "# Only words\n")
    write(tmp_path / "docs", "node_modules/x/index.js", "function f() {}\n")
    with pytest.raises(UsageError, match="no source code"):
        build(tmp_path / "docs", workers=1, git=False)
    write(tmp_path / "blobs", "a.py", b"\x00\x01binary")
    with pytest.raises(UsageError, match="could be read"):
        build(tmp_path / "blobs", workers=1, git=False)


# -- styles and compose -----------------------------------------------------------------------
def test_packaged_styles_load_and_unknown_is_a_usage_error() -> None:
    assert {"chaplin", "noir", "keystone", "documentary"} <= set(packaged_styles())
    for name in packaged_styles():
        style = load_style(name)
        assert style.look and style.look_short and style.manner
        assert style.title_cards == bool(style.card)
    with pytest.raises(UsageError):
        load_style("opera")


def test_config_style_extends_a_packaged_one(repo: Path) -> None:
    extra = {"western": {"extends": "chaplin", "look": "Dusty 1950s western in Technicolor."}}
    result = build(
        repo,
        style="western",
        extra_styles=extra,
        workers=1,
        use_cache=False,
        git=False,
        level="high",
    )
    assert result.scenes[0].prompt.startswith("Dusty 1950s western in Technicolor.")
    for bad in (
        {"extends": "chaplin", "cast": {"hero": "x"}},
        {"extends": "chaplin", "look": "{x}"},
    ):
        with pytest.raises(ConfigError):
            load_style("bad", {"bad": bad})


def test_scenes_tell_one_story(repo: Path) -> None:
    result = build(repo, scenes=5, seconds=8, level="medium", workers=1, use_cache=False, git=False)
    assert [s.index for s in result.scenes] == [1, 2, 3, 4, 5]
    look = load_style("chaplin").look
    for s in result.scenes:
        assert s.prompt.startswith(look)  # shared style notes: each clip stands alone
        assert f"Clip {s.index} of 5" in s.prompt
        assert s.seconds == 8 and s.tokens <= 500
    assert "at once" in result.scenes[3].prompt  # 70% of the film is in clip 4 of 5
    assert 'Title card: "tinyshop' in result.scenes[0].prompt
    assert 'Title card: "tinyshop' in result.scenes[4].prompt
    lines = result.to_batch().splitlines()
    assert len(lines) == 5
    cards = []
    for i, line in enumerate(lines, 1):
        item = json.loads(line)
        assert set(item) <= {"name", "prompt", "seconds", "intertitle"}
        assert item["name"] == f"tinyshop-chaplin-{i:02d}" and item["seconds"] == 8
        cards.append(item.get("intertitle"))
    # The film's cards between scenes, in the world's words, never painted into a prompt.
    assert all(cards) and len(set(cards)) == len(cards), cards
    assert all(c not in s.prompt for c, s in zip(cards, result.scenes, strict=True))
    quiet = build(
        repo,
        scenes=5,
        seconds=8,
        level="medium",
        workers=1,
        use_cache=False,
        git=False,
        style="noir",
    )
    assert not any(s.intertitle for s in quiet.scenes)  # noir has no title cards


def test_render_times_beats_at_their_fixed_places() -> None:
    pieces = [
        Piece("look", "look", 0, P_ESSENTIAL, "Look."),
        Piece("b1", "beats", 0, 2, "One.", start=0.0),
        Piece("b3", "beats", 2, 3, "Peak.", start=0.6),
        Piece("b4", "beats", 3, 3, "End.", start=0.8),
    ]
    assert render(pieces, 12) == "Look.\n0-7s: One.\n7-9.5s: Peak.\n9.5-12s: End."


def test_options_are_validated(repo: Path) -> None:
    bad: list[dict[str, Any]] = [
        {"level": "huge"},
        {"seconds": 10},
        {"scenes": 0},
        {"scenes": 13},
        {"workers": -1},
    ]
    for kwargs in bad:
        with pytest.raises(UsageError):
            build(repo, **kwargs)
    with pytest.raises(UsageError):
        build(repo / "missing")


# -- fit --------------------------------------------------------------------------------------
def _real_count(text: str) -> int:
    """An independent count: tiktoken's own loader, reading the vocabulary from a cache folder
    made from the packaged copy (tiktoken_ext's o200k_base, not our Encoding)."""
    return len(_reference_encoding().encode(text, disallowed_special=()))


_REFERENCE: list[Any] = []


def _reference_encoding() -> Any:
    if not _REFERENCE:
        import gzip
        import tempfile

        import tiktoken

        folder = Path(tempfile.mkdtemp(prefix="tiktoken-ref-"))
        packaged = Path(fitmod.__file__).parents[1] / "data" / fitmod.VOCAB_RESOURCE
        raw = gzip.decompress(packaged.read_bytes())
        # tiktoken's cache file name: the SHA-1 of the vocabulary's download URL.
        (folder / "fb374d419588a4632f3f557e76b4b70aebbca790").write_bytes(raw)
        old = os.environ.get("TIKTOKEN_CACHE_DIR")
        os.environ["TIKTOKEN_CACHE_DIR"] = str(folder)
        try:
            _REFERENCE.append(tiktoken.get_encoding("o200k_base"))
        finally:
            if old is None:
                del os.environ["TIKTOKEN_CACHE_DIR"]
            else:
                os.environ["TIKTOKEN_CACHE_DIR"] = old
    return _REFERENCE[0]


def test_the_packaged_vocabulary_loads_without_network_or_cache(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # No tiktoken cache folder at all: the packaged, gzipped vocabulary is all it needs.
    monkeypatch.setenv("TIKTOKEN_CACHE_DIR", "/nonexistent/never-read")
    counter, warning = load_counter()
    assert warning is None and counter.exact and counter.name == "o200k_base"
    assert counter.count("Hello world, prompt-from-repo Tramp") == 9


@pytest.mark.parametrize("scenes", [1, 3])
def test_levels_stay_under_their_caps_and_nest(repo: Path, scenes: int) -> None:
    previous: list[set[str]] | None = None
    lengths = []
    for level in LEVEL_ORDER:
        result = build(repo, level=level, scenes=scenes, workers=1, git=False)
        assert result.tokenizer_exact and not result.warnings
        current = []
        for s in result.scenes:
            assert s.tokens == _real_count(s.prompt) <= LEVELS[level]
            current.append(set(s.symbols))
            assert not s.truncated
        if previous is not None:
            for low, high in zip(previous, current, strict=True):
                assert low <= high, (level, low - high)
        previous = current
        lengths.append(sum(s.tokens for s in result.scenes))
    assert lengths == sorted(lengths) and lengths[0] < lengths[-1]
    assert previous is not None and "charge" in previous[0]


def test_fit_drops_the_least_important_first() -> None:
    counter, _ = load_counter()
    pieces = [
        Piece("look", "look", 0, P_ESSENTIAL, "Silent film."),
        Piece("a", "beats", 0, 1, "A " * 30, ("alpha",), 1.0),
        Piece("b", "beats", 1, 5, "B " * 200, ("beta",), 1.0),
        Piece("c", "beats", 2, 9, "C " * 20, ("gamma",), 1.0),
    ]
    result = fit(pieces, lambda ps: render(ps, 12), counter, "ultra-low")
    assert result.dropped == ("b",)  # too big for the cap; the smaller, later one still fits
    assert result.symbols == ("alpha", "gamma") and result.tokens <= 120
    with pytest.raises(ValueError):
        fit(pieces, lambda ps: render(ps, 12), counter, "giant")


def test_essentials_too_long_are_cut_not_overflowed() -> None:
    counter, _ = load_counter()
    pieces = [Piece("look", "look", 0, P_ESSENTIAL, "word " * 400)]
    result = fit(pieces, lambda ps: render(ps, 12), counter, "ultra-low")
    assert result.truncated and counter.count(result.text) == result.tokens <= 120


def test_a_damaged_vocabulary_falls_back_to_an_estimate_that_never_undercounts(
    repo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    counter, warning = fitmod.counter_from_vocabulary(b"not a vocabulary")
    assert not counter.exact and warning and "damaged" in warning
    monkeypatch.setattr(fitmod, "_packaged", lambda: (counter, warning))
    result = build(repo, level="low", workers=1, use_cache=False, git=False)
    assert not result.tokenizer_exact
    assert result.warnings and "estimate" in result.warnings[0]
    prompt = result.scenes[0].prompt
    assert result.scenes[0].tokens == len(prompt.encode("utf-8")) <= 250
    assert _real_count(prompt) <= result.scenes[0].tokens


# -- cache ------------------------------------------------------------------------------------
def test_cache_reuses_unchanged_files_and_rereads_edited_ones(repo: Path) -> None:
    cold = build(repo, workers=1, git=False)
    code_files = cold.stats.files - cold.stats.tests  # tests are counted, never read
    assert cold.stats.tests == 2 and cold.stats.parsed == code_files
    assert not cold.stats.analysis_cached
    warm = build(repo, workers=1, git=False)
    assert warm.stats.read == 0 and warm.stats.stat_hits == code_files
    assert warm.stats.analysis_cached
    assert warm.to_json() == cold.to_json()

    target = repo / "shop" / "payments.py"
    target.write_text(target.read_text().replace("def checkout(", "def check_out_cart("))
    edited = build(repo, workers=1, git=False)
    assert edited.stats.read == 1 and edited.stats.parsed == 1
    assert not edited.stats.analysis_cached
    names = {s.name for s in edited.analysis.ranking.symbols}
    assert "check_out_cart" in names and "checkout" not in names

    # Same size, same second: the racy window makes the stat index re-hash it anyway.
    stat = target.stat()
    target.write_text(target.read_text().replace("check_out_cart", "check_out_card"))
    os.utime(target, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    racy = build(repo, workers=1, git=False)
    assert "check_out_card" in {s.name for s in racy.analysis.ranking.symbols}

    age(repo)
    build(repo, workers=1, git=False)
    again = build(repo, workers=1, git=False)
    assert again.stats.read == 0 and again.stats.analysis_cached


def test_a_damaged_cache_is_a_miss(repo: Path, env: Path) -> None:
    cold = build(repo, workers=1, git=False)
    for path in (env / "cache").rglob("*.json"):
        path.write_text("{not json")
    again = build(repo, workers=1, git=False)
    assert again.to_json() == cold.to_json()
    assert again.stats.parsed == again.stats.files - again.stats.tests


def test_no_cache_writes_nothing(repo: Path, env: Path) -> None:
    build(repo, workers=1, use_cache=False, git=False)
    assert not (env / "cache").exists()


def test_fresh_and_cached_analysis_are_equal(repo: Path) -> None:
    age(repo)
    cold = build(repo, workers=1, git=False)
    cache_root = Path(os.environ["VIDEO_GEN_HOME"]) / "cache"
    (entry,) = cache_root.rglob("analysis/*.json")
    written = entry.read_bytes()
    os.utime(entry, ns=(1_000_000_000, 1_000_000_000))  # any rewrite would move this
    warm = build(repo, workers=1, git=False)  # ranking read back from analysis/
    assert warm.stats.analysis_cached and warm.stats.read == 0
    assert entry.stat().st_mtime_ns == 1_000_000_000  # read, not recomputed and rewritten
    fresh = build(repo, workers=1, git=False, use_cache=False)
    assert not fresh.stats.analysis_cached
    assert warm.analysis == fresh.analysis == cold.analysis
    assert warm.to_json() == fresh.to_json()
    # A corrupt entry (torn, not JSON, the wrong shape) is a miss: the same output, the entry
    # written again whole.
    for garbage in (written[: len(written) // 2], b"\x00\xff not json", b"[]", b'{"files": 3}'):
        entry.write_bytes(garbage)
        again = build(repo, workers=1, git=False)
        assert not again.stats.analysis_cached
        assert again.to_json() == fresh.to_json()
        assert entry.read_bytes() == written
    # Per-file facts read back from facts/ (the analysis entry gone) equal fresh extraction.
    for path in cache_root.rglob("analysis/*.json"):
        path.unlink()
    for path in cache_root.rglob("index/*.json"):
        path.unlink()
    from_facts = build(repo, workers=1, git=False)
    assert from_facts.stats.parsed == 0 and not from_facts.stats.analysis_cached
    assert from_facts.to_json() == fresh.to_json()
    files = _analyzed(repo)
    assert analyze(files) == analyze(list(reversed(files)))


def test_git_subjects_when_git_is_there(repo: Path) -> None:
    import shutil
    import subprocess

    if shutil.which("git") is None:
        pytest.skip("git is not installed")  # optional by design: the pipeline works without
    env_vars = {
        **os.environ,
        "GIT_AUTHOR_NAME": "t",
        "GIT_AUTHOR_EMAIL": "t@x",
        "GIT_COMMITTER_NAME": "t",
        "GIT_COMMITTER_EMAIL": "t@x",
    }
    subprocess.run(["git", "init", "-q", str(repo)], check=True, env=env_vars)
    subprocess.run(["git", "-C", str(repo), "add", "pyproject.toml"], check=True, env=env_vars)
    subprocess.run(
        ["git", "-C", str(repo), "commit", "-qm", "Teach the shop to retry"],
        check=True,
        env=env_vars,
    )
    result = build(repo, level="high", scenes=3, workers=1, use_cache=False)
    assert result.project.commits == ("Teach the shop to retry",)
    assert "git log" in result.project.sources
    # Commit subjects are facts, never prompt text: a message can carry anything (issue 12).
    assert not any("Teach the shop" in s.prompt for s in result.scenes)
