"""Shared test helpers: polling instead of sleeping, free ports, managed subprocesses, services."""

from .net import HttpResponse, free_port, http_get, http_post, http_request
from .processes import (ARTIFACTS_DIR, REPO_ROOT, ManagedProcess, ProcessExited, ServerProcess, child_env,
                        venv_bin)
from .services import SERVICE_NAMES, services
from .waiting import WaitTimeout, wait_until

__all__ = [
    "ARTIFACTS_DIR", "REPO_ROOT", "SERVICE_NAMES", "HttpResponse", "ManagedProcess", "ProcessExited",
    "ServerProcess", "WaitTimeout", "child_env", "free_port", "http_get", "http_post", "http_request",
    "services", "venv_bin", "wait_until",
]
