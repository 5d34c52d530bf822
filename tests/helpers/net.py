"""Small network helpers for tests that talk to a real process over HTTP."""

import http.client
import json as jsonlib
import random
import socket
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from email.message import Message
from pathlib import Path


def _ephemeral_range() -> tuple[int, int]:
    try:
        low, high = Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split()
        return int(low), int(high)
    except (OSError, ValueError):
        return 32768, 60999  # Linux's default


def free_port(host: str = "127.0.0.1") -> int:
    """A TCP port nothing listens on right now, for a server started soon after. Chosen below the
    ephemeral range: a port the OS hands out (bind to 0) is also what it gives the next outgoing
    connection, and a CI run lost a gunicorn's port that way between the pick and the bind."""
    low, _ = _ephemeral_range()
    candidates = list(range(max(1024, low - 12000), low))
    random.shuffle(candidates)
    for port in candidates[:200]:
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
            try:
                sock.bind((host, port))
            except OSError:
                continue
            return port
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:  # a crowded range: let the OS pick
        sock.bind((host, 0))
        return sock.getsockname()[1]


@dataclass
class HttpResponse:
    status: int
    headers: Message
    body: bytes

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", errors="replace")

    @property
    def content_type(self) -> str:
        return self.headers.get("Content-Type", "")

    def json(self):
        return jsonlib.loads(self.body)


def http_request(method: str, url: str, *, json=None, headers: dict | None = None, timeout: float = 10.0,
                 source: str | None = None) -> HttpResponse:
    """One HTTP request; an error status is returned (not raised), a connection failure raises OSError.

    `source`: the local address to connect from, e.g. "127.0.0.2" (any of 127.0.0.0/8 works on
    loopback), so a server sees several distinct clients on one machine."""
    data = None
    headers = dict(headers or {})
    if json is not None:
        data = jsonlib.dumps(json).encode()
        headers.setdefault("Content-Type", "application/json")
    if source is not None:
        return _request_from(source, method, url, data, headers, timeout)
    request = urllib.request.Request(url, data=data, method=method, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return HttpResponse(response.status, response.headers, response.read())
    except urllib.error.HTTPError as exc:
        with exc:
            return HttpResponse(exc.code, exc.headers, exc.read())


def _request_from(source: str, method: str, url: str, data, headers: dict, timeout: float) -> HttpResponse:
    parts = urllib.parse.urlsplit(url)
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=timeout, source_address=(source, 0))
    try:
        connection.request(method, parts.path + (f"?{parts.query}" if parts.query else ""), body=data,
                           headers=headers)
        raw = connection.getresponse()
        return HttpResponse(raw.status, raw.headers, raw.read())
    finally:
        connection.close()


def http_get(url: str, **kwargs) -> HttpResponse:
    return http_request("GET", url, **kwargs)


def http_post(url: str, **kwargs) -> HttpResponse:
    return http_request("POST", url, **kwargs)
