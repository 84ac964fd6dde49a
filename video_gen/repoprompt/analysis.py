"""The whole-repository result of extraction and ranking: what the analysis cache stores.

``analyze`` turns per-file facts into ``Analysis`` (summary + ranking); ``tree_digest`` names one
exact set of files by path, language and content hash, the key an analysis is cached under.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from video_gen.repoprompt.facts import EXTRACTOR_VERSION, AnalyzedFile, RepoFacts, summarize
from video_gen.repoprompt.rank import Ranking, rank

ANALYSIS_VERSION = 5  # bump when summarize() or rank() change


@dataclass(frozen=True)
class Analysis:
    facts: RepoFacts
    ranking: Ranking

    def to_json(self) -> dict[str, Any]:
        return {
            "version": ANALYSIS_VERSION,
            "facts": self.facts.to_json(),
            "ranking": self.ranking.to_json(),
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Analysis:
        if data.get("version") != ANALYSIS_VERSION:
            raise ValueError("analysis from another version")
        return cls(RepoFacts.from_json(data["facts"]), Ranking.from_json(data["ranking"]))


def analyze(files: Sequence[AnalyzedFile]) -> Analysis:
    """Summarize and rank. The result is passed through its JSON form, exactly like a cached one,
    so a fresh and a cached analysis can never differ (floats survive JSON bit for bit)."""
    fresh = Analysis(summarize(files), rank(files))
    return Analysis.from_json(json.loads(json.dumps(fresh.to_json())))


def tree_digest(entries: Sequence[tuple[str, str, str]]) -> str:
    """A key for a set of (path, language, sha256) (order does not matter)."""
    h = hashlib.sha256()
    h.update(f"analysis {ANALYSIS_VERSION} extractor {EXTRACTOR_VERSION}\n".encode())
    for path, language, sha in sorted(entries):
        h.update(f"{path}\0{language}\0{sha}\n".encode("utf-8", "surrogateescape"))
    return h.hexdigest()
