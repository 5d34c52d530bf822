"""Small network helpers for tests that talk to a real process over HTTP."""

import http.client
import json as jsonlib
import socket
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from email.message import Message


def free_port(host: str = "127.0.0.1") -> int:
    """A TCP port nothing listens on right now (the OS picks it; bind it soon after)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
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
