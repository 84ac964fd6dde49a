"""Who wrote a record: the machine, the OS user and the CI job, stamped on each as ``origin``.

With one ledger shared by many machines and CI runners (the PostgreSQL backend), a spend must be
traceable to where it came from; ``video-gen history --host/--user/--ci`` filters on it.
"""

from __future__ import annotations

import functools
import os
import socket
from typing import Any

# CI systems and the variables that identify one run of one job, first match wins: the value is
# "<system>:<ids joined by />" (e.g. ``github:7212345678/render``).
_CI_JOBS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("github", ("GITHUB_RUN_ID", "GITHUB_JOB")),
    ("gitlab", ("CI_JOB_ID",)),
    ("buildkite", ("BUILDKITE_JOB_ID",)),
    ("circleci", ("CIRCLE_WORKFLOW_JOB_ID",)),
    ("azure", ("BUILD_BUILDID", "SYSTEM_JOBID")),
    ("jenkins", ("BUILD_TAG",)),
)


def ci_job(environ: Any = None) -> str | None:
    """``system:id`` of the CI job this process runs in, or None outside CI."""
    env = os.environ if environ is None else environ
    for system, names in _CI_JOBS:
        values = [env.get(n, "").strip() for n in names]
        if values[0]:
            return f"{system}:" + "/".join(v for v in values if v)
    return None


def _user() -> str:
    import getpass

    try:
        return getpass.getuser()
    except (OSError, KeyError):  # a container's uid with no passwd entry and no $USER
        return f"uid{os.getuid()}" if hasattr(os, "getuid") else "unknown"


@functools.lru_cache(maxsize=1)
def stamp() -> dict[str, str]:
    """The ``origin`` field of this process's records (computed once)."""
    out = {"host": socket.gethostname() or "unknown", "user": _user()}
    job = ci_job()
    if job:
        out["ci"] = job
    return out
