"""The story: one world, one protagonist, the project's core concepts as things in that world,
told as set-up, escalation, a peak near 70% and a resolution, cut into clips.

Every clip is generated on its own, so every clip repeats the look, the protagonist (described
the same way, word for word), the set and the continuity notes. A clip has one main action; a
single 12-second prompt tells the whole arc in four beats (set-up 0-25%, escalation 25-60%, peak
60-80%, resolution 80-100%: never more than two beats in four seconds). With ``--scenes N`` the
arc is spread over the clips: clip 1 sets up, the peak is the clip around 70% of the film, the
clips between escalate (one concept each, never the peak again), the clips after resolve.

On-screen text: at most one short card per clip (the project's name, in the first and the last
clip) and only when the style uses title cards; nothing is ever painted on a prop. Concepts are
named in the prose ("the Router, a bank of brass signal levers, ...") for the reader and the
model, not written on anything.

A prompt is built from ``Piece``s with a priority (lower is more important) and dependencies:
``fit`` keeps the most important pieces that fit the token budget, never a piece whose cause
(``requires``) was dropped, and ``render`` lays them out with each beat at its fixed place on the
timeline, so trimming a beat never moves the peak.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from video_gen.repoprompt.styles import Style
from video_gen.repoprompt.world import World

MAX_SCENES = 12
CLIP_SECONDS = (4, 8, 12)
MAX_CAST = 12
GROUPS = ("look", "protagonist", "set", "cast", "beats", "notes")

# Priorities: 0 is always kept; then the lower the number, the later it is dropped.
P_ESSENTIAL = 0
P_SKELETON = 1  # set-up, peak, resolution, the protagonist: the story itself
P_SET = 2
P_ESCALATION = 3
P_HERO = 4
P_FULL_BEAT = 4  # a beat told in full, over its short form
P_PROTAGONIST_FULL = 5
P_CAST = 6  # + position in the cast
P_LOOK_FULL = 12
P_ABOUT = 13
P_DETAIL = 14
P_SET_DETAIL = 15
P_CONTINUITY = 16
P_CAMERA = 17
P_OTHER_CAST = 18  # cast members not in this clip's beats
P_CAST_FULL = 30  # what each cast member does, spelled out

# The arc on a 0..1 timeline.
ARC = {"setup": (0.0, 0.25), "escalation": (0.25, 0.6), "peak": (0.6, 0.8), "end": (0.8, 1.0)}


@dataclass(frozen=True)
class Piece:
    key: str
    group: str  # one of GROUPS
    order: int  # position within its group
    priority: int
    text: str
    symbols: tuple[str, ...] = ()  # ranked symbols this piece names
    start: float = 0.0  # beats: where on the clip's 0..1 timeline the beat begins
    replaces: str = ""  # the key of a shorter piece this one stands in for when both are kept
    requires: tuple[str, ...] = ()  # keys that must be kept for this one to make sense
    on_screen: bool = False  # carries the clip's one on-screen text


@dataclass(frozen=True)
class Clip:
    index: int  # 1-based
    count: int
    seconds: int
    pieces: tuple[Piece, ...]
    # The card a film shows before this clip (``video-gen film``: drawn by video-gen, never by
    # the video model), in styles that use title cards and storyboards of several clips.
    intertitle: str = ""


@dataclass(frozen=True)
class CastMember:
    """A core concept of the project and its role in the world."""

    symbol: str
    archetype: str
    image: str
    action: str
    evidence: tuple[str, ...]  # why this symbol (ranking signals) and why this role
    kind: str = ""
    file: str = ""

    def to_json(self) -> dict[str, Any]:
        return {
            "symbol": self.symbol,
            "kind": self.kind,
            "file": self.file,
            "role": self.archetype,
            "image": self.image,
            "action": self.action,
            "evidence": list(self.evidence),
        }


@dataclass(frozen=True)
class Storyboard:
    style: str
    world: str
    runtime: int  # seconds: scenes x seconds
    cast: tuple[CastMember, ...]
    clips: tuple[Clip, ...]


@dataclass(frozen=True)
class _Beat:
    key: str
    stage: str  # setup, escalation, peak, end, coda
    text: str
    detail: str
    symbols: tuple[str, ...]
    short: str = ""  # the moment in a few words, for the tightest budgets


def _cap(text: str) -> str:
    return text[:1].upper() + text[1:] if text else text


def _sentence(text: str) -> str:
    text = " ".join(text.split()).rstrip()
    return text if text.endswith((".", "!", "?")) else text + "."


def _first_clause(text: str) -> str:
    return _cap(text.split(";", 1)[0].strip().rstrip("."))


def _join(sentence: str, more: str) -> str:
    """Two statements of one moment as one sentence: ``A; b.``"""
    return _sentence(sentence)[:-1] + "; " + more.rstrip(".") + "."


def _arc(world: World, cast: Sequence[CastMember], protagonist: str) -> list[_Beat]:
    """The film's beats in order: set-up, escalations (one per supporting concept), the peak,
    the resolution. Escalations and later clips are stretched over more scenes by the caller."""
    errors = [c for c in cast[1:] if c.archetype == "error"]
    supporting = [c for c in cast[1:] if c.archetype != "error"]
    hero = cast[0]
    trouble = world.trouble
    if errors:  # the project's own exception type is the trouble at the peak
        err = errors[0]
        trouble = f"{world.trouble}, {err.symbol} ({err.image}) flashing its warning"
    values = {
        "protagonist": protagonist,
        "Protagonist": _cap(protagonist),
        "hero": hero.symbol,
        "hero_image": hero.image,
        "hero_action": hero.action,
        "trouble": trouble,
    }
    out = [
        _Beat(
            "setup",
            "setup",
            _cap(world.setup.format(**values)),
            world.setup_detail,
            (hero.symbol,),
            short=f"{_cap(protagonist)} checks {hero.symbol}, {hero.image}.",
        )
    ]
    for i, c in enumerate(supporting):
        template = world.escalation[i % len(world.escalation)]
        out.append(
            _Beat(
                f"escalation.{i}",
                "escalation",
                _cap(template.format(name=c.symbol, image=c.image, action=c.action, **values)),
                "",
                (c.symbol,),
            )
        )
    # The payoff names the concept that escalated first: each project's own cast dresses the
    # world's shared moments, so two projects in one world still tell different stories.
    second = supporting[0] if supporting else hero
    peak_detail = world.peak_detail
    end_text = _cap(world.resolution.format(**values))
    if second is not hero:
        peak_detail = _join(
            peak_detail, f"{second.symbol}, {second.image}, {second.action} in the thick of it"
        )
        end_text = _join(end_text, f"{second.symbol}, {second.image}, is back in its place")
    out.append(
        _Beat(
            "peak",
            "peak",
            _cap(world.peak.format(**values)),
            peak_detail,
            tuple(dict.fromkeys([hero.symbol, *(e.symbol for e in errors[:1])])),
            short=_sentence(
                world.peak.split(" and ", 1)[0].split(";", 1)[0]
                + f"; {protagonist} turns to {hero.symbol}"
            ),
        )
    )
    out.append(
        _Beat(
            "end",
            "end",
            end_text,
            world.resolution_detail,
            (second.symbol,) if second is not hero else (),
            short=_sentence(_first_clause(world.resolution.format(**values))),
        )
    )
    return out


def _schedule(beats: list[_Beat], scenes: int) -> list[list[tuple[_Beat, float]]]:
    """Beats per clip, each with its start on the clip's 0..1 timeline.

    One clip: set-up 0, one escalation 0.25, peak 0.6, resolution 0.8. Two: set-up and
    escalation, then peak and resolution. Three or more: one main action per clip; the peak is
    the clip holding 70% of the film; escalations fill the clips before it (cycling through the
    supporting concepts, never repeating the peak), the resolution and a closing shot after it."""
    setup, peak, end = beats[0], beats[-2], beats[-1]
    escalations = beats[1:-2] or [setup]
    if scenes == 1:
        chosen = [(setup, 0.0), (peak, ARC["peak"][0]), (end, ARC["end"][0])]
        if beats[1:-2]:
            chosen.insert(1, (escalations[0], ARC["escalation"][0]))
        return [chosen]
    if scenes == 2:
        first = [(setup, 0.0)] + ([(escalations[0], 0.5)] if beats[1:-2] else [])
        return [first, [(peak, 0.0), (end, 0.6)]]
    p = min(scenes - 1, max(1, int(0.7 * scenes)))
    clips: list[list[tuple[_Beat, float]]] = [[(setup, 0.0)]]
    for i in range(1, p):
        b = escalations[(i - 1) % len(escalations)]
        if i - 1 >= len(escalations) and b is not setup:  # a concept's second escalation
            b = _Beat(b.key + f".again{i}", b.stage, b.text, "", b.symbols)
        clips.append([(b, 0.0)])
    clips.append([(peak, 0.0)])
    after = scenes - 1 - p
    if after >= 1:
        clips.append([(end, 0.0)])
    for i in range(after - 1):
        clips.append([(_Beat(f"coda.{i}", "coda", "", end.detail, ()), 0.0)])
    if after == 0:  # the peak clip is the last one: it resolves too
        clips[-1].append((end, 0.6))
    return clips


def compose(
    *,
    project: str,
    about: str,
    world: World,
    style: Style,
    cast: Sequence[CastMember],
    scenes: int,
    seconds: int,
) -> Storyboard:
    """Cut the story of ``cast`` in ``world`` into ``scenes`` clips of ``seconds`` each."""
    protagonist_short = world.protagonist_short
    beats = _arc(world, cast, protagonist_short)
    plan = _schedule(beats, scenes)
    protagonist_line = _sentence(f"Protagonist: {world.protagonist}, {style.manner}")
    clips: list[Clip] = []
    previous_card = ""
    for index, mine in enumerate(plan):
        first, last = index == 0, index == len(plan) - 1
        card = _intertitle(world, mine, style, scenes)
        if card == previous_card:
            card = ""  # the same card twice in a row says nothing new
        else:
            previous_card = card
        pieces = [Piece("look", "look", 0, P_ESSENTIAL, style.look_short)]
        pieces.append(Piece("look.full", "look", 0, P_LOOK_FULL, style.look, replaces="look"))
        if scenes > 1:
            pieces.append(
                Piece(
                    "clip",
                    "look",
                    1,
                    P_ESSENTIAL,
                    f"Clip {index + 1} of {scenes} of one continuous film.",
                )
            )
        pieces.append(
            Piece(
                "protagonist",
                "protagonist",
                0,
                P_SKELETON,
                _sentence(f"Protagonist: {protagonist_short}"),
            )
        )
        pieces.append(
            Piece(
                "protagonist.full",
                "protagonist",
                0,
                P_PROTAGONIST_FULL,
                protagonist_line,
                replaces="protagonist",
            )
        )
        # One set for the whole storyboard: with several clips it is part of the skeleton.
        set_prio = P_SET if scenes == 1 else P_SKELETON
        pieces.append(Piece("set", "set", 0, set_prio, _sentence(f"Set: {world.set}")))
        pieces.append(
            Piece(
                "set.full",
                "set",
                0,
                P_SET_DETAIL,
                _sentence(f"Set: {world.set}; {world.set_detail}; at its heart, {cast[0].image}"),
                replaces="set",
            )
        )
        in_clip = {s for b, _ in mine for s in b.symbols}
        for order, c in enumerate(cast):
            if c.symbol in in_clip:
                prio = P_HERO if order == 0 else P_CAST + order
            else:
                prio = P_OTHER_CAST + order
            pieces.append(
                Piece(
                    f"cast.{order}",
                    "cast",
                    order,
                    prio,
                    f"{c.symbol} is {c.image}",
                    (c.symbol,),
                )
            )
            pieces.append(
                Piece(
                    f"cast.{order}.full",
                    "cast",
                    order,
                    P_CAST_FULL + order,
                    f"{c.symbol} is {c.image}, which {c.action}",
                    (c.symbol,),
                    replaces=f"cast.{order}",
                    requires=(f"cast.{order}",),
                )
            )
        keys = [f"beat.{b.key}" for b, _ in mine]
        for order, (b, start) in enumerate(mine):
            key = f"beat.{b.key}"
            stage_prio = P_ESCALATION if b.stage == "escalation" else P_SKELETON
            text = b.text
            on_screen = False
            if style.title_cards and first and order == 0:
                text = f'{style.card}: "{project}". ' + text
                on_screen = True
            elif style.title_cards and last and b.stage in ("end", "coda") and not first:
                text = text + f' {style.card}: "{project}".' if text else ""
                on_screen = bool(text)
            # A beat makes sense only after its cause: the resolution needs the set-up and the
            # peak in the same clip; trimming drops detail, never the cause of a payoff.
            requires = tuple(k for k in keys[:order] if not k.startswith("beat.escalation"))
            if text:
                prio = stage_prio if scenes == 1 or order == 0 else P_SKELETON
                full_key = key
                if b.short:
                    short = b.short
                    if on_screen:
                        short = text[: text.index(". ") + 2] + short if first else short
                        if not first:
                            short = _sentence(short) + f' {style.card}: "{project}".'
                    pieces.append(
                        Piece(
                            key,
                            "beats",
                            order,
                            prio,
                            _sentence(short),
                            b.symbols[:1],
                            start,
                            requires=requires,
                            on_screen=on_screen,
                        )
                    )
                    full_key = key + ".full"
                pieces.append(
                    Piece(
                        full_key,
                        "beats",
                        order,
                        prio if full_key == key else P_FULL_BEAT,
                        _sentence(text),
                        b.symbols,
                        start,
                        replaces="" if full_key == key else key,
                        requires=requires if full_key == key else (key,),
                        on_screen=on_screen,
                    )
                )
            if b.detail:
                detail_text = _sentence(_cap(b.detail))
                if not text:
                    detail_text = _sentence(
                        f"Closing wide shot: {detail_text[:-1]}"
                        + (f' {style.card}: "{project}"' if style.title_cards and last else "")
                    )
                    pieces.append(
                        Piece(
                            key,
                            "beats",
                            order,
                            P_SKELETON,
                            detail_text,
                            start=start,
                            on_screen=style.title_cards and last,
                        )
                    )
                else:
                    pieces.append(
                        Piece(
                            key + ".detail",
                            "beats",
                            order,
                            P_DETAIL + order,
                            _join(text, detail_text),
                            b.symbols,
                            start,
                            replaces=full_key,
                            requires=(full_key,),
                            on_screen=on_screen,
                        )
                    )
        if about:
            pieces.append(Piece("about", "notes", 0, P_ABOUT, _sentence(f"About: {about}")))
        pieces.append(
            Piece(
                "continuity",
                "notes",
                1,
                P_CONTINUITY if scenes == 1 else P_SET,
                _sentence(
                    "Continuity: one set and one protagonist, identical in every clip; "
                    + style.continuity
                ),
            )
        )
        pieces.append(
            Piece(
                "camera",
                "notes",
                2,
                P_CAMERA,
                _sentence(
                    f"Camera: {style.camera}, {world.camera}; the lens lingers on {cast[0].image}"
                ),
            )
        )
        clips.append(Clip(index + 1, scenes, seconds, tuple(pieces), card))
    return Storyboard(style.name, world.key, scenes * seconds, tuple(cast), tuple(clips))


def _intertitle(
    world: World, mine: Sequence[tuple[_Beat, float]], style: Style, scenes: int
) -> str:
    """The card before a clip: its main beat's stage in the world's words."""
    if not style.title_cards or scenes < 2 or not mine:
        return ""
    beat = mine[0][0]
    template = world.cards.get(beat.stage, "")
    name = beat.symbols[0] if beat.symbols else ""
    if "{name}" in template and not name:
        return ""
    return template.format(name=name)


def _stamp(t: float) -> str:
    return f"{round(t * 2) / 2:g}"


def render(pieces: Sequence[Piece], seconds: int) -> str:
    """Lay out pieces: look, protagonist, set, cast, timed beats, notes. Pure function.

    A beat runs from its own fixed start to the next kept beat's start (the last to the end of
    the clip), so dropping a beat lengthens the one before it and never moves the peak."""
    groups: dict[str, list[Piece]] = {g: [] for g in GROUPS}
    replaced = {p.replaces for p in pieces if p.replaces}
    for p in pieces:
        if p.key not in replaced:
            groups[p.group].append(p)
    lines: list[str] = []
    for g in GROUPS:
        items = sorted(groups[g], key=lambda p: (p.order, p.key))
        if not items:
            continue
        if g == "cast":
            lines.append("Cast: " + "; ".join(p.text for p in items) + ".")
        elif g == "beats":
            items = sorted(items, key=lambda p: (p.start, p.order))
            starts = [0.0] + [p.start for p in items[1:]] + [1.0]
            for i, p in enumerate(items):
                lo, hi = starts[i] * seconds, starts[i + 1] * seconds
                lines.append(f"{_stamp(lo)}-{_stamp(hi)}s: {p.text}")
        else:
            lines.append(" ".join(p.text for p in items))
    return "\n".join(lines)
