"""The loopback HTTP server: sockets, keep-alive, arrival faults, and writing answers.

Stdlib only (``http.server``): the emulator must start anywhere the client runs, including CI
images with nothing but Python. HTTP/1.1 keep-alive is on because the SDKs pool connections;
so every answer carries a Content-Length, every request body is read before answering, and any
answer that cannot honour both closes the connection.
"""

from __future__ import annotations

import contextlib
import json
import socket
import sys
import threading
import time
import uuid
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import TracebackType
from typing import Any, cast
from urllib.parse import parse_qsl, unquote, urlsplit

from video_gen import __version__
from video_gen.emulator import native, openrouter_api, videos_api
from video_gen.emulator.api_errors import ApiError, DropConnection
from video_gen.emulator.dialects import dialect_of
from video_gen.emulator.faults import ARRIVAL, FaultPlan
from video_gen.emulator.jobs import JobStore
from video_gen.emulator.profiles import Profile, get_profile
from video_gen.emulator.service import Service
from video_gen.emulator.stats import Stats
from video_gen.emulator.wire import Notes, Request, Response, Route

MAX_BODY = 64 * 1024 * 1024  # larger than any reference image a client should send
_CONNECTION_ERRORS = (BrokenPipeError, ConnectionResetError, ConnectionAbortedError, TimeoutError)


class _HTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False

    def __init__(
        self, address: tuple[str, int], service: Service, routes: list[Route], ipv6: bool
    ) -> None:
        if ipv6:
            self.address_family = socket.AF_INET6
        self.service = service
        self.routes = routes
        self._open: set[socket.socket] = set()
        self._open_lock = threading.Lock()
        super().__init__(address, _Handler)

    def process_request(self, request: Any, client_address: Any) -> None:
        with self._open_lock:
            self._open.add(request)
        super().process_request(request, client_address)

    def shutdown_request(self, request: Any) -> None:
        with self._open_lock:
            self._open.discard(request)
        super().shutdown_request(request)

    def close_open_connections(self) -> None:
        # Idle keep-alive connections would otherwise keep their handler threads blocked on a
        # read after stop(); shutting the sockets down lets them end at once.
        with self._open_lock:
            sockets = list(self._open)
        for sock in sockets:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)

    def handle_error(self, request: Any, client_address: Any) -> None:
        # The default prints a traceback to stderr; a client hanging up is not news.
        exc = sys.exc_info()[1]
        if not isinstance(exc, OSError):
            self.service.log(f"internal error serving {client_address}: {exc!r}")


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = f"video-gen-emulator/{__version__}"
    timeout = 300  # an idle keep-alive connection is closed after this

    @property
    def _srv(self) -> _HTTPServer:
        return cast(_HTTPServer, self.server)

    # http.server calls do_<METHOD>; all of them go through one dispatcher.
    def do_GET(self) -> None:
        self._dispatch()

    def do_POST(self) -> None:
        self._dispatch()

    def do_DELETE(self) -> None:
        self._dispatch()

    def do_HEAD(self) -> None:
        self._dispatch()

    def do_PUT(self) -> None:
        self._dispatch()

    def do_PATCH(self) -> None:
        self._dispatch()

    def do_OPTIONS(self) -> None:
        self._dispatch()

    def version_string(self) -> str:
        return self.server_version  # without the Python version http.server appends

    def log_message(self, format: str, *args: Any) -> None:
        self._srv.service.log(format % args)

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        # One line per answered request (the foreground `video-gen emulator` prints them).
        status = getattr(code, "value", code)
        self._srv.service.log(f"{self.command} {self.path} -> {status}")

    def send_error(self, code: int, message: str | None = None, explain: str | None = None) -> None:
        # Malformed requests rejected by http.server itself still get an OpenAI-shaped body.
        self.close_connection = True
        self._write_error(ApiError(code, message or explain or "Bad request"), {}, _request_id())

    # -- the request pipeline -----------------------------------------------------------------

    def _dispatch(self) -> None:
        svc = self._srv.service
        self._body: bytes | None = None  # one handler serves many requests on a kept-alive socket
        request_id = _request_id()
        split = urlsplit(self.path)
        head = self.command == "HEAD"
        method = "GET" if head else self.command
        found: tuple[Route, dict[str, str]] | None = None
        allowed: set[str] = set()  # methods the path has, for a 405
        for candidate in self._srv.routes:
            params = candidate.match(method, split.path)
            if params is not None:
                found = (candidate, {k: unquote(v) for k, v in params.items()})
                break
            if candidate.match(candidate.method, split.path) is not None:
                allowed.add(candidate.method)
        svc.stats.record_request(self.command, found[0].name if found else "unknown")
        notes: Notes = {}
        try:
            if found is not None:
                self._arrival_faults(svc, found[0].fault_endpoint)
            body = self._read_body()
            if found is None:
                raise dialect_of(svc).route_error(self.command, split.path, allowed)
            route, params = found
            if not route.public:
                svc.check_auth(self.headers.get("Authorization"))
            request = Request(
                method=method,
                path=split.path,
                query=dict(parse_qsl(split.query, keep_blank_values=True)),
                headers={k.lower(): v for k, v in self.headers.items()},
                body=body,
                params=params,
                head=head,
                notes=notes,
            )
            response = route.handler(svc, request)
        except DropConnection:
            self.close_connection = True
            return
        except ApiError as exc:
            self._write_error(exc, notes, request_id)
            return
        except _CONNECTION_ERRORS:
            self.close_connection = True
            return
        except Exception as exc:
            svc.log(f"internal error on {self.command} {self.path}: {exc!r}")
            self._write_error(
                ApiError(500, f"Emulator error: {exc}", type="server_error"), notes, request_id
            )
            return
        self._write(response, notes, request_id)

    def _arrival_faults(self, svc: Service, endpoint: str) -> None:
        fault = svc.faults.take(ARRIVAL, endpoint)
        if fault is None:
            return
        svc.log(f"fault {fault.kind} on {self.command} {self.path}")
        if fault.kind == "drop":
            raise DropConnection
        if fault.kind == "slow":
            time.sleep(svc.faults.slow_seconds_for(fault))
            return
        self._read_body()  # so the connection stays usable for the client's retry
        if fault.kind == "429":
            seconds = svc.faults.retry_after_for(fault)
            raise ApiError(
                429,
                f"Rate limit reached for requests per min (RPM): Limit 25, Used 25, Requested 1."
                f" Please try again in {seconds:g}s.",
                type="requests",
                code="rate_limit_exceeded",
                headers={
                    "Retry-After": str(max(0, int(-(-seconds // 1)))),  # whole seconds, rounded up
                    "retry-after-ms": str(int(seconds * 1000)),
                    "x-ratelimit-limit-requests": "25",
                    "x-ratelimit-remaining-requests": "0",
                    "x-ratelimit-reset-requests": f"{seconds:g}s",
                },
            )
        status = svc.faults.next_5xx_status(fault)
        messages = {
            500: "The server had an error while processing your request. Sorry about that!",
            502: "Bad gateway.",
            503: "The server is overloaded or not ready yet.",
        }
        raise ApiError(status, messages.get(status, "Server error."), type="server_error")

    def _read_body(self) -> bytes:
        if self._body is not None:
            return self._body
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            body = self._read_chunked()
        else:
            try:
                length = int(self.headers.get("Content-Length") or 0)
            except ValueError:
                self.close_connection = True
                raise ApiError(400, "Invalid Content-Length header.") from None
            if length > MAX_BODY:
                self.close_connection = True  # the unread body makes the connection unusable
                raise ApiError(413, f"Request body too large (limit {MAX_BODY} bytes).")
            body = self.rfile.read(length) if length > 0 else b""
        self._body = body
        return body

    def _read_chunked(self) -> bytes:
        parts: list[bytes] = []
        total = 0
        while True:
            line = self.rfile.readline(65537)
            size = int(line.split(b";", 1)[0].strip() or b"0", 16)
            if size == 0:
                while self.rfile.readline(65537).strip():  # trailers
                    pass
                return b"".join(parts)
            total += size
            if total > MAX_BODY:
                self.close_connection = True
                raise ApiError(413, f"Request body too large (limit {MAX_BODY} bytes).")
            parts.append(self.rfile.read(size))
            self.rfile.readline()  # the CRLF after each chunk

    # -- writing ------------------------------------------------------------------------------

    def _start(self, status: int, headers: dict[str, str]) -> None:
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        if self.close_connection:
            self.send_header("Connection", "close")
        self.end_headers()

    def _write_error(self, err: ApiError, notes: Notes, request_id: str) -> None:
        svc = self._srv.service
        dialect = dialect_of(svc)
        headers = dialect.error_headers(svc, err, notes, request_id)
        if err.text is not None:
            if headers.get("connection") == "close":
                self.close_connection = True
            self._write_bytes(err.status, err.text.encode(), "text/plain; charset=utf-8", headers)
            return
        self._write_json(err.status, dialect.error_body(err, notes), headers)

    def _write_json(self, status: int, payload: Any, headers: dict[str, str]) -> None:
        self._write_bytes(status, json.dumps(payload).encode(), "application/json", headers)

    def _write_bytes(
        self, status: int, data: bytes, content_type: str, headers: dict[str, str]
    ) -> None:
        all_headers = {
            "Content-Type": content_type,
            "Content-Length": str(len(data)),
            **{k: v for k, v in headers.items() if k.lower() != "connection"},
        }
        try:
            self._start(status, all_headers)
            if self.command != "HEAD":
                self.wfile.write(data)
        except _CONNECTION_ERRORS:
            self.close_connection = True

    def _write(self, response: Response, notes: Notes, request_id: str) -> None:
        svc = self._srv.service
        if response.body is None:
            headers = dialect_of(svc).json_headers(svc, notes, request_id)
            self._write_json(response.status, response.json, headers | response.headers)
            return
        body = response.body
        stop = body.size if response.stop is None else response.stop
        length = stop - response.start
        send_until = stop
        if response.truncate:
            # Promise the whole length, deliver about half, hang up: a cut transfer as a client
            # sees one, which only a Content-Length check catches.
            send_until = response.start + length // 2
            self.close_connection = True
        headers = {
            "Content-Type": body.content_type,
            "Content-Length": str(length),
            **dialect_of(svc).content_headers(svc, notes, request_id),
            **response.headers,
        }
        sent = 0
        try:
            self._start(response.status, headers)
            if self.command != "HEAD":
                for chunk in body.iter_range(response.start, send_until):
                    self.wfile.write(chunk)
                    sent += len(chunk)
        except _CONNECTION_ERRORS:
            self.close_connection = True
        finally:
            self._srv.service.stats.record_content_bytes(sent)


def _request_id() -> str:
    return "req_" + uuid.uuid4().hex


def _routes(profile: Profile) -> list[Route]:
    if profile.shape == "openrouter":
        return openrouter_api.routes(profile)
    if profile.shape in native.SHAPES:
        return native.routes(profile)
    return videos_api.routes(profile)


class EmulatorServer:
    """A loopback server speaking the OpenAI Videos API (or a profile's variant of it).

    ``start()`` serves from a daemon thread (tests); ``serve_forever()`` serves in the foreground
    (the CLI) and returns on Ctrl-C. The socket is bound at construction, so ``base_url`` is
    known, and a busy port fails, before anything is served.
    """

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 0,
        job_seconds: float = 8.0,
        faults: str | FaultPlan | None = "",
        require_key: str | None = None,
        profile: str | Profile = "openai",
        video_bytes: int | None = None,
        queue_seconds: float | None = None,
        poll_hint_ms: int | None = None,
        log: Callable[[str], None] | None = None,
        state_file: Path | None = None,
    ) -> None:
        """``state_file``: keep the jobs in this JSON file, so another process (and another
        emulator on it) finds them; without it they live as long as this object."""
        plan = faults if isinstance(faults, FaultPlan) else FaultPlan(faults or "")
        self.profile = get_profile(profile)
        self._service = Service(
            profile=self.profile,
            job_seconds=job_seconds,
            queue_seconds=queue_seconds,
            faults=plan,
            require_key=require_key,
            video_bytes=video_bytes,
            poll_hint_ms=poll_hint_ms,
            log=log,
            state_file=state_file,
        )
        self._httpd = _HTTPServer((host, port), self._service, _routes(self.profile), ":" in host)
        self.host = host
        self.port: int = self._httpd.server_address[1]
        self._service.base_url = self.base_url
        self._thread: threading.Thread | None = None
        self._serving = False
        self._closed = False

    @property
    def base_url(self) -> str:
        host = self.host
        if host in ("", "0.0.0.0"):
            host = "127.0.0.1"
        elif host == "::":
            host = "::1"
        if ":" in host:
            host = f"[{host}]"
        return f"http://{host}:{self.port}{self.profile.api_prefix}"

    @property
    def stats(self) -> Stats:
        return self._service.stats

    @property
    def faults(self) -> FaultPlan:
        return self._service.faults

    @property
    def jobs(self) -> JobStore:
        return self._service.jobs

    @property
    def job_seconds(self) -> float:
        return self._service.job_seconds

    def start(self) -> EmulatorServer:
        if self._closed:
            raise RuntimeError("this emulator was stopped; create a new one")
        if self._thread is None:
            self._serving = True
            self._thread = threading.Thread(
                target=self._httpd.serve_forever,
                kwargs={"poll_interval": 0.05},
                name=f"video-gen-emulator:{self.port}",
                daemon=True,
            )
            self._thread.start()
        return self

    def serve_forever(self) -> None:
        """Serve in the calling thread until Ctrl-C (or ``stop()`` from another thread)."""
        if self._closed:
            raise RuntimeError("this emulator was stopped; create a new one")
        self._serving = True
        try:
            self._httpd.serve_forever(poll_interval=0.2)
        except KeyboardInterrupt:
            pass
        finally:
            self._serving = False
            self._close()

    def stop(self) -> None:
        if self._closed:
            return
        if self._serving and self._thread is not None:
            self._httpd.shutdown()  # waits for the serve loop; only safe while it runs
            self._thread.join(timeout=5)
        elif self._serving:  # serve_forever() in another thread
            self._httpd.shutdown()
        self._serving = False
        self._close()

    def _close(self) -> None:
        if not self._closed:
            self._closed = True
            self._httpd.server_close()
            self._httpd.close_open_connections()

    def __enter__(self) -> EmulatorServer:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def __repr__(self) -> str:
        return f"EmulatorServer({self.base_url!r}, profile={self.profile.name!r})"
