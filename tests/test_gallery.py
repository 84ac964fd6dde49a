"""`video-gen gallery`: one self-contained page over the ledger, checked by parsing its HTML."""

from __future__ import annotations

import json
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from video_gen.cli import app
from video_gen.emulator import EmulatorServer
from video_gen.ledger import Ledger

runner = CliRunner()


class Page(HTMLParser):
    """Tags with their attributes, and the text of every element by its class."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str]]] = []
        self.text: dict[str, list[str]] = {}
        self._open: list[str] = []
        self.scripts: list[str] = []
        self._in_script = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        self.tags.append((tag, a))
        self._open.append(a.get("class", ""))
        self._in_script = tag == "script"

    def handle_endtag(self, tag: str) -> None:
        if self._open:
            self._open.pop()
        self._in_script = False

    def handle_data(self, data: str) -> None:
        if self._in_script:
            self.scripts.append(data)
        if self._open and data.strip():
            self.text.setdefault(self._open[-1], []).append(data.strip())

    def all(self, tag: str, **match: str) -> list[dict[str, str]]:
        return [
            a
            for t, a in self.tags
            if t == tag and all(v in a.get(k, "").split() for k, v in match.items())
        ]


def parse(path: Path) -> Page:
    page = Page()
    page.feed(path.read_text(encoding="utf-8"))
    return page


def test_gallery_shows_every_video_and_the_film_with_its_clips(
    remote: EmulatorServer, tmp_path: Path
) -> None:
    plan = tmp_path / "story.jsonl"
    plan.write_text(
        json.dumps({"name": "a", "prompt": 'A <b>bold</b> boat. Intertitle: "Boat: floats."'})
        + "\n"
        + json.dumps({"name": "b", "prompt": "An owl at night", "size": "1280x720"})
        + "\n"
    )
    made = runner.invoke(
        app, ["film", str(plan), "--output-dir", "clips", "--poll-interval", "0.1", "--json"]
    )
    assert made.exit_code == 0, made.stderr
    film = json.loads(made.stdout)
    remote.faults.add("fail")
    runner.invoke(app, ["generate", "a fox that fails", "--output-dir", "clips"])

    res = runner.invoke(app, ["gallery", "--out", "site/gallery.html"])
    assert res.exit_code == 0, res.stderr
    out = Path(res.stdout.strip())
    assert out == Path("site/gallery.html") and out.is_file()
    page = parse(out)
    videos = page.all("article", **{"class": "video"})
    jobs = Ledger().jobs(limit=None)
    assert len(videos) == len(jobs) == 3
    assert {v["data-status"] for v in videos} == {"completed", "failed"}
    assert {v["data-model"] for v in videos} == {"sora-2"}
    assert all(len(v["data-date"]) == 10 for v in videos)
    # each made video: a thumbnail (inline), a player pointing at the file relative to the page
    players = page.all("video")
    assert len(players) == 3  # two clips and the film
    for p in players:
        assert (out.parent / p["src"]).resolve().is_file()
    # thumbnails inline: the players' posters (the failed job: a placeholder, no player)
    assert all(p["poster"].startswith("data:image/") for p in players)
    assert len(page.all("div", **{"class": "thumb"})) == 1
    # prompt, model, provider, cost and status as text; the prompt's markup escaped
    assert 'A <b>bold</b> boat. Intertitle: "Boat: floats."' in page.text["prompt"]
    assert not page.all("b")
    assert "0.40 USD" in page.text["cost"] and "openai" in page.text["provider"]
    # the film: its player, its storyboard and its two clips in order
    films = page.all("article", **{"class": "film"})
    assert len(films) == 1
    film_player = next(p for p in players if p["src"].endswith("story.film.mp4"))
    assert film_player["poster"].startswith("data:image/jpeg")
    clip_links = [a["href"] for a in page.all("a") if a.get("href", "").startswith("#job-")]
    by_remote = {j.remote_id: j.local_id for j in jobs}
    assert clip_links == [f"#job-{by_remote[c['job_id']]}" for c in film["clips"]]
    assert any(a.get("href", "").endswith("story.jsonl") for a in page.all("a"))
    # filters by status, model and date, and nothing fetched from the network
    assert page.all("select", name="status") and page.all("select", name="model")
    assert len(page.all("input", type="date")) == 2 and page.scripts
    for _, attrs in page.tags:
        for key in ("src", "href"):
            assert not attrs.get(key, "").startswith(("http:", "https:", "//")), attrs
    assert not page.all("link") and not [a for a in page.all("script") if a.get("src")]


def test_gallery_of_an_empty_ledger_and_without_thumbnails(tmp_path: Path) -> None:
    res = runner.invoke(app, ["gallery", "--no-thumbnails", "--quiet"])
    assert res.exit_code == 0 and res.stderr == ""
    page = parse(Path(res.stdout.strip()))
    assert page.all("form", **{"class": "filters"}) and not page.all("article")
    assert "No videos in the ledger yet." in page.text["empty"]


def test_gallery_is_written_atomically(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    target = tmp_path / "g.html"
    target.write_text("the earlier page")

    def refuse(src: Any, dst: Any) -> None:
        raise OSError("disk full")

    monkeypatch.setattr("video_gen.fsutil.os.replace", refuse)
    res = runner.invoke(app, ["gallery", "--out", str(target)])
    assert res.exit_code != 0 and "disk full" in res.stderr
    assert target.read_text() == "the earlier page"
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".g.html")] == []
