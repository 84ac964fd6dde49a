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
from importlib import resources
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
    )
    # One pass, so a prompt that happens to contain a marker is never substituted into.
    template = resources.files("video_gen.data").joinpath("gallery/page.html").read_text("utf-8")
    return re.sub(r"@@(\w+)@@", lambda m: str(values[m.group(1)]), template)


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
    status = _status_group(job)
    when = job.created_at.strftime("%Y-%m-%d %H:%M")
    attrs = (
        f'class="video" data-status="{_e(status)}" data-model="{_e(job.model)}"'
        f' data-date="{job.created_at:%Y-%m-%d}" id="job-{_e(job.local_id)}"'
    )
    facts = [
        ("model", "model", _e(job.model)),
        ("provider", "provider", _e(job.provider)),
        ("cost", "cost", f"{job.cost_usd:.2f} USD"),
        ("status", f"status s-{_e(status.replace(' ', '-'))}", _e(status)),
        ("date", "date", f'<time datetime="{_e(format_ts(job.created_at))}">{when} UTC</time>'),
        ("job", "ids", f"{_e(job.remote_id or '-')} ({_e(job.local_id)})"),
    ]
    rows = "".join(f'<dt>{k}</dt><dd class="{c}">{v}</dd>' for k, c, v in facts)
    # The thumbnail is the player's poster; without the file, the thumbnail alone.
    picture = (
        f'<div class="player">{_player(base, entry.video, entry.thumbnail)}</div>'
        if entry.video is not None
        else _thumb(entry.thumbnail, job.prompt[:80]) + _player(base, None, None)
    )
    return (
        f"<article {attrs}>\n  {picture}\n"
        f'  <div class="body">\n'
        f'    <p class="prompt">{_e(job.prompt)}</p>\n    <dl>{rows}</dl>\n  </div>\n</article>'
    )


def _film_card(base: Path, film: FilmEntry) -> str:
    present = film.file if film.file.is_file() else None
    clips = "\n".join(
        f'<li><a href="#job-{_e(j.local_id)}">{_e(j.remote_id or j.local_id)}</a>'
        f' <span class="model">{_e(j.model)}</span> <span>{j.seconds} s</span>'
        f' <span class="prompt">{_e(_excerpt(j.prompt))}</span></li>'
        for j in film.clips
    )
    plan = ""
    if film.plan:
        link = f'<a href="{_rel(Path(film.plan), base)}">{_e(Path(film.plan).name)}</a>'
        plan = f'<p class="plan">storyboard: {link}</p>'
    when = (
        f'<time datetime="{_e(format_ts(film.made_at))}">{film.made_at:%Y-%m-%d %H:%M} UTC</time>'
    )
    facts = (
        f"{film.duration_s:.1f} s · {len(film.clips)} clips · style {_e(film.style)}"
        f" · {film.cost_usd:.2f} USD · {when}"
    )
    return (
        f'<article class="film" data-date="{film.made_at:%Y-%m-%d}">\n'
        f'  <div class="player">{_player(base, present, film.thumbnail)}</div>\n'
        f'  <div class="body">\n    <h3>{_e(film.title)}</h3>\n'
        f'    <p class="facts">{facts}</p>\n    {plan}\n'
        f'    <ol class="clips">{clips}</ol>\n  </div>\n</article>'
    )


def _excerpt(text: str, limit: int = 140) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"
