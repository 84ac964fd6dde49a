"""The gallery: every video and film in the ledger on one self-contained HTML page.

One file, no network: CSS and the filter script are inline, thumbnails are inline data URLs, and
players point at the videos by paths relative to the page. Thumbnails are embedded rather than
linked because they are the record of what was made: the page still shows every job after its
video was moved or deleted, or when the page alone is mailed around; videos are linked rather
than embedded because a page carrying megabytes of every clip would not open.

A thumbnail is the downloaded ``thumbnail`` file when there is one, else a frame of the video
read with PyAV (cached by the video's SHA-256 under the cache folder), else a placeholder.
Films are found through the ``film`` event each clip's job carries (``usecases/film.py``).
"""

from __future__ import annotations

import base64
import html
import io
import os
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote

from video_gen import paths
from video_gen.fsutil import atomic_write_bytes, atomic_write_text
from video_gen.ledger import JobView
from video_gen.ledger.records import format_ts

THUMB_WIDTH = 320


@dataclass
class Entry:
    """One video of the page."""

    job: JobView
    video: Path | None  # the newest video file recorded, if it still exists
    thumbnail: str | None  # a data URL


@dataclass
class FilmEntry:
    file: Path
    sha256: str
    title: str
    style: str
    plan: str | None
    duration_s: float
    made_at: datetime
    clips: list[JobView] = field(default_factory=list)
    thumbnail: str | None = None

    @property
    def cost_usd(self) -> float:
        return round(sum(j.cost_usd for j in self.clips), 6)


@dataclass
class Gallery:
    entries: list[Entry]
    films: list[FilmEntry]
    path: Path


def collect(
    jobs: Sequence[JobView],
    *,
    thumbnails: bool = True,
    thumbnail_of: Callable[[Path, str], str | None] | None = None,
) -> tuple[list[Entry], list[FilmEntry]]:
    """The page's videos (newest first) and films (newest first) from the ledger's jobs."""
    find = thumbnail_of or video_thumbnail
    entries: list[Entry] = []
    films: dict[str, FilmEntry] = {}
    for job in jobs:
        video = _newest(job, "video")
        thumb = None
        if thumbnails:
            picture = _newest(job, "thumbnail")
            if picture is not None:
                thumb = _data_url(picture.read_bytes(), "image/webp")
            elif video is not None:
                record = next(f for f in reversed(job.files) if f.variant == "video")
                thumb = find(video, record.sha256)
        entries.append(Entry(job, video, thumb))
        for event in job.events:
            if event.get("kind") != "film" or not isinstance(event.get("file"), str):
                continue
            key = event["file"]
            made = datetime.fromisoformat(str(event["ts"]).replace("Z", "+00:00"))
            known = films.get(key)
            if known is None or made > known.made_at:
                clips = (
                    known.clips if known is not None and known.sha256 == event.get("sha256") else []
                )
                films[key] = known = FilmEntry(
                    file=Path(key),
                    sha256=str(event.get("sha256") or ""),
                    title=str(event.get("title") or Path(key).stem),
                    style=str(event.get("style") or ""),
                    plan=event.get("plan") if isinstance(event.get("plan"), str) else None,
                    duration_s=float(event.get("duration_s") or 0.0),
                    made_at=made,
                    clips=clips,
                )
            if event.get("sha256") == known.sha256 and job not in known.clips:
                known.clips.append(job)
                known.clips.sort(key=lambda j: _position(j, key))
    film_list = sorted(films.values(), key=lambda f: f.made_at, reverse=True)
    for film in film_list:
        if thumbnails and film.file.is_file():
            film.thumbnail = find(film.file, film.sha256)
    return entries, film_list


def _position(job: JobView, film_file: str) -> int:
    for event in reversed(job.events):
        if event.get("kind") == "film" and event.get("file") == film_file:
            return int(event.get("position") or 0)
    return 0


def _newest(job: JobView, variant: str) -> Path | None:
    for record in reversed(job.files):
        if record.variant == variant and record.path.is_file():
            return record.path
    return None


def _data_url(data: bytes, mime: str) -> str:
    return f"data:{mime};base64,{base64.b64encode(data).decode('ascii')}"


def video_thumbnail(video: Path, sha256: str) -> str | None:
    """A JPEG of a frame a second in (or the first), cached by the video's hash; None without
    PyAV or for a file that cannot be decoded."""
    cache = paths.cache_dir() / "thumbnails" / f"{sha256 or 'x'}-{THUMB_WIDTH}.jpg"
    if sha256 and cache.is_file():
        return _data_url(cache.read_bytes(), "image/jpeg")
    try:
        import av
    except ImportError:
        return None
    try:
        with av.open(str(video)) as container:
            chosen = None
            for frame in container.decode(video=0):
                chosen = frame
                if frame.time is not None and frame.time >= 1.0:
                    break
            if chosen is None:
                return None
            image = chosen.to_image()
    except (av.error.FFmpegError, OSError):
        return None
    height = max(1, round(image.height * THUMB_WIDTH / image.width))
    buffer = io.BytesIO()
    image.resize((THUMB_WIDTH, height)).save(buffer, format="JPEG", quality=75)
    data = buffer.getvalue()
    if sha256:
        atomic_write_bytes(cache, data)
    return _data_url(data, "image/jpeg")


# -- the page ----------------------------------------------------------------------------------
def write(
    path: Path, entries: Sequence[Entry], films: Sequence[FilmEntry], *, now: datetime
) -> Path:
    """Render and write the page atomically; returns its path."""
    atomic_write_text(path, render(path.parent, entries, films, now=now))
    return path


def _rel(target: Path, base: Path) -> str:
    try:
        relative = os.path.relpath(target.resolve(), base.resolve())
    except ValueError:  # another drive (Windows)
        return target.resolve().as_uri()
    return quote(Path(relative).as_posix())


def _e(value: Any) -> str:
    return html.escape("" if value is None else str(value), quote=True)


def render(
    base: Path, entries: Sequence[Entry], films: Sequence[FilmEntry], *, now: datetime
) -> str:
    statuses = sorted({_status_group(e.job) for e in entries})
    models = sorted({e.job.model for e in entries})
    cards = "\n".join(_video_card(base, e) for e in entries)
    film_cards = "\n".join(_film_card(base, f) for f in films)
    total = sum(e.job.cost_usd for e in entries)
    options_status = "".join(f'<option value="{_e(s)}">{_e(s)}</option>' for s in statuses)
    options_model = "".join(f'<option value="{_e(m)}">{_e(m)}</option>' for m in models)
    values = dict(
        generated=_e(format_ts(now)),
        count=len(entries),
        films_count=len(films),
        total=f"{total:.2f}",
        options_status=options_status,
        options_model=options_model,
        films=film_cards or '<p class="empty">No films yet: <code>video-gen film PLAN</code>.</p>',
        videos=cards or '<p class="empty">No videos in the ledger yet.</p>',
        css=_CSS,
        js=_JS,
    )
    # One pass, so a prompt that happens to contain a marker is never substituted into.
    return re.sub(r"@@(\w+)@@", lambda m: str(values[m.group(1)]), _PAGE)


def _status_group(job: JobView) -> str:
    if job.in_flight:
        return "in flight"
    return job.status


def _thumb(url: str | None, alt: str) -> str:
    if url is None:
        return f'<div class="thumb none" role="img" aria-label="{_e(alt)}">no picture</div>'
    return f'<img class="thumb" src="{url}" alt="{_e(alt)}" loading="lazy">'


def _player(base: Path, video: Path | None, poster: str | None) -> str:
    if video is None:
        return '<p class="missing">video file not on this machine</p>'
    poster_attr = f' poster="{poster}"' if poster else ""
    return (
        f'<video controls preload="none"{poster_attr} src="{_rel(video, base)}"></video>'
        f'<a class="file" href="{_rel(video, base)}">{_e(video.name)}</a>'
    )


def _video_card(base: Path, entry: Entry) -> str:
    job = entry.job
    day = job.created_at.strftime("%Y-%m-%d")
    status = _status_group(job)
    cost = f"{job.cost_usd:.2f} USD"
    return f"""<article class="video" data-status="{_e(status)}" data-model="{_e(job.model)}" data-date="{day}" id="job-{_e(job.local_id)}">
  {_thumb(entry.thumbnail, job.prompt[:80])}
  <div class="body">
    <div class="player">{_player(base, entry.video, None)}</div>
    <p class="prompt">{_e(job.prompt)}</p>
    <dl>
      <dt>model</dt><dd class="model">{_e(job.model)}</dd>
      <dt>provider</dt><dd class="provider">{_e(job.provider)}</dd>
      <dt>cost</dt><dd class="cost">{_e(cost)}</dd>
      <dt>status</dt><dd class="status s-{_e(status.replace(" ", "-"))}">{_e(status)}</dd>
      <dt>date</dt><dd class="date"><time datetime="{_e(format_ts(job.created_at))}">{_e(job.created_at.strftime("%Y-%m-%d %H:%M"))} UTC</time></dd>
      <dt>job</dt><dd class="ids">{_e(job.remote_id or "-")} ({_e(job.local_id)})</dd>
    </dl>
  </div>
</article>"""


def _film_card(base: Path, film: FilmEntry) -> str:
    present = film.file if film.file.is_file() else None
    clips = "\n".join(
        f'<li><a href="#job-{_e(j.local_id)}">{_e(j.remote_id or j.local_id)}</a>'
        f' <span class="model">{_e(j.model)}</span> <span>{j.seconds} s</span>'
        f' <span class="prompt">{_e(_excerpt(j.prompt))}</span></li>'
        for j in film.clips
    )
    plan = (
        f'<p class="plan">storyboard: <a href="{_rel(Path(film.plan), base)}">{_e(Path(film.plan).name)}</a></p>'
        if film.plan
        else ""
    )
    day = film.made_at.strftime("%Y-%m-%d")
    return f"""<article class="film" data-date="{day}">
  <div class="player">{_player(base, present, film.thumbnail)}</div>
  <div class="body">
    <h3>{_e(film.title)}</h3>
    <p class="facts">{film.duration_s:.1f} s · {len(film.clips)} clips · style {_e(film.style)} · {film.cost_usd:.2f} USD · <time datetime="{_e(format_ts(film.made_at))}">{_e(film.made_at.strftime("%Y-%m-%d %H:%M"))} UTC</time></p>
    {plan}
    <ol class="clips">{clips}</ol>
  </div>
</article>"""


def _excerpt(text: str, limit: int = 140) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


_CSS = """
:root { color-scheme: dark; --bg:#111; --card:#1c1c1c; --fg:#eee; --dim:#9a9a9a; --accent:#e8c86a; }
* { box-sizing: border-box; }
body { margin:0; font:15px/1.45 system-ui, sans-serif; background:var(--bg); color:var(--fg); }
header { padding:18px 28px; border-bottom:1px solid #333; display:flex; flex-wrap:wrap; gap:16px; align-items:baseline; }
header h1 { margin:0; font-size:22px; letter-spacing:.04em; }
header .summary { color:var(--dim); }
form.filters { display:flex; flex-wrap:wrap; gap:12px; padding:12px 28px; background:#181818; border-bottom:1px solid #333; align-items:center; }
form.filters label { color:var(--dim); font-size:13px; display:flex; gap:6px; align-items:center; }
select, input { background:#222; color:var(--fg); border:1px solid #444; border-radius:4px; padding:4px 6px; }
main { padding:12px 28px 40px; }
h2 { font-size:17px; color:var(--accent); margin:22px 0 10px; letter-spacing:.05em; text-transform:uppercase; }
.grid { display:grid; grid-template-columns:repeat(auto-fill, minmax(300px, 1fr)); gap:16px; }
article { background:var(--card); border:1px solid #2c2c2c; border-radius:8px; overflow:hidden; }
article.film { display:grid; grid-template-columns:minmax(260px, 420px) 1fr; gap:16px; padding:12px; margin-bottom:14px; }
.thumb { display:block; width:100%; aspect-ratio:16/10; object-fit:cover; background:#000; }
.thumb.none { display:flex; align-items:center; justify-content:center; color:var(--dim); }
.body { padding:10px 12px 12px; }
video { width:100%; max-height:260px; background:#000; border-radius:4px; }
.player a.file { display:block; font-size:12px; color:var(--dim); overflow-wrap:anywhere; }
.prompt { margin:8px 0; max-height:6.5em; overflow:auto; white-space:pre-wrap; overflow-wrap:anywhere; }
dl { display:grid; grid-template-columns:auto 1fr; gap:2px 10px; margin:0; font-size:13px; }
dt { color:var(--dim); } dd { margin:0; overflow-wrap:anywhere; }
.s-completed { color:#8fd18f; } .s-failed, .s-cancelled, .s-expired, .s-released { color:#ef8f8f; } .s-in-flight { color:#e8c86a; }
.film h3 { margin:0 0 6px; font-size:19px; }
.facts, .plan { color:var(--dim); margin:4px 0; }
ol.clips { margin:8px 0 0; padding-left:20px; } ol.clips li { margin:4px 0; }
ol.clips .prompt { display:block; color:var(--dim); font-size:12px; margin:0; max-height:none; }
a { color:#9cc3ff; }
.empty { color:var(--dim); }
.hidden { display:none !important; }
@media (max-width: 760px) { article.film { grid-template-columns:1fr; } }
"""

_JS = """
(function () {
  var form = document.querySelector('form.filters');
  function apply() {
    var status = form.status.value, model = form.model.value;
    var from = form.from.value, to = form.to.value, shown = 0;
    document.querySelectorAll('article.video').forEach(function (a) {
      var d = a.dataset.date;
      var ok = (!status || a.dataset.status === status) && (!model || a.dataset.model === model)
        && (!from || d >= from) && (!to || d <= to);
      a.classList.toggle('hidden', !ok);
      if (ok) { shown += 1; }
    });
    document.querySelectorAll('article.film').forEach(function (a) {
      var d = a.dataset.date;
      a.classList.toggle('hidden', !((!from || d >= from) && (!to || d <= to)));
    });
    document.getElementById('shown').textContent = shown;
  }
  form.addEventListener('input', apply);
  form.addEventListener('reset', function () { setTimeout(apply, 0); });
  apply();
})();
"""

_PAGE = """<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="video-gen gallery">
<title>video-gen gallery</title>
<style>@@css@@</style>
</head>
<body>
<header>
  <h1>video-gen gallery</h1>
  <span class="summary">@@count@@ videos, @@films_count@@ films, @@total@@ USD in all · written @@generated@@</span>
</header>
<form class="filters" onsubmit="return false">
  <label>status <select name="status"><option value="">all</option>@@options_status@@</select></label>
  <label>model <select name="model"><option value="">all</option>@@options_model@@</select></label>
  <label>from <input type="date" name="from"></label>
  <label>to <input type="date" name="to"></label>
  <button type="reset">clear</button>
  <span class="summary"><span id="shown">@@count@@</span> shown</span>
</form>
<main>
<section id="films"><h2>Films</h2>
@@films@@
</section>
<section id="videos"><h2>Videos</h2>
<div class="grid">
@@videos@@
</div>
</section>
</main>
<script>@@js@@</script>
</body>
</html>
"""
