"""The real LiteLLM proxy (PyPI ``litellm[proxy]``, pinned) on loopback, for the test suite.

The proxy runs from its own virtual environment, ``.venv-litellm`` (``make litellm-venv``), so the
dev environment stays light. It is started fully offline: the ``LITELLM_LOCAL_*`` switches make
it read its bundled model-cost map, blog posts, policy templates, autorouter presets and beta
headers instead of fetching them, and telemetry is vetoed. Its only upstream is an
``EmulatorServer`` (``openai`` profile) on 127.0.0.1, configured as an OpenAI-shaped deployment.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

import requests

REPO = Path(__file__).resolve().parent.parent
VENV = REPO / ".venv-litellm"
# 1.108.7 is the release whose behaviour docs/providers.md describes; 1.107.0 was compromised
# and must never be installed (the Makefile pins the version; this re-checks what is there).
PINNED = "1.108.7"
FORBIDDEN = ("1.107.0",)
FIX = "make litellm-venv"

OFFLINE_ENV = {
    "LITELLM_LOCAL_MODEL_COST_MAP": "True",
    "LITELLM_LOCAL_BLOG_POSTS": "True",
    "LITELLM_LOCAL_POLICY_TEMPLATES": "True",
    "LITELLM_LOCAL_AUTOROUTER_PRESETS": "True",
    "LITELLM_LOCAL_ANTHROPIC_BETA_HEADERS": "True",
    "LITELLM_TELEMETRY_DISABLED": "True",
    "LITELLM_DONT_SHOW_FEEDBACK_BOX": "True",
    "NO_PROXY": "127.0.0.1,localhost",
}


class ProxyUnavailable(RuntimeError):
    """The proxy cannot be run here; the message names the fix."""


def installed_version() -> str:
    """The litellm release in .venv-litellm, read from its dist-info (no import: fast)."""
    found = sorted((VENV / "lib").glob("python3*/site-packages/litellm-*.dist-info"))
    if not (VENV / "bin" / "litellm").exists() or not found:
        raise ProxyUnavailable(
            f"the LiteLLM proxy is not installed in {VENV.name}: run `{FIX}` (creates the venv"
            f" with litellm[proxy]=={PINNED}; `make test` does it for you)"
        )
    version = found[-1].name.removeprefix("litellm-").removesuffix(".dist-info")
    if version in FORBIDDEN or version != PINNED:
        raise ProxyUnavailable(
            f"{VENV.name} holds litellm {version}, not the pinned {PINNED}: run"
            f" `rm -rf {VENV.name} && {FIX}`"
        )
    return version


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@dataclass
class Deployment:
    """One ``model_list`` entry: the name clients use, routed to ``openai/<upstream_model>``."""

    name: str
    upstream_model: str = "sora-2"


@dataclass
class LiteLLMProxy:
    upstream_base_url: str
    master_key: str
    workdir: Path
    num_retries: int | None = None  # None: the router's default (2)
    deployments: list[Deployment] = field(
        default_factory=lambda: [Deployment("sora-2"), Deployment("my-video")]
    )
    port: int = 0
    started_in: float = 0.0
    _proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def base_url(self) -> str:
        return f"{self.url}/v1"

    def config_text(self) -> str:
        lines = ["model_list:"]
        for d in self.deployments:
            lines += [
                f"  - model_name: {d.name}",
                "    litellm_params:",
                f"      model: openai/{d.upstream_model}",
                f"      api_base: {self.upstream_base_url}",
                "      api_key: upstream-key",
            ]
        if self.num_retries is not None:
            lines += ["router_settings:", f"  num_retries: {self.num_retries}"]
        lines += ["general_settings:", f"  master_key: {self.master_key}"]
        return "\n".join(lines) + "\n"

    def start(self, timeout: float = 120.0) -> LiteLLMProxy:
        installed_version()
        self.workdir.mkdir(parents=True, exist_ok=True)
        config = self.workdir / "litellm.yaml"
        config.write_text(self.config_text(), encoding="utf-8")
        self.port = free_port()
        env = {
            k: v
            for k, v in os.environ.items()
            if not k.startswith(("OPENAI_", "LITELLM_", "DATABASE_URL", "HTTP_PROXY", "HTTPS_"))
        }
        env.update(OFFLINE_ENV)
        log = (self.workdir / "proxy.log").open("wb")
        began = time.monotonic()
        self._proc = subprocess.Popen(
            [
                str(VENV / "bin" / "litellm"),
                "--config",
                str(config),
                "--host",
                "127.0.0.1",
                "--port",
                str(self.port),
                "--num_workers",
                "1",
            ],
            cwd=self.workdir,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,  # its own process group, so stop() ends its children too
        )
        log.close()
        while time.monotonic() - began < timeout:
            if self._proc.poll() is not None:
                raise ProxyUnavailable(
                    f"the LiteLLM proxy exited with {self._proc.returncode} at start:\n"
                    + self.log_tail()
                )
            with contextlib.suppress(requests.RequestException):
                if requests.get(f"{self.url}/health/liveliness", timeout=2).status_code == 200:
                    self.started_in = time.monotonic() - began
                    return self
            time.sleep(0.25)
        self.stop()
        raise ProxyUnavailable(f"the LiteLLM proxy was not ready in {timeout:g}s")

    def log_tail(self, lines: int = 30) -> str:
        path = self.workdir / "proxy.log"
        text = path.read_text(errors="replace") if path.exists() else ""
        return "\n".join(text.splitlines()[-lines:])

    def stop(self) -> None:
        proc, self._proc = self._proc, None
        if proc is None or proc.poll() is not None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=5)
