"""Driving the project's backing services (`scripts/services`) from tests."""

import subprocess

from .processes import REPO_ROOT

SERVICES_SCRIPT = REPO_ROOT / "scripts" / "services"
SERVICE_NAMES = ("postgres", "redis", "kafka", "ferretdb")


def services(cmd: str, name: str | None = None, *, timeout: float = 180.0, check: bool = True
             ) -> subprocess.CompletedProcess:
    """Run `scripts/services CMD [NAME]` and return its result; fails the test if it fails (check=True).

    `start` waits until the service answers; `stop` returns once it is down.
    """
    if name is not None and name not in SERVICE_NAMES:
        raise ValueError(f"unknown service {name!r}; known: {', '.join(SERVICE_NAMES)}")
    args = [str(SERVICES_SCRIPT), cmd] + ([name] if name else [])
    result = subprocess.run(args, cwd=REPO_ROOT, capture_output=True, text=True, timeout=timeout,
                            stdin=subprocess.DEVNULL)
    if check and result.returncode != 0:
        raise AssertionError(f"`{' '.join(args[1:])}` failed with exit code {result.returncode}:\n"
                             f"{result.stdout}\n{result.stderr}")
    return result
