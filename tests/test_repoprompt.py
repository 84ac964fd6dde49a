"""prompt-from-repo, stage by stage: scan, extract, rank, concepts, compose, fit, cache."""

from __future__ import annotations

import json
import os
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
from video_gen.repoprompt.compose import P_ESSENTIAL, Piece, gag_count, render
from video_gen.repoprompt.concepts import load_concepts
from video_gen.repoprompt.extract import extract_bytes
from video_gen.repoprompt.extract_python import decode_python
from video_gen.repoprompt.facts import AnalyzedFile, FileFacts, is_test_path, words
from video_gen.repoprompt.fit import LEVEL_ORDER, LEVELS, fit, load_counter
from video_gen.repoprompt.metadata import read_metadata, readme_paragraph
from video_gen.repoprompt.pipeline import build
from video_gen.repoprompt.rank import pagerank, rank
from video_gen.repoprompt.scan import ScanOptions, scan
from video_gen.repoprompt.styles import load_style, packaged_styles


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
    assert names[0] == "charge"  # called from checkout, refund, PriceCache, charge_all, tests
    assert "PaymentError" in names[:4]
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
    tied = [s for s in ranking.symbols if s.score == ranking.symbols[-1].score]
    assert [s.name for s in tied] == sorted(s.name for s in tied)  # ties broken by name


# -- concepts ---------------------------------------------------------------------------------
def test_concepts_keep_their_evidence(repo: Path) -> None:
    result = build(repo, workers=1, use_cache=False, git=False)
    found = {m.concept.key: m for m in result.concepts}
    retry = found["retry"]
    assert {"RetryPolicy", "with_retry"} <= set(retry.evidence.symbols)
    assert "shop/payments.py" in retry.evidence.files
    cache = found["cache"]
    assert "PriceCache" in cache.evidence.symbols
    assert "decorator @lru_cache" in cache.evidence.signals
    assert "walk_tree" in found["recursion"].evidence.symbols
    assert "requests" in found["network"].evidence.imports
    assert found["tests"].evidence.files[0] == "conftest.py"
    assert len(result.gags) == gag_count(1)
    for gag in result.gags:
        assert gag.evidence.symbols or gag.evidence.imports or gag.evidence.files
        assert gag.label in result.scenes[0].prompt or gag.label not in result.symbols


def test_extra_gags_extend_and_override(repo: Path) -> None:
    extra = {
        "shopping": {
            "keywords": ["price", "checkout"],
            "gags": ['{hero} balances a tower of price tags marked "{label}".'],
            "weight": 10,
        },
        "retry": ['{hero} rings a bell marked "{label}" until it answers.'],
    }
    concepts, _ = load_concepts(extra)
    keys = [c.key for c in concepts]
    assert keys == sorted(keys) and "shopping" in keys
    result = build(repo, workers=1, use_cache=False, git=False, extra_gags=extra)
    gags = {g.concept: g for g in result.gags}
    assert gags["shopping"].template.startswith("{hero} balances")
    assert set(gags["shopping"].evidence.symbols) & {"lookup_price", "checkout", "get_price"}
    retry = next(m for m in result.concepts if m.concept.key == "retry")
    assert retry.concept.gags == ('{hero} rings a bell marked "{label}" until it answers.',)
    assert retry.concept.source == "config"
    for bad in (
        {"x": {"keywords": ["a"], "gags": ["{villain} laughs"]}},
        {"x": {"gags": ["{hero} waves"]}},
        {"retry": {"colour": "red"}},
        {"x": 3},
    ):
        with pytest.raises(ConfigError):
            load_concepts(bad)


# -- styles and compose -----------------------------------------------------------------------
def test_packaged_styles_load_and_unknown_is_a_usage_error() -> None:
    assert {"chaplin", "noir", "keystone", "documentary"} <= set(packaged_styles())
    for name in packaged_styles():
        style = load_style(name)
        assert style.sections[0].start == 0.0 and style.sections[-1].end == 1.0
        peak = next(s for s in style.sections if s.peak)
        assert abs((peak.start + peak.end) / 2 - 0.7) < 0.05  # the comedy peak near 70%
    with pytest.raises(UsageError):
        load_style("opera")


def test_config_style_extends_a_packaged_one(repo: Path) -> None:
    extra = {
        "western": {
            "extends": "chaplin",
            "look": "Dusty 1950s western in Technicolor.",
            "cast": {"hero": "the Sheriff"},
        }
    }
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
    assert "The Sheriff" in result.scenes[0].prompt
    with pytest.raises(ConfigError):
        load_style("bad", {"bad": {"extends": "chaplin", "cast_lines": {"hero": "{nope}"}}})


def test_scenes_tell_one_story(repo: Path) -> None:
    result = build(repo, scenes=5, seconds=8, level="medium", workers=1, use_cache=False, git=False)
    assert [s.index for s in result.scenes] == [1, 2, 3, 4, 5]
    look = load_style("chaplin").look
    for s in result.scenes:
        assert s.prompt.startswith(look)  # shared style notes: each clip stands alone
        assert f"Scene {s.index} of 5" in s.prompt
        assert s.seconds == 8 and s.tokens <= 500
    assert "Comedy peak" in result.scenes[3].prompt  # 70% of the film is in clip 4 of 5
    assert 'Title card: "tinyshop' in result.scenes[4].prompt
    lines = result.to_batch().splitlines()
    assert len(lines) == 5
    for i, line in enumerate(lines, 1):
        item = json.loads(line)
        assert set(item) == {"name", "prompt", "seconds"}
        assert item["name"] == f"tinyshop-chaplin-{i:02d}" and item["seconds"] == 8


def test_render_times_beats_within_the_clip() -> None:
    pieces = [
        Piece("look", "look", 0, P_ESSENTIAL, "Look."),
        Piece("b1", "beats", 0, 2, "One.", weight=0.1),
        Piece("b2", "beats", 1, 3, "Two.", weight=0.3),
    ]
    assert render(pieces, 12) == "Look.\n0-3s: One.\n3-12s: Two."


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
    assert cold.stats.parsed == cold.stats.files and not cold.stats.analysis_cached
    warm = build(repo, workers=1, git=False)
    assert warm.stats.read == 0 and warm.stats.stat_hits == warm.stats.files
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
    assert again.stats.parsed == again.stats.files


def test_no_cache_writes_nothing(repo: Path, env: Path) -> None:
    build(repo, workers=1, use_cache=False, git=False)
    assert not (env / "cache").exists()


def test_fresh_and_cached_analysis_are_equal(repo: Path) -> None:
    age(repo)
    cold = build(repo, workers=1, git=False)
    warm = build(repo, workers=1, git=False)  # ranking read back from analysis/
    assert warm.stats.analysis_cached and warm.stats.read == 0
    fresh = build(repo, workers=1, git=False, use_cache=False)
    assert warm.analysis == fresh.analysis == cold.analysis
    assert warm.to_json() == fresh.to_json()
    # Per-file facts read back from facts/ (the analysis entry gone) equal fresh extraction.
    for path in (Path(os.environ["VIDEO_GEN_HOME"]) / "cache").rglob("analysis/*.json"):
        path.unlink()
    for path in (Path(os.environ["VIDEO_GEN_HOME"]) / "cache").rglob("index/*.json"):
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
    assert any("Teach the shop to retry" in s.prompt for s in result.scenes)
