"""Driving the project's backing services (`scripts/services`) from tests."""

import os
import subprocess

from .processes import REPO_ROOT

SERVICES_SCRIPT = REPO_ROOT / "scripts" / "services"
SERVICE_NAMES = ("postgres", "redis", "kafka", "ferretdb")


def services(cmd: str, name: str | None = None, *, timeout: float = 180.0, check: bool = True,
             env: dict[str, str | None] | None = None) -> subprocess.CompletedProcess:
    """Run `scripts/services CMD [NAME]` and return its result; fails the test if it fails (check=True).

    `start` waits until the service answers; `stop` returns once it is down. `env`: variables
    to set (or, with None as the value, to remove) for this run only.
    """
    if name is not None and name not in SERVICE_NAMES:
        raise ValueError(f"unknown service {name!r}; known: {', '.join(SERVICE_NAMES)}")
    args = [str(SERVICES_SCRIPT), cmd] + ([name] if name else [])
    run_env = {**os.environ, **(env or {})}
    run_env = {key: value for key, value in run_env.items() if value is not None}
    result = subprocess.run(args, cwd=REPO_ROOT, capture_output=True, text=True, timeout=timeout,
                            stdin=subprocess.DEVNULL, env=run_env)
    if check and result.returncode != 0:
        raise AssertionError(f"`{' '.join(args[1:])}` failed with exit code {result.returncode}:\n"
                             f"{result.stdout}\n{result.stderr}")
    return result
