"""docs/building-a-till.md, executed: every request of the guide runs, in order, against the app in
embedded mode (in-process event delivery, as `make run`) with its demo data, and answers what the
guide shows: the same status, and a body of the same shape and values (ids, tokens and times stand
for any value of their kind). See tests/helpers/guide.py for the shell subset the guide may use.
"""

import json
from pathlib import Path

import pytest

from tests.helpers import guide
from tests.helpers.delivery import embedded_delivery  # noqa: F401
from tests.helpers.throttling import clear_throttle_state, random_client_ip

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

GUIDE = Path(__file__).resolve().parents[2] / "docs" / "building-a-till.md"


def test_the_guide_parses_into_requests_each_with_its_answer():
    steps = guide.parse(GUIDE.read_text())
    requests = [step for step in steps if step.curl]
    assert len(requests) >= 15
    assert {step.answer_status for step in requests} >= {200, 201, 400, 409, 422}


def test_every_request_of_the_guide_answers_as_shown(embedded_delivery):
    import httpx
    from django.core.management import call_command
    from django.core.wsgi import get_wsgi_application

    call_command("load_demo", stdout=open("/dev/null", "w"))
    ip = random_client_ip()
    client = httpx.Client(transport=httpx.WSGITransport(app=get_wsgi_application(), remote_addr=ip))

    def send(request):
        clear_throttle_state(ip)  # the guide's logins and refreshes are not an attack
        return client.request(request.method, request.url, headers=request.headers, content=request.body)

    try:
        outcomes = guide.run(GUIDE.read_text(), send)
    finally:
        clear_throttle_state(ip)
    failures = [f"line {o.step.line}: {o.request.method} {o.request.url}: " + "; ".join(o.wrong())
                + "\n  it answered: " + json.dumps(o.body, indent=2)[:3000] for o in outcomes if o.wrong()]
    assert not failures, "\n\n".join(failures)
