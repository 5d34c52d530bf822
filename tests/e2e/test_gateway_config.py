"""The nginx gateway's configuration, run by the real nginx: `nginx -t` accepts it, and a gateway
in front of stand-in upstreams on 127.0.0.1 routes each path to its context, passes request ids
and forwarded headers, answers problem details itself, rate-limits, believes only a trusted TLS
terminator, keeps readiness internal and terminates TLS with HSTS in the example config.
(tests/unit/test_docker_compose.py checks the compose file around it without running anything.)
"""

import http.client
import json
import re
import shutil
import subprocess
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from django.conf import settings

from tests.helpers.deployment import write_gateway_config
from tests.helpers.net import HttpResponse, free_port, http_request
from tests.helpers.problem_types import registered_problem_name
from tests.helpers.processes import ServerProcess, child_env

pytestmark = pytest.mark.e2e

REPO_ROOT = Path(__file__).resolve().parents[2]
NGINX_DIR = REPO_ROOT / "deploy" / "nginx"
GATEWAY_CONF = NGINX_DIR / "gateway.conf"
API_SERVICES = {f"api-{context}": context for context in settings.ALL_CONTEXTS}


def nginx_binary() -> str:
    path = shutil.which("nginx") or shutil.which("nginx", path="/usr/sbin:/usr/local/sbin:/usr/local/nginx/sbin")
    if not path:
        pytest.fail("nginx is not installed: `scripts/services up` installs it (Debian package nginx), "
                    "or run `apt-get install -y nginx`.", pytrace=False)
    return path


def test_nginx_accepts_the_gateway_config(tmp_path):
    nginx = nginx_binary()
    conf = write_gateway_config(tmp_path, {host: "127.0.0.1:9" for host in API_SERVICES}, "127.0.0.1:9")
    result = subprocess.run([nginx, "-t", "-p", str(tmp_path), "-c", str(conf), "-e", "stderr"],
                            capture_output=True, text=True, timeout=30)
    assert result.returncode == 0, f"nginx -t rejects the gateway config:\n{result.stderr}"
    assert "syntax is ok" in result.stderr


# --- the gateway, for real ------------------------------------------------------------------------
class _EchoHandler(BaseHTTPRequestHandler):
    """A stand-in API deployment: answers with what it received, and which context it is."""

    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # headers and body go out in two writes: no 40 ms delayed-ACK stall

    def _answer(self):
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        body = json.dumps({"context": self.server.context, "method": self.command, "path": self.path,
                           "headers": {k.lower(): v for k, v in self.headers.items()}}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_GET = do_POST = _answer

    def log_message(self, *args):
        pass


@pytest.fixture
def stand_in_apis():
    """Echo servers for stores, catalog, sales, reporting and audit; customers has nothing listening
    (a dead upstream)."""
    servers, addresses = [], {}
    for context in ("stores", "catalog", "sales", "reporting", "audit"):
        server = ThreadingHTTPServer(("127.0.0.1", 0), _EchoHandler)
        server.context = context
        threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
        servers.append(server)
        addresses[f"api-{context}"] = f"127.0.0.1:{server.server_address[1]}"
    addresses["api-customers"] = f"127.0.0.1:{free_port()}"
    yield addresses
    for server in servers:
        server.shutdown()
        server.server_close()


@pytest.fixture
def gateway(tmp_path, stand_in_apis):
    port = free_port()
    conf = write_gateway_config(tmp_path, stand_in_apis, f"127.0.0.1:{port}")
    cmd = [nginx_binary(), "-p", str(tmp_path), "-c", str(conf), "-e", "stderr"]
    with ServerProcess(child_env(), cmd=cmd, port=port, name="nginx-gateway", ready_path="/health/gateway",
                       start_timeout=15) as server:
        yield server


def assert_problem(response, status: int) -> dict:
    assert response.status == status, response.text
    assert response.content_type == "application/problem+json", response.content_type
    body = response.json()
    assert body["status"] == status and body["title"] and body["detail"], body
    registered_problem_name(body["type"])
    assert body["request_id"] == response.headers["X-Request-ID"]
    return body


ROUTES = [
    ("/api/v1/stores/S1/", "stores"),
    ("/api/v1/catalog/products/", "catalog"),
    ("/api/v1/sales/orders/", "sales"),
    ("/api/v1/reports/daily-sales/", "reporting"),
    ("/api/v1/reporting/daily-sales/", "reporting"),
    ("/api/v1/audit/events/", "audit"),
    ("/admin/audit/", "audit"),
    ("/api/v1/auth/token/", "sales"),
    ("/api/v1/", "sales"),
    ("/api/schema/", "sales"),
    ("/api/docs/", "sales"),
    ("/admin/login/", "sales"),
    ("/admin/auditlog/", "sales"),  # only /admin/audit/ itself goes to the audit deployment
    ("/static/admin/css/base.css", "sales"),
    ("/till/", "sales"),  # the browser till's page and service worker
    ("/till/sw.js", "sales"),
    ("/health/ready", "sales"),  # internal only: the test's 127.0.0.1 is inside
    ("/health/live", "sales"),
]


def test_gateway_routes_each_path_to_its_context(gateway):
    for path, context in ROUTES:
        response = gateway.get(path)
        assert response.status == 200, (path, response.status, response.text)
        assert (response.json()["context"], response.json()["path"]) == (context, path)
    echoed = gateway.get("/health/catalog/ready").json()
    assert (echoed["context"], echoed["path"]) == ("catalog", "/health/ready")


def test_gateway_passes_request_id_host_and_its_own_forwarded_headers(gateway):
    response = gateway.get("/api/v1/sales/orders/", headers={
        "X-Request-ID": "till-7.abc", "Host": "localhost:8080",
        "X-Forwarded-For": "203.0.113.9", "X-Forwarded-Proto": "https"})
    headers = response.json()["headers"]
    assert headers["x-request-id"] == "till-7.abc"
    assert headers["host"] == "localhost:8080", "the port must survive (Django's CSRF origin check)"
    assert headers["x-forwarded-for"] == "127.0.0.1", "a client cannot claim another address"
    assert headers["x-forwarded-proto"] == "http", "a client cannot claim https"
    generated = gateway.get("/api/v1/sales/orders/", headers={"X-Request-ID": "bad id; with spaces"})
    assert re.fullmatch(r"[0-9a-f]{32}", generated.json()["headers"]["x-request-id"])


def test_gateway_answers_problem_details_itself(gateway):
    health = gateway.get("/health/gateway")
    assert health.status == 200 and health.json()["status"] == "ok"

    down = http_request("POST", gateway.url("/api/v1/customers/"), json={}, headers={"X-Request-ID": "till-1.x"},
                        timeout=5)
    body = assert_problem(down, 503)  # an unreachable deployment is unavailable (issue #7)
    assert body["request_id"] == "till-1.x"
    assert down.headers["Retry-After"] == "1"

    assert_problem(gateway.get("/no/such/route"), 404)

    # A declared body over client_max_body_size (the app's 256 KiB) is refused before it is read.
    connection = http.client.HTTPConnection("127.0.0.1", gateway.port, timeout=5)
    try:
        connection.putrequest("POST", "/api/v1/sales/orders/")
        connection.putheader("Content-Type", "application/json")
        connection.putheader("Content-Length", str(256 * 1024 + 1))
        connection.endheaders()
        raw = connection.getresponse()
        too_large = HttpResponse(raw.status, raw.headers, raw.read())
    finally:
        connection.close()
    assert "256 KiB" in assert_problem(too_large, 413)["detail"]  # the gateway's answer, not the app's


def test_gateway_rate_limits_per_client_with_problem_details(gateway):
    # 20 r/s with a burst of 40 per Authorization value: quick requests in a row hit the limit.
    statuses, limited = [], None
    while limited is None and len(statuses) < 400:
        response = gateway.get("/api/v1/catalog/products/", headers={"Authorization": "Bearer till-one"})
        statuses.append(response.status)
        if response.status == 429:
            limited = response
    assert limited is not None, f"no 429 after {len(statuses)} quick requests: {sorted(set(statuses))}"
    assert_problem(limited, 429)
    assert limited.headers["Retry-After"] == "1"
    assert statuses[0] == 200
    other = gateway.get("/api/v1/catalog/products/", headers={"Authorization": "Bearer till-two"})
    assert other.status == 200, "another client has a limit of its own"



# --- TLS, trusted terminators, internal endpoints (issue 23) ----------------------------------------
TRUSTED_TERMINATOR = "127.0.0.5"


@pytest.fixture
def gateway_behind_terminator(tmp_path, stand_in_apis):
    port = free_port()
    conf = write_gateway_config(tmp_path, stand_in_apis, f"127.0.0.1:{port}", trusted_proxies=(TRUSTED_TERMINATOR,))
    cmd = [nginx_binary(), "-p", str(tmp_path), "-c", str(conf), "-e", "stderr"]
    with ServerProcess(child_env(), cmd=cmd, port=port, name="nginx-gateway-terminated", ready_path="/health/gateway",
                       start_timeout=15) as server:
        yield server


def test_only_a_trusted_terminator_passes_the_client_address_and_https_on(gateway_behind_terminator):
    claims = {"X-Forwarded-For": "203.0.113.7", "X-Forwarded-Proto": "https"}
    url = gateway_behind_terminator.url("/api/v1/sales/orders/")

    seen = http_request("GET", url, headers=claims, source=TRUSTED_TERMINATOR).json()["headers"]
    assert (seen["x-forwarded-for"], seen["x-forwarded-proto"]) == ("203.0.113.7", "https")
    plain = http_request("GET", url, headers={**claims, "X-Forwarded-Proto": "http"}, source=TRUSTED_TERMINATOR)
    assert plain.json()["headers"]["x-forwarded-proto"] == "http"

    spoofed = http_request("GET", url, headers=claims, source="127.0.0.6").json()["headers"]
    assert (spoofed["x-forwarded-for"], spoofed["x-forwarded-proto"]) == ("127.0.0.6", "http")


def test_readiness_and_the_api_console_are_not_served_to_the_internet(gateway_behind_terminator):
    """/health/ready names the dependencies and how they fail: for probes inside the network only;
    so is the interactive API console (/api/docs/), while the schema it shows stays public.
    A client the trusted terminator names as 203.0.113.7 is on the internet; 127.0.0.6 is inside."""
    for path in ("/health/ready", "/health/sales/ready", "/health/catalog/live", "/api/docs/"):
        outside = http_request("GET", gateway_behind_terminator.url(path), source=TRUSTED_TERMINATOR,
                               headers={"X-Forwarded-For": "203.0.113.7"})
        assert_problem(outside, 404)
        inside = http_request("GET", gateway_behind_terminator.url(path), source="127.0.0.6")
        assert inside.status == 200, (path, inside.text)
    schema = http_request("GET", gateway_behind_terminator.url("/api/schema/"), source=TRUSTED_TERMINATOR,
                          headers={"X-Forwarded-For": "203.0.113.7"})
    assert schema.status == 200 and schema.json()["path"] == "/api/schema/"  # a vendor builds on it: public
    live = http_request("GET", gateway_behind_terminator.url("/health/live"), source=TRUSTED_TERMINATOR,
                        headers={"X-Forwarded-For": "203.0.113.7"})
    assert live.status == 200 and live.json()["path"] == "/health/live"  # liveness says nothing: public


def test_metrics_are_never_served_through_the_gateway(gateway_behind_terminator):
    """Prometheus scrapes each deployment from inside the network; the gateway has no route to
    /metrics for anyone, inside or out."""
    for path in ("/metrics", "/metrics/", "/metrics?x=1"):
        for source, headers in (("127.0.0.6", {}), (TRUSTED_TERMINATOR, {"X-Forwarded-For": "203.0.113.7"})):
            assert_problem(http_request("GET", gateway_behind_terminator.url(path), source=source, headers=headers),
                           404)


def _self_signed_certificate(directory: Path) -> tuple[Path, Path]:
    cert, key = directory / "cert.pem", directory / "key.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=localhost",
                    "-keyout", str(key), "-out", str(cert)], check=True, capture_output=True, timeout=60)
    return cert, key


def test_the_tls_example_terminates_tls_with_hsts_and_tells_the_app_https(tmp_path, stand_in_apis):
    import ssl

    cert, key = _self_signed_certificate(tmp_path)
    example = (NGINX_DIR / "listen.tls.example.conf").read_text()
    assert "listen 443 ssl;" in example
    port, tls_port, redirect_port = free_port(), free_port(), free_port()
    listen_conf = (f"listen 127.0.0.1:{port};\n"  # plain, for the readiness wait only
                   + example.replace("listen 443 ssl;", f"listen 127.0.0.1:{tls_port} ssl;")
                   .replace("/etc/nginx/tls/fullchain.pem", str(cert)).replace("/etc/nginx/tls/privkey.pem", str(key)))
    conf = write_gateway_config(tmp_path, stand_in_apis, "", listen_conf=listen_conf)
    redirect = (NGINX_DIR / "redirect-http.tls.example.conf").read_text().replace(
        "listen 80;", f"listen 127.0.0.1:{redirect_port};")
    (tmp_path / "redirect.conf").write_text(redirect)
    conf.write_text(conf.read_text().replace(f"include {GATEWAY_CONF};",
                                             f"include {GATEWAY_CONF};\n    include {tmp_path / 'redirect.conf'};"))
    cmd = [nginx_binary(), "-p", str(tmp_path), "-c", str(conf), "-e", "stderr"]
    with ServerProcess(child_env(), cmd=cmd, port=port, name="nginx-gateway-tls", ready_path="/health/gateway",
                       start_timeout=15):
        context = ssl.create_default_context(cafile=str(cert))
        context.check_hostname = False
        connection = http.client.HTTPSConnection("127.0.0.1", tls_port, timeout=10, context=context)
        try:
            connection.request("GET", "/api/v1/sales/orders/", headers={"X-Forwarded-Proto": "http"})
            raw = connection.getresponse()
            answer = HttpResponse(raw.status, raw.headers, raw.read())
        finally:
            connection.close()
        assert answer.status == 200, answer.text
        assert answer.json()["headers"]["x-forwarded-proto"] == "https"  # Django: secure cookies, HSTS
        hsts = answer.headers["Strict-Transport-Security"]
        assert int(re.search(r"max-age=(\d+)", hsts).group(1)) >= 31_536_000 and "includeSubDomains" in hsts

        # (with `source`, http_request does not follow the redirect)
        moved = http_request("GET", f"http://127.0.0.1:{redirect_port}/admin/?next=x", headers={"Host": "pos.example"},
                             source="127.0.0.1")
        assert moved.status == 301 and moved.headers["Location"] == "https://pos.example/admin/?next=x"
