"""A small polyglot repository for the prompt-from-repo tests, and the fixtures they share.

``make_repo`` writes Python, TypeScript and Go sources plus every awkward case the scanner must
survive: a syntax error, a binary, a non-UTF-8 file, a huge file, a minified one-line file, a
link out of the root, .gitignore'd files (nested .gitignore too) and a vendored folder.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

OLD_MTIME = 1_600_000_000  # files "written long ago": the cache's stat index trusts them

PAYMENTS = '''"""Payments with retries."""

import time

import requests


class PaymentError(Exception):
    """A payment failed."""


class RetryPolicy:
    """How many times to try again."""

    def __init__(self, attempts=3):
        self.attempts = attempts

    def should_retry(self, attempt):
        return attempt < self.attempts


def with_retry(fn):
    """Retry ``fn`` with backoff."""

    def wrapper(*args):
        policy = RetryPolicy()
        attempt = 0
        while policy.should_retry(attempt):
            try:
                return fn(*args)
            except PaymentError:
                attempt += 1
                time.sleep(0.1)
        raise PaymentError("gave up")

    return wrapper


@with_retry
def charge(amount):
    """Charge a card."""
    if amount <= 0:
        raise PaymentError("bad amount")
    return requests.post("https://pay.example", json={"amount": amount})


def refund(amount):
    try:
        return charge(-amount)
    except (PaymentError, ValueError):
        return None


def checkout(cart):
    total = len(cart)
    return charge(total)
'''

CACHE = """from functools import lru_cache

from shop.payments import charge


class PriceCache:
    def get_price(self, sku):
        return lookup_price(sku)

    def pay(self, sku):
        return charge(self.get_price(sku))


@lru_cache(maxsize=None)
def lookup_price(sku):
    return fetch_catalog()[sku]


def fetch_catalog():
    return {"a": 1}
"""

TREE = """def walk_tree(node):
    for child in node.children:
        walk_tree(child)
    return charge_all(node)


def charge_all(node):
    from shop.payments import charge
    return charge(node.total)
"""

CLIENT_TS = """import { BaseClient } from "./base";
import axios from "axios";

// A client: class Fake {} in a comment is not a class.
export class TimeoutError extends Error {}

export class ApiClient extends BaseClient implements Closeable {
  async fetchOrders(limit: number): Promise<Order[]> {
    const res = await this.request("/orders", limit);
    return res.data;
  }

  close() {
    axios.cancel();
  }
}

export function retryFetch(url: string): Promise<string> {
  if (!url) {
    throw new TimeoutError("no url");
  }
  return axios.get(url);
}

export const parseOrder = (raw: string): Order => JSON.parse(raw);
"""

SERVER_GO = """package main

import (
	"errors"
	"net/http"
)

var ErrNotFound = errors.New("not found")

type OrderQueue struct {
	items []string
}

// Enqueue adds an order.
func (q *OrderQueue) Enqueue(s string) {
	q.items = append(q.items, s)
}

func handle(w http.ResponseWriter, r *http.Request) error {
	q := &OrderQueue{}
	q.Enqueue("x")
	if r == nil {
		return ErrNotFound
	}
	return nil
}

func main() {
	http.HandleFunc("/", nil)
}
"""

TEST_PAYMENTS = """from shop.payments import charge, checkout


def helper_make_order():
    return {"id": 1}


def test_charge():
    helper_make_order()
    assert charge(1)
    assert checkout([1])
"""

CONFTEST = """from shop.payments import charge


def fixture_thing():
    return charge(2)
"""


def write(root: Path, rel: str, content: str | bytes) -> Path:
    path = root / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8")
    return path


# Written in this order by default; `order` reverses or shuffles it to vary file-system order.
FILES: list[tuple[str, str | bytes]] = [
    (
        "pyproject.toml",
        '[project]\nname = "tinyshop"\n'
        'description = "A tiny shop that retries payments and caches prices."\n',
    ),
    (
        "README.md",
        "# tinyshop\n\n[![ci](https://x/badge.svg)](https://x)\n\n"
        "Tinyshop sells **widgets** over [HTTP](https://x), retrying flaky payments.\n\n"
        "## Install\n\npip install tinyshop\n",
    ),
    (".gitignore", "secret_*.py\n/generated/\n"),
    ("shop/__init__.py", '"""The shop."""\n'),
    ("shop/payments.py", PAYMENTS),
    ("shop/cache.py", CACHE),
    ("shop/tree.py", TREE),
    ("shop/broken.py", "def oops(:\n    pass\n"),
    ("shop/latin.py", b"# caf\xe9 au lait\nname = 'caf\xe9'\n"),
    ("shop/cookie.py", b"# -*- coding: latin-1 -*-\ndef caf\xe9():\n    return 1\n"),
    ("shop/blob.py", b"\x00\x01\x02binary\x00"),
    ("shop/huge.py", "x = 1\n" * 200_000),
    ("web/minified.js", "var a=1;" * 2000 + "\n"),
    ("web/client.ts", CLIENT_TS),
    ("svc/server.go", SERVER_GO),
    ("tests/test_payments.py", TEST_PAYMENTS),
    ("conftest.py", CONFTEST),
    ("secret_keys.py", "KEY = 'x'\n"),
    ("generated/out.py", "def generated(): pass\n"),
    ("nested/.gitignore", "*.gen.py\n!keep.gen.py\n"),
    ("nested/skip.gen.py", "def skipped(): pass\n"),
    ("nested/keep.gen.py", "def kept(): pass\n"),
    ("node_modules/lib/index.js", "function vendored() {}\n"),
    ("notes.txt", "not code\n"),
]


def make_repo(root: Path, *, order: str = "forward") -> Path:
    root.mkdir(parents=True, exist_ok=True)
    files = list(FILES)
    if order == "reverse":
        files.reverse()
    elif order == "shuffle":
        files = files[1::2] + files[0::2]
    for rel, content in files:
        write(root, rel, content)
    outside = root.parent / f"{root.name}-outside.py"
    outside.write_text("def outside(): pass\n", encoding="utf-8")
    os.symlink(outside, root / "link_out.py")
    os.symlink(root / "shop" / "cache.py", root / "link_in.py")
    age(root)
    return root


def age(root: Path, when: int = OLD_MTIME) -> None:
    """Give every file an old mtime, as in a checkout that has not been touched for a while."""
    for dirpath, _, names in os.walk(root):
        for name in names:
            p = Path(dirpath) / name
            if not p.is_symlink():
                os.utime(p, (when, when))


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """VIDEO_GEN_HOME in a temp dir, no prompt-from-repo settings from outside; returns the home."""
    home = tmp_path / "home"
    monkeypatch.setenv("VIDEO_GEN_HOME", str(home))
    for name in (
        "VIDEO_GEN_PROMPT_LEVEL",
        "VIDEO_GEN_PROMPT_STYLE",
        "VIDEO_GEN_PROMPT_WORKERS",
        "VIDEO_GEN_CONFIG",
    ):
        monkeypatch.delenv(name, raising=False)
    return home


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    return make_repo(tmp_path / "tinyshop")


def test_fixture_repo_has_every_awkward_case(repo: Path) -> None:
    assert (repo / "link_out.py").is_symlink()
    assert (repo / "shop" / "huge.py").stat().st_size > 1_000_000
    assert b"\x00" in (repo / "shop" / "blob.py").read_bytes()
