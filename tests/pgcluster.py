"""A throwaway PostgreSQL cluster on 127.0.0.1, from the system's server binaries (Debian's
``postgresql`` package, installed by ``make test`` / ``.ci/install-postgres`` when missing).

The server refuses to run as root, and tests and CI here may run as root: then initdb and
postgres run as an unprivileged user (``postgres`` if it exists, else ``nobody``) through
``setpriv``, which execs in place (so the process we hold *is* the server and our signals reach
it), with a data directory that user owns, made directly under the system temp dir (pytest's
own temp dirs are root-only). Connections use a password (scram-sha-256), so tests can check it
never leaks.
"""

from __future__ import annotations

import contextlib
import glob
import os
import pwd
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from pathlib import Path

PASSWORD = "pw-" + "x" * 4 + "-cluster"  # only ever on 127.0.0.1, for a throwaway cluster
USER = "vgtest"


def bin_dir() -> Path | None:
    """The newest installed server's bin directory, or None."""
    found = sorted(
        glob.glob("/usr/lib/postgresql/*/bin/initdb"),
        key=lambda p: int(Path(p).parts[-3]) if Path(p).parts[-3].isdigit() else 0,
    )
    if found:
        return Path(found[-1]).parent
    initdb = shutil.which("initdb")
    return Path(initdb).parent if initdb else None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class PgCluster:
    """``start()`` / ``stop()`` / ``restart()`` a cluster; ``url(db)`` to connect to it."""

    def __init__(self, *, fast: bool = True) -> None:
        found = bin_dir()
        if found is None:
            raise RuntimeError(
                "no PostgreSQL server binaries (initdb): install Debian's `postgresql` package"
                " (make test does: .ci/install-postgres)"
            )
        self.bin = found
        self.fast = fast  # fsync off: the tests restart it cleanly, never pull the plug
        self.root = Path(tempfile.mkdtemp(prefix="vg-pg-", dir="/tmp"))
        self.data = self.root / "data"
        self.port = _free_port()
        self.proc: subprocess.Popen[bytes] | None = None
        self.log = self.root / "server.log"
        self._as: list[str] = []
        if os.geteuid() == 0:
            name = "postgres" if _user_exists("postgres") else "nobody"
            entry = pwd.getpwnam(name)
            os.chown(self.root, entry.pw_uid, entry.pw_gid)
            self._as = [
                "setpriv",
                f"--reuid={entry.pw_uid}",
                f"--regid={entry.pw_gid}",
                "--clear-groups",
                "--",
            ]
        pwfile = self.root / "pw"
        pwfile.write_text(PASSWORD + "\n")
        if self._as:
            os.chown(pwfile, pwd.getpwnam(_owner(self.root)).pw_uid, -1)
        subprocess.run(
            [
                *self._as,
                str(self.bin / "initdb"),
                "-D",
                str(self.data),
                "-U",
                USER,
                "--pwfile",
                str(pwfile),
                "--auth-host=scram-sha-256",
                "--auth-local=trust",
                "-E",
                "UTF8",
                "--locale=C",
                "--no-sync",
            ],
            check=True,
            capture_output=True,
        )
        pwfile.unlink()

    def url(self, database: str = "postgres", *, password: str | None = PASSWORD) -> str:
        auth = USER if password is None else f"{USER}:{password}"
        return f"postgresql://{auth}@127.0.0.1:{self.port}/{database}"

    # -- life ------------------------------------------------------------------------------
    def start(self, timeout: float = 30.0) -> None:
        settings = [
            "listen_addresses=127.0.0.1",
            f"port={self.port}",
            f"unix_socket_directories={self.root}",
            "max_connections=300",
            "log_min_messages=warning",
        ]
        if self.fast:
            settings += ["fsync=off", "synchronous_commit=off", "full_page_writes=off"]
        args = [*self._as, str(self.bin / "postgres"), "-D", str(self.data)]
        for setting in settings:
            args += ["-c", setting]
        with open(self.log, "ab") as log:
            self.proc = subprocess.Popen(args, stdout=log, stderr=subprocess.STDOUT)
        self.wait_ready(timeout)

    def wait_ready(self, timeout: float = 30.0) -> None:
        import psycopg

        deadline = time.monotonic() + timeout
        while True:
            if self.proc is not None and self.proc.poll() is not None:
                raise RuntimeError(f"postgres exited: {self.log.read_text()[-2000:]}")
            try:
                psycopg.connect(self.url(), connect_timeout=2).close()
                return
            except psycopg.OperationalError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.05)

    def stop(self, mode: str = "fast") -> None:
        """``fast`` (SIGINT: roll back sessions, clean shutdown) or ``immediate`` (SIGQUIT)."""
        if self.proc is None:
            return
        sig = {"smart": signal.SIGTERM, "fast": signal.SIGINT, "immediate": signal.SIGQUIT}[mode]
        with contextlib.suppress(ProcessLookupError):
            self.proc.send_signal(sig)
        try:
            self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(timeout=10)
        self.proc = None

    def restart(self, mode: str = "fast", pause: float = 0.0) -> None:
        self.stop(mode)
        time.sleep(pause)
        self.start()

    def create_database(self, name: str) -> str:
        import psycopg

        with psycopg.connect(self.url(), autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        return self.url(name)

    def execute(self, sql: str, database: str = "postgres") -> list[tuple[object, ...]]:
        import psycopg

        with psycopg.connect(self.url(database), autocommit=True) as conn:
            cur = conn.execute(sql)
            return cur.fetchall() if cur.description else []

    def close(self) -> None:
        self.stop("fast")
        shutil.rmtree(self.root, ignore_errors=True)

    def __enter__(self) -> PgCluster:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _user_exists(name: str) -> bool:
    try:
        pwd.getpwnam(name)
    except KeyError:
        return False
    return True


def _owner(path: Path) -> str:
    return pwd.getpwuid(path.stat().st_uid).pw_name
