"""A loopback emulator of the OpenAI Videos API (and of servers that speak its shape).

Tests, ``make demo`` and users' CI run against it instead of a paid API::

    from video_gen.emulator import EmulatorServer

    with EmulatorServer(job_seconds=1, faults="create-500") as srv:
        ...  # point a client at srv.base_url; srv.stats counts what arrived

Stdlib ``http.server`` only: no typer, no rich, nothing to install. See docs/emulator.md.
"""

from __future__ import annotations

from video_gen.emulator.faults import ENDPOINTS, KINDS, Fault, FaultPlan
from video_gen.emulator.jobs import Job, JobStore, JobView
from video_gen.emulator.profiles import PROFILES, Profile, get_profile
from video_gen.emulator.server import EmulatorServer
from video_gen.emulator.stats import Stats

__all__ = [
    "ENDPOINTS",
    "KINDS",
    "PROFILES",
    "EmulatorServer",
    "Fault",
    "FaultPlan",
    "Job",
    "JobStore",
    "JobView",
    "Profile",
    "Stats",
    "get_profile",
]
