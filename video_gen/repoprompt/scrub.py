"""Nothing secret-shaped from a repository reaches a prompt (which ``--generate`` sends away).

Every piece of repository text that can reach a prompt (the project's name and purpose, the
README's opening, symbol names) passes through here. A sentence with anything secret-shaped in it
is dropped whole, and a name that looks like one is never used. What counts as secret-shaped:

- whatever Yelp's ``detect-secrets`` finds: its detectors for cloud keys, tokens, private keys,
  JWTs, basic-auth URLs and the like, and its keyword detector (``password: ...``), read as a
  config line so that ``key: value`` prose is caught too;
- a long token of mixed letters and digits whose Shannon entropy (detect-secrets' own measure)
  is that of a random key;
- e-mail addresses, absolute paths (``/home/...``, ``C:\\...``), internal host names (``.internal``,
  ``.local``, ``.corp``, ``.lan``, ``intranet``) and private IP addresses, which detect-secrets
  does not look for.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import lru_cache

ENTROPY_MIN_CHARS = 20
ENTROPY_LIMIT = 4.0  # bits per character; English words and identifiers stay well below

_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
_ABS_PATH = re.compile(
    r"(?:^|[\s\"'(=])(?:/(?:home|Users|root|etc|var|opt|srv|tmp|mnt|usr)/\S*|~/\S+|"
    r"[A-Za-z]:\\\S+|\\\\[\w.-]+\\\S*)"
)
_INTERNAL_HOST = re.compile(
    r"\b[\w-]+(?:\.[\w-]+)*\.(?:internal|local|localdomain|corp|lan|intranet|priv|home\.arpa)\b"
    r"|\bintranet\b"
    r"|\b(?:10|127)\.\d{1,3}\.\d{1,3}\.\d{1,3}\b|\b192\.168\.\d{1,3}\.\d{1,3}\b"
    r"|\b172\.(?:1[6-9]|2\d|3[01])\.\d{1,3}\.\d{1,3}\b",
    re.I,
)
_SECRET_WORD = re.compile(
    r"(?i)\b(?:password|passwd|pwd|passphrase|secret|token|api[ _-]?key|credential)s?\b"
    r"\s*(?:is|was|=|:|to)\s*[\"']?[^\s\"']{6,}"
)
_TOKEN = re.compile(rf"[A-Za-z0-9+/_=.\-]{{{ENTROPY_MIN_CHARS},}}")
_SENTENCE = re.compile(r"(?<=[.!?])\s+")


@lru_cache(maxsize=1)
def _detectors() -> tuple[Callable[[str], bool], Callable[[str], float]]:
    from detect_secrets.core.plugins.util import get_mapping_from_secret_type_to_class
    from detect_secrets.core.scan import scan_line
    from detect_secrets.plugins.high_entropy_strings import Base64HighEntropyString
    from detect_secrets.plugins.keyword import KeywordDetector
    from detect_secrets.settings import transient_settings

    # The entropy detectors, run on a whole line of prose, flag ordinary words ("library");
    # entropy is measured below on long tokens only.
    classes: list[type] = list(get_mapping_from_secret_type_to_class().values())
    plugins = sorted(c.__name__ for c in classes if "Entropy" not in c.__name__)
    settings = {"plugins_used": [{"name": n} for n in plugins]}
    keyword = KeywordDetector()
    entropy = Base64HighEntropyString()

    def found(line: str) -> bool:
        with transient_settings(settings):
            if any(True for _ in scan_line(line)):
                return True
        return bool(keyword.analyze_line(filename="prompt.yaml", line=line, line_number=1))

    def bits(token: str) -> float:
        return float(entropy.calculate_shannon_entropy(token))

    return found, bits


def _random_token(text: str, bits: Callable[[str], float]) -> bool:
    for m in _TOKEN.finditer(text):
        token = m.group(0)
        has_digit = any(c.isdigit() for c in token)
        has_upper = any(c.isupper() for c in token)
        has_lower = any(c.islower() for c in token)
        if has_digit and (has_upper or has_lower) and bits(token) >= ENTROPY_LIMIT:
            return True
    return False


def secret_shaped(text: str) -> bool:
    """Does ``text`` hold anything that looks like a secret or a private location?"""
    if not text.strip():
        return False
    if (
        _EMAIL.search(text)
        or _ABS_PATH.search(text)
        or _INTERNAL_HOST.search(text)
        or _SECRET_WORD.search(text)
    ):
        return True
    found, bits = _detectors()
    return found(text) or _random_token(text, bits)


def scrub(text: str) -> str:
    """``text`` without its secret-shaped sentences."""
    kept = [s for s in _SENTENCE.split(text.strip()) if s and not secret_shaped(s)]
    return " ".join(kept)
