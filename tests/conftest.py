"""Shared fixtures: an isolated VIDEO_GEN_HOME for every test, a loopback emulator, fast sleeps,
and the ledger backends: a real PostgreSQL cluster on 127.0.0.1 (started once per session, only
when a test asks for it) and ``backend``, which runs a test on the JSON Lines file and on
PostgreSQL (a fresh database each time) unless it is marked ``jsonl_only``."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from fakekeys import fake_key
from litellm_proxy import LiteLLMProxy, ProxyUnavailable

from video_gen.emulator import EmulatorServer

if TYPE_CHECKING:
    from pgcluster import PgCluster

_ENV_TO_CLEAR = (
    "OPENAI_API_KEY",
    "SORA_API_KEY",
    "OPENAI_BASE_URL",
    "OPENAI_ORG_ID",
    "OPENAI_PROJECT_ID",
    "VIDEO_GEN_CONFIG",
    "VIDEO_GEN_PROVIDER",
    "VIDEO_GEN_MODEL",
    "VIDEO_GEN_SECONDS",
    "VIDEO_GEN_SIZE",
    "VIDEO_GEN_OUTPUT_DIR",
    "VIDEO_GEN_NAME",
    "VIDEO_GEN_TIMEOUT",
    "VIDEO_GEN_POLL_INTERVAL",
    "VIDEO_GEN_CONCURRENCY",
    "VIDEO_GEN_EMULATOR_FAULTS",
    "VIDEO_GEN_LEDGER_URL",
    "VIDEO_GEN_LEDGER_RETRY_SECONDS",
    "VIDEO_GEN_LEDGER_STATEMENT_TIMEOUT",
    "GITHUB_RUN_ID",
    "GITHUB_JOB",
    "CI_JOB_ID",
    "BUILDKITE_JOB_ID",
    "CIRCLE_WORKFLOW_JOB_ID",
    "BUILD_BUILDID",
    "BUILD_TAG",
)


@pytest.fixture(autouse=True)
def isolated_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    home = tmp_path / "vg-home"
    monkeypatch.setenv("VIDEO_GEN_HOME", str(home))
    for name in _ENV_TO_CLEAR:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("VIDEO_GEN_EMULATOR_JOB_SECONDS", "0.6")
    monkeypatch.chdir(tmp_path)
    return home


@pytest.fixture
def emulator() -> Iterator[EmulatorServer]:
    with EmulatorServer(job_seconds=0.6) as srv:
        yield srv


@pytest.fixture
def sleeps(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """Retry/backoff sleeps are recorded, not slept (download resume pauses too)."""
    recorded: list[float] = []

    def fake_sleep(seconds: float) -> None:
        recorded.append(round(seconds, 3))

    import time as real_time
    import types

    import backoff._sync

    import video_gen.client.transport
    import video_gen.download

    # A stand-in `time` module for just these modules: patching time.sleep itself would also
    # speed up the emulator's threads and the tests' own waits.
    shim = types.SimpleNamespace(
        sleep=fake_sleep, time=real_time.time, monotonic=real_time.monotonic
    )
    for module in (backoff._sync, video_gen.client.transport, video_gen.download):
        monkeypatch.setattr(module, "time", shim)
    return recorded


@pytest.fixture
def remote(emulator: EmulatorServer, monkeypatch: pytest.MonkeyPatch) -> EmulatorServer:
    """The `openai` provider pointed at a loopback emulator, as a user would point it at LiteLLM."""
    monkeypatch.setenv("OPENAI_BASE_URL", emulator.base_url)
    monkeypatch.setenv("OPENAI_API_KEY", fake_key("test"))
    return emulator


# -- ledger backends -------------------------------------------------------------------------------
BACKENDS = ("jsonl", "postgresql")
_databases = itertools.count(1)


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "jsonl_only: about the JSON Lines file itself (lines, locks, the index)"
    )


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "backend" in metafunc.fixturenames:
        only = metafunc.definition.get_closest_marker("jsonl_only") is not None
        metafunc.parametrize("backend", ["jsonl"] if only else list(BACKENDS), indirect=True)


@pytest.fixture(scope="session")
def pg_cluster() -> Iterator[PgCluster]:
    """A throwaway PostgreSQL server for the whole session (tests/pgcluster.py)."""
    from pgcluster import PgCluster

    with PgCluster() as cluster:
        yield cluster


@pytest.fixture
def pg_url(pg_cluster: PgCluster) -> str:
    """A fresh, empty database on the test cluster."""
    return pg_cluster.create_database(f"t{next(_databases)}")


@pytest.fixture
def backend(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """The ledger backend this test runs on: ``open_ledger()`` (and every command) uses it."""
    name = str(request.param)
    if name == "postgresql":
        monkeypatch.setenv("VIDEO_GEN_LEDGER_URL", request.getfixturevalue("pg_url"))
    return name


# -- the real LiteLLM proxy (tests marked `litellm`; `make test-fast` deselects them) ----------


@pytest.fixture(scope="session")
def litellm_upstream() -> Iterator[EmulatorServer]:
    """The OpenAI-shaped server every proxy below routes to; its stats count upstream creates."""
    with EmulatorServer(job_seconds=0.6) as srv:
        yield srv


def _start_proxy(upstream: EmulatorServer, workdir: Path, num_retries: int | None) -> LiteLLMProxy:
    proxy = LiteLLMProxy(upstream.base_url, fake_key("sk-master"), workdir, num_retries=num_retries)
    try:
        return proxy.start()
    except ProxyUnavailable as exc:
        # Never a skip: `make test` must run this tier, so a missing venv is a failure with its fix.
        pytest.fail(str(exc), pytrace=False)


@pytest.fixture(scope="session")
def litellm_proxy(
    litellm_upstream: EmulatorServer, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[LiteLLMProxy]:
    """The proxy as docs/providers.md tells users to configure it: router num_retries 0."""
    proxy = _start_proxy(litellm_upstream, tmp_path_factory.mktemp("litellm-0"), 0)
    yield proxy
    proxy.stop()


@pytest.fixture(scope="session")
def litellm_proxy_default(
    litellm_upstream: EmulatorServer, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[LiteLLMProxy]:
    """The proxy with the router's default settings (num_retries 2)."""
    proxy = _start_proxy(litellm_upstream, tmp_path_factory.mktemp("litellm-default"), None)
    yield proxy
    proxy.stop()


@pytest.fixture
def upstream(litellm_upstream: EmulatorServer) -> EmulatorServer:
    """The session's upstream, with no faults left over and its counters at zero."""
    litellm_upstream.faults.clear()
    litellm_upstream.stats.reset()
    return litellm_upstream
