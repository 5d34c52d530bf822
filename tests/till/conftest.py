"""The browser till's tests: a shop (products with barcodes in two categories, a till, a customer)
in the test database, the live server of this process (in-process event delivery, as embedded
mode), and Debian's Chromium driven by Playwright."""

import uuid
from contextlib import contextmanager
from decimal import Decimal
from pathlib import Path

import pytest

from contexts.catalog import commands as cat
from contexts.customers import commands as cus
from contexts.sales.models import TillSessionView
from infrastructure.commands.bus import execute
from tests.helpers.browser import chromium_page
from tests.helpers.delivery import embedded_delivery  # noqa: F401
from tests.helpers.processes import ARTIFACTS_DIR
from tests.helpers.waiting import wait_until
from tests.sales.support import META, make_till

BUILT = Path(__file__).resolve().parents[2] / "frontend" / "till" / "dist" / ".built"
SHOTS = ARTIFACTS_DIR / "till"

# sku: (name, price, tax, barcode, category)
PRODUCTS = {
    "BREAD": ("Sourdough bread", "3.80", "10", "4006381333931", "Bakery"),
    "CROIS": ("Butter croissant", "1.20", "10", "4006381333948", "Bakery"),
    "JUICE": ("Orange juice", "2.49", "10", "5449000000996", "Drinks"),
    "SOAP": ("Dish soap", "2.15", "20", "8710908012341", "Household"),
}


@pytest.fixture
def till_shop(embedded_delivery, live_server, cashier_user, manager_user, monkeypatch):
    # The tests check the server's rows between browser steps; Playwright's sync API keeps an event
    # loop on this thread, which Django takes for an async context. The calls are synchronous.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    if not BUILT.exists():
        pytest.fail("The till is not built: run `make till` (make test does it).", pytrace=False)
    categories = {}
    for name in sorted({p[4] for p in PRODUCTS.values()}):
        categories[name] = uuid.uuid4()
        execute(cat.CreateCategory(category_id=categories[name], name=name), META)
    products = {}
    for sku, (name, price, tax, barcode, category) in PRODUCTS.items():
        products[sku] = uuid.uuid4()
        execute(cat.CreateProduct(product_id=products[sku], sku=sku, name=name, unit_price=Decimal(price),
                                  tax_rate=Decimal(tax), barcode=barcode, category_id=categories[category]), META)
        execute(cat.ReceiveStock(product_id=products[sku], quantity=50), META)
    customer = uuid.uuid4()
    execute(cus.RegisterCustomer(name="Ada Lovelace", phone="+44 20 7946 0001", email="ada@example.org",
                                 customer_id=customer), META)
    return {"url": live_server.url, "till": make_till("Till 7", "S1"), "products": products, "customer": customer,
            "cashier": cashier_user, "manager": manager_user}


def shot(page, name: str) -> Path:
    SHOTS.mkdir(parents=True, exist_ok=True)
    path = SHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


@contextmanager
def till_page(shop, viewport=(1024, 768)):
    """A fresh Chromium on /till/: the device set up as the shop's till by its manager, the cashier
    signed in and the session opened with a float of 100.00."""
    with chromium_page(viewport=viewport) as page:
        page.goto(f"{shop['url']}/till/")
        sign_in(page, shop["manager"])
        page.click("text=List tills")
        page.click(".till-choice:has-text('Till 7')")
        sign_in(page, shop["cashier"])
        page.click("button:has-text('Sign in')")
        page.fill("input[name=float]", "100.00")
        page.click("button:has-text('Open session')")
        page.wait_for_selector(".product")
        yield page


def sign_in(page, user):
    page.fill("input[name=username]", user.username)
    page.fill("input[name=password]", user.plain_password)


def add(page, sku: str, times: int = 1):
    for _ in range(times):
        page.click(f".product[data-sku={sku}]")


def pay_screen(page):
    page.click("#pay")
    page.wait_for_selector("#tender")


def close_session(page, shot_name: str, counted: dict[str, str]) -> None:
    """Close from the till's close form, its fields filled by name (cash, card, counted-<tender>)."""
    page.click("nav >> text=Close session")
    for name, amount in counted.items():
        page.fill(f"input[name={name}]", amount)
    page.click("button:has-text('Close and show')")
    page.wait_for_selector("#zreport")
    shot(page, shot_name)


def closed_z_report(shop, api_client) -> dict:
    """The Z-report of the till's closed session, as the API answers it to the manager."""
    session = wait_until(lambda: TillSessionView.objects.filter(till_id=shop["till"], status="closed").first())
    api_client.force_authenticate(shop["manager"])
    return api_client.get(f"/api/v1/sales/sessions/{session.session_id}/").json()["z_report"]


# A USB scanner types its characters a few ms apart and ends with Enter, whatever the page is doing.
# Playwright's keyboard waits for each key's round trip to the browser (on a loaded machine, more
# than the till's scan gap), and so does a setTimeout-paced loop in the page (one CI run failed on
# it), so the scan is one burst dispatched in one task: keydown events, each typed into the focused
# field unless the page cancels it, as a browser does.
SCAN_JS = """(code) => {
  for (const key of [...code, "Enter"]) {
    const target = document.activeElement || document.body;
    const typed = target.dispatchEvent(new KeyboardEvent("keydown", {key, bubbles: true, cancelable: true}));
    if (typed && key !== "Enter" && target instanceof HTMLInputElement) {
      target.value += key;
      target.dispatchEvent(new Event("input", {bubbles: true}));
    }
  }
}"""


def scan(page, code: str) -> None:
    page.evaluate(SCAN_JS, code)
