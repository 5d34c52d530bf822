"""Subprocesses started by tests: their output goes to a log file under test-artifacts/, and they
are always stopped (SIGTERM to the whole process group, SIGKILL if it does not go in time).

Use them as context managers (or stop them in a fixture's teardown) so a failing test cannot leave
a server or worker running.
"""

import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Mapping, Sequence
from pathlib import Path

from .net import HttpResponse, free_port, http_get, http_request
from .waiting import wait_until

REPO_ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS_DIR = REPO_ROOT / "test-artifacts"
VENV_BIN = Path(sys.prefix) / "bin"  # the virtualenv running pytest; its console scripts live here


def venv_bin(name: str) -> str:
    return str(VENV_BIN / name)


def child_env(overrides: Mapping[str, str] | None = None, *, drop: Sequence[str] = (),
              base: Mapping[str, str] | None = None) -> dict[str, str]:
    """A copy of `base` (default: this process's environment) without `drop`, plus `overrides`."""
    env = dict(os.environ if base is None else base)
    for name in drop:
        env.pop(name, None)
    env.update(overrides or {})
    return env


def artifact_path(name: str, suffix: str = ".log") -> Path:
    ARTIFACTS_DIR.mkdir(parents=True, exist_ok=True)
    safe = re.sub(r"[^A-Za-z0-9._-]+", "-", name).strip("-") or "process"
    stamp = time.strftime("%Y%m%d-%H%M%S")
    return ARTIFACTS_DIR / f"{safe}-{stamp}-{os.getpid()}-{time.monotonic_ns() % 1_000_000}{suffix}"


class ProcessExited(AssertionError):
    """The subprocess ended while the test still needed it."""


class ManagedProcess:
    """A subprocess in its own session (process group), with output captured to a log file."""

    def __init__(self, name: str, cmd: Sequence[str], env: Mapping[str, str], *, cwd: Path | str = REPO_ROOT,
                 stop_timeout: float = 10.0):
        self.name = name
        self.cmd = [str(part) for part in cmd]
        self.env = dict(env)
        self.cwd = str(cwd)
        self.stop_timeout = stop_timeout
        self.log_path = artifact_path(name)
        self.proc: subprocess.Popen | None = None
        self.returncode: int | None = None  # set by stop()
        self._log = None

    # -- lifecycle ---------------------------------------------------------------------------
    def start(self) -> "ManagedProcess":
        if self.proc is not None:
            raise RuntimeError(f"{self.name} already started")
        self._log = open(self.log_path, "wb")
        self._log.write(f"$ {' '.join(self.cmd)}\n".encode())
        self._log.flush()
        self.proc = subprocess.Popen(self.cmd, env=self.env, cwd=self.cwd, stdin=subprocess.DEVNULL,
                                     stdout=self._log, stderr=subprocess.STDOUT, start_new_session=True)
        return self

    def stop(self) -> int | None:
        """SIGTERM the process group, SIGKILL it after `stop_timeout`; idempotent. Returns the exit code."""
        proc, self.proc = self.proc, None
        try:
            if proc is None:
                return None
            self._signal_group(proc, signal.SIGTERM)
            try:
                proc.wait(timeout=self.stop_timeout)
            except subprocess.TimeoutExpired:
                self._signal_group(proc, signal.SIGKILL)
                proc.wait(timeout=self.stop_timeout)
            # Children that outlived the leader (e.g. a server's workers) go too.
            self._signal_group(proc, signal.SIGKILL)
            self.returncode = proc.returncode
            return proc.returncode
        finally:
            if self._log is not None:
                self._log.close()
                self._log = None

    @staticmethod
    def _signal_group(proc: subprocess.Popen, sig: int) -> None:
        try:
            os.killpg(proc.pid, sig)  # start_new_session=True: the group id is the leader's pid
        except (ProcessLookupError, PermissionError):
            pass

    def __enter__(self):
        try:
            self.start()
        except BaseException:
            self.stop()
            raise
        return self

    def __exit__(self, *exc_info):
        self.stop()

    # -- inspection --------------------------------------------------------------------------
    @property
    def pid(self) -> int:
        if self.proc is None:
            raise RuntimeError(f"{self.name} is not running")
        return self.proc.pid

    def is_running(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def assert_running(self) -> None:
        if self.proc is None:
            raise ProcessExited(f"{self.name} was never started or is already stopped")
        code = self.proc.poll()
        if code is not None:
            raise ProcessExited(f"{self.name} exited with code {code}; log {self.log_path}:\n{self.log_tail()}")

    def log_text(self) -> str:
        if self._log is not None:
            self._log.flush()
        try:
            return self.log_path.read_text(errors="replace")
        except FileNotFoundError:
            return ""

    def log_tail(self, lines: int = 40) -> str:
        return "\n".join(self.log_text().splitlines()[-lines:])


# A port picked free can be taken by another process before the server binds it (other test
# processes pick ports the same way): the server then exits saying so, and starts again elsewhere.
PORT_TAKEN = ("Address already in use", "Connection in use")
PORT_ATTEMPTS = 3


class ServerProcess(ManagedProcess):
    """An HTTP server of this project on a free 127.0.0.1 port, ready once `ready_path` answers.

    kind "gunicorn" runs `gunicorn pos_project.wsgi` (one sync worker); "runserver" runs
    `manage.py runserver --noreload`; or pass `cmd` for anything else that listens on `port`.
    """

    def __init__(self, env: Mapping[str, str], *, kind: str = "gunicorn", cmd: Sequence[str] | None = None,
                 port: int | None = None, name: str | None = None, ready_path: str = "/health/live",
                 start_timeout: float = 30.0, stop_timeout: float = 10.0):
        self.host = "127.0.0.1"
        self.port = port or free_port(self.host)
        if cmd is None:
            if kind == "gunicorn":
                cmd = [venv_bin("gunicorn"), "pos_project.wsgi:application", "--bind", f"{self.host}:{self.port}",
                       "--workers", "1", "--timeout", "30", "--graceful-timeout", "5",
                       "--error-logfile", "-"]  # requests are logged once, by the application
            elif kind == "runserver":
                cmd = [sys.executable, "manage.py", "runserver", f"{self.host}:{self.port}", "--noreload"]
            else:
                raise ValueError(f"unknown server kind {kind!r}")
        super().__init__(name or f"server-{kind}", cmd, env, stop_timeout=stop_timeout)
        self.ready_path = ready_path
        self.start_timeout = start_timeout
        self.port_given = port is not None

    @property
    def base_url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def url(self, path: str) -> str:
        return self.base_url + path

    def start(self) -> "ServerProcess":
        def answers():
            self.assert_running()  # a crash at startup fails at once, with the log
            return http_get(self.url(self.ready_path), timeout=2).status == 200

        for attempt in range(1, PORT_ATTEMPTS + 1):
            super().start()
            try:
                wait_until(answers, timeout=self.start_timeout, interval=0.2, ignore=(OSError,),
                           message=f"{self.name} to answer 200 on {self.url(self.ready_path)} (log {self.log_path})")
                return self
            except ProcessExited:
                if self.port_given or attempt == PORT_ATTEMPTS or not self.lost_its_port():
                    raise
                self.move_to_free_port()
        raise AssertionError("unreachable")

    def lost_its_port(self) -> bool:
        """It exited because another process took its port between `free_port` and its bind."""
        return not self.is_running() and any(sign in self.log_text() for sign in PORT_TAKEN)

    def move_to_free_port(self) -> None:
        """Stopped, on a newly picked port (its command names the old one as host:port)."""
        old = f"{self.host}:{self.port}"
        self.stop()
        self.port = free_port(self.host)
        self.cmd = [part.replace(old, f"{self.host}:{self.port}") for part in self.cmd]

    def get(self, path: str, **kwargs) -> HttpResponse:
        return http_get(self.url(path), **kwargs)

    def request(self, method: str, path: str, **kwargs) -> HttpResponse:
        return http_request(method, self.url(path), **kwargs)
