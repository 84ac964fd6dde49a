"""Fault injection: the failures a real video API produces, on demand and countable.

A plan is a list of items, each a kind of fault, the endpoint it hits and how many more times it
fires. It is parsed from the CLI's ``--faults`` string and can be extended while the server runs
(``srv.faults.add(...)``), from any thread.

Faults act at three moments of a request, and each moment takes at most one fault, the first item
in plan order whose endpoint matches and which still has uses left:

* on arrival, before anything else: ``drop``, ``5xx``, ``429``, ``slow``;
* after a create or remix passed validation: ``moderation``, ``blocked`` (403) and ``credits``
  (402) (nothing is created), ``create-500`` and ``create-drop`` (the job *is* created, then the
  answer fails);
* when content bytes are about to be sent: ``truncate``.

Job faults (``fail``, ``moderation-job``, ``cancelled``, ``expired``) are taken by each new job,
one per job.
"""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass

KINDS = (
    "5xx",
    "429",
    "drop",
    "create-drop",
    "create-500",
    "slow",
    "truncate",
    "fail",
    "moderation",
    "moderation-job",
    "blocked",
    "credits",
    "cancelled",
    "expired",
)
ENDPOINTS = ("create", "retrieve", "list", "delete", "content", "remix", "any")
PARAMETERS = ("retry-after", "slow-seconds")

# The moment a fault acts at (see the module docstring).
ARRIVAL = "arrival"
ACCEPTED = "accepted"
SENDING = "sending"
JOB = "job"

_PHASE = {
    "5xx": ARRIVAL,
    "429": ARRIVAL,
    "drop": ARRIVAL,
    "slow": ARRIVAL,
    "moderation": ACCEPTED,
    "blocked": ACCEPTED,
    "credits": ACCEPTED,
    "cancelled": JOB,
    "expired": JOB,
    "create-500": ACCEPTED,
    "create-drop": ACCEPTED,
    "truncate": SENDING,
    "fail": JOB,
    "moderation-job": JOB,
}

_JOB_MAKERS = frozenset({"create", "remix"})
# Where a kind can mean something: `any` narrows to these, and naming another endpoint is an error
# (a `truncate@create` would silently never fire, which is worse than refusing it).
_WHERE = {
    "moderation": _JOB_MAKERS,
    "create-500": _JOB_MAKERS,
    "create-drop": _JOB_MAKERS,
    "fail": _JOB_MAKERS,
    "moderation-job": _JOB_MAKERS,
    "blocked": _JOB_MAKERS,
    "credits": _JOB_MAKERS,
    "cancelled": _JOB_MAKERS,
    "expired": _JOB_MAKERS,
    "truncate": frozenset({"content"}),
}

_ITEM = re.compile(r"^(?P<kind>[a-z0-9-]+)(?:@(?P<endpoint>[a-z]+))?(?:=(?P<value>[^=@\s]+))?$")
FIVE_XX_CYCLE = (500, 502, 503)


@dataclass
class Fault:
    """One item of a plan. ``value`` overrides the plan parameter for this item: the status for
    ``5xx``, seconds for ``429`` and ``slow``."""

    kind: str
    endpoint: str = "any"
    remaining: int = 1
    value: float | None = None

    def spec(self) -> str:
        text = self.kind if self.endpoint == "any" else f"{self.kind}@{self.endpoint}"
        return text if self.remaining == 1 else f"{text}={self.remaining}"


def _valid_kinds() -> str:
    return f"valid kinds: {', '.join(KINDS)}; parameters: retry-after=SECONDS, slow-seconds=SECONDS"


class FaultPlan:
    """A thread-safe, consumable list of faults. ``FaultPlan("5xx@create=2,429")``."""

    def __init__(self, spec: str = "") -> None:
        self._lock = threading.Lock()
        self._faults: list[Fault] = []
        self._fired: dict[str, int] = {}
        self._five_xx_count = 0
        self.retry_after: float = 1.0
        self.slow_seconds: float = 2.0
        for item in (spec or "").split(","):
            item = item.strip()
            if item:
                self._parse_item(item)

    @classmethod
    def parse(cls, spec: str) -> FaultPlan:
        return cls(spec)

    def _parse_item(self, item: str) -> None:
        m = _ITEM.match(item.lower())
        if not m:
            raise ValueError(
                f"bad fault item {item!r}: expected KIND[@ENDPOINT][=COUNT] ({_valid_kinds()})"
            )
        kind, endpoint, value = m["kind"], m["endpoint"], m["value"]
        if kind in PARAMETERS:
            if endpoint is not None or value is None:
                raise ValueError(f"bad fault item {item!r}: write {kind}=SECONDS")
            seconds = _seconds(item, value)
            if kind == "retry-after":
                self.retry_after = seconds
            else:
                self.slow_seconds = seconds
            return
        if value is None:
            count = 1
        else:
            try:
                count = int(value)
            except ValueError:
                count = 0
            if count < 1:
                raise ValueError(
                    f"bad fault item {item!r}: COUNT must be a positive integer, got {value!r}"
                )
        try:
            self.add(kind, count=count, endpoint=endpoint or "any")
        except ValueError as exc:
            raise ValueError(f"bad fault item {item!r}: {exc}") from None

    def add(
        self, kind: str, count: int = 1, endpoint: str = "any", value: float | None = None
    ) -> None:
        """Append a fault; it fires on the next ``count`` matching requests (or jobs)."""
        if kind not in KINDS:
            raise ValueError(f"unknown kind {kind!r} ({_valid_kinds()})")
        if endpoint not in ENDPOINTS:
            raise ValueError(f"unknown endpoint {endpoint!r} (valid: {', '.join(ENDPOINTS)})")
        where = _WHERE.get(kind)
        if where is not None and endpoint != "any" and endpoint not in where:
            raise ValueError(
                f"{kind} cannot act on {endpoint} (only on {', '.join(sorted(where))})"
            )
        if count < 1:
            raise ValueError(f"count must be a positive integer, got {count}")
        with self._lock:
            self._faults.append(Fault(kind, endpoint, count, value))

    def take(self, phase: str, endpoint: str) -> Fault | None:
        """Consume one use of the first live fault for this moment and endpoint, if any.

        Returns a copy, so the caller may read it while other threads keep consuming the plan.
        """
        with self._lock:
            for fault in self._faults:
                if fault.remaining < 1 or _PHASE[fault.kind] != phase:
                    continue
                if not _matches(fault, endpoint):
                    continue
                fault.remaining -= 1
                self._fired[fault.kind] = self._fired.get(fault.kind, 0) + 1
                taken = Fault(fault.kind, fault.endpoint, fault.remaining, fault.value)
                self._faults = [f for f in self._faults if f.remaining > 0]
                return taken
        return None

    def next_5xx_status(self, fault: Fault) -> int:
        if fault.value is not None:
            return int(fault.value)
        with self._lock:
            status = FIVE_XX_CYCLE[self._five_xx_count % len(FIVE_XX_CYCLE)]
            self._five_xx_count += 1
        return status

    def retry_after_for(self, fault: Fault) -> float:
        return self.retry_after if fault.value is None else fault.value

    def slow_seconds_for(self, fault: Fault) -> float:
        return self.slow_seconds if fault.value is None else fault.value

    def pending(self) -> list[Fault]:
        """The faults not used up yet (copies), in plan order."""
        with self._lock:
            return [Fault(f.kind, f.endpoint, f.remaining, f.value) for f in self._faults]

    def fired(self) -> dict[str, int]:
        """How many times each kind has fired so far."""
        with self._lock:
            return dict(self._fired)

    def clear(self) -> None:
        with self._lock:
            self._faults.clear()

    def __bool__(self) -> bool:
        with self._lock:
            return bool(self._faults)

    def __str__(self) -> str:
        items = [f.spec() for f in self.pending()]
        if self.retry_after != 1.0:
            items.append(f"retry-after={self.retry_after:g}")
        if self.slow_seconds != 2.0:
            items.append(f"slow-seconds={self.slow_seconds:g}")
        return ",".join(items)

    def __repr__(self) -> str:
        return f"FaultPlan({str(self)!r})"


def _matches(fault: Fault, endpoint: str) -> bool:
    if fault.endpoint != "any":
        return fault.endpoint == endpoint
    where = _WHERE.get(fault.kind)
    return where is None or endpoint in where


def _seconds(item: str, value: str) -> float:
    try:
        seconds = float(value)
    except ValueError:
        seconds = -1.0
    if not seconds >= 0:  # also rejects nan
        raise ValueError(f"bad fault item {item!r}: SECONDS must be a number >= 0, got {value!r}")
    return seconds
