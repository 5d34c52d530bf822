"""Issue 23 (High): through the real nginx gateway, one anonymous client cannot stop every till.

Each client connects from an address of its own on 127.0.0.0/8 (the socket is bound to it), so
nginx, and the application behind it (POS_NUM_PROXIES=1), see distinct clients, as they would
see a shop and an attacker on the internet:

- an attacker spraying bad logins is locked out by its address, and its garbage refreshes use
  up only its own address's count;
- a shop's 31 tills behind one address all log in at opening and refresh, meanwhile (successful
  logins are not counted; refresh is counted per user);
- failures against one username lock that username from every address, and no other.
"""

import uuid

import pytest

from tests.helpers.deployment import PASSWORD, gateway_deployment  # noqa: F401  (the shared fixture)

pytestmark = pytest.mark.e2e

TOKEN = "/api/v1/auth/token/"
REFRESH = "/api/v1/auth/token/refresh/"
ATTACKER, SHOP = "127.0.0.2", "127.0.0.3"
TILLS = 31
# Each login hashes a password (PBKDF2, deliberately slow: the shared gateway deployment runs the
# shipped settings) in the deployment's one gunicorn worker: the tills log in one after the other,
# as fast as it answers, so none waits past the gateway's 15 s proxy timeout on a busy machine.
# What is under test is that none is refused.
SLOW = 60.0


def login(gw, username, password, source):
    return gw.request("POST", TOKEN, json={"username": username, "password": password}, source=source,
                      timeout=SLOW)


def test_an_attacker_cannot_stop_the_tills_of_a_shop(gateway_deployment):
    gw = gateway_deployment
    run = uuid.uuid4().hex[:6]
    tills = [f"gwt-{run}-till-{n:02d}" for n in range(TILLS)]
    gw.create_users(dict.fromkeys(tills, "cashier"))

    # The attacker: bad logins for made-up users until the address is locked out (429, not 401).
    answers = [login(gw, f"gwt-{run}-guess-{n}", "guess", ATTACKER) for n in range(21)]
    statuses = [a.status for a in answers]
    assert statuses[0] == 401 and statuses[-1] == 429, statuses
    locked = answers[-1]
    assert locked.content_type == "application/problem+json" and int(locked.headers["Retry-After"]) > 0
    # ...and garbage refreshes from the attacker's address until those are throttled too.
    garbage = [gw.request("POST", REFRESH, json={"refresh": f"x{n}"}, source=ATTACKER).status for n in range(70)]
    assert garbage[0] == 401 and garbage[-1] == 429, garbage

    # Opening time: every till of the shop logs in, one cashier mistyping first.
    assert login(gw, tills[0], "mistyped", SHOP).status == 401
    opened = [login(gw, name, PASSWORD, SHOP) for name in tills]
    assert [a.status for a in opened] == [200] * TILLS, [(a.status, a.text[:120]) for a in opened if a.status != 200]

    # Each till refreshes its token, behind the same address as the attacker's garbage elsewhere.
    refreshed = [gw.request("POST", REFRESH, json={"refresh": a.json()["refresh"]}, source=SHOP, timeout=SLOW)
                 for a in opened]
    assert [a.status for a in refreshed] == [200] * TILLS, [a.text[:120] for a in refreshed if a.status != 200]

    # The attacker's address stays locked even for a right password: the lock is its address's.
    assert login(gw, tills[1], PASSWORD, ATTACKER).status == 429


def test_failures_against_one_username_lock_that_username_from_every_address(gateway_deployment):
    gw = gateway_deployment
    run = uuid.uuid4().hex[:6]
    victim, colleague = f"gwt-{run}-victim", f"gwt-{run}-colleague"
    gw.create_users({victim: "cashier", colleague: "cashier"})

    # Ten guesses, each from another address (a botnet): no address reaches its own limit.
    statuses = [login(gw, victim, f"guess-{n}", f"127.0.1.{n + 1}").status for n in range(10)]
    assert statuses == [401] * 9 + [429], statuses  # the tenth failure reaches the username's limit

    assert login(gw, victim, PASSWORD, "127.0.0.4").status == 429  # locked wherever it comes from
    assert login(gw, colleague, PASSWORD, "127.0.0.4").status == 200  # the address is not
