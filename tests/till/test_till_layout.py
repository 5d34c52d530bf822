"""The till's layout in Chromium at the two screen sizes it is made for: no horizontal scrolling,
and every button and field at least 44 x 44 px (a finger on a touch screen), on each screen."""

import pytest

from .conftest import add, pay_screen, shot, till_page

pytestmark = [pytest.mark.e2e, pytest.mark.integration]

LAYOUT_JS = """() => {
  const small = [...document.querySelectorAll("button, input, select")]
    .filter((e) => e.offsetParent !== null)
    .map((e) => [e.outerHTML.slice(0, 80), e.getBoundingClientRect()])
    .filter(([, r]) => r.width < 44 || r.height < 44)
    .map(([html, r]) => `${html} ${Math.round(r.width)}x${Math.round(r.height)}`);
  return {overflow: document.documentElement.scrollWidth - document.documentElement.clientWidth, small};
}"""


def check(page, name: str) -> None:
    layout = page.evaluate(LAYOUT_JS)
    shot(page, name)
    assert layout == {"overflow": 0, "small": []}, name


@pytest.mark.parametrize("size", [(1024, 768), (1366, 768)], ids=["1024x768", "1366x768"])
def test_every_screen_fits_and_every_target_is_big_enough(till_shop, size):
    name = f"layout-{size[0]}x{size[1]}"
    with till_page(till_shop, viewport=size) as page:
        for sku in ("BREAD", "CROIS", "JUICE", "SOAP"):
            add(page, sku, 2)
        page.fill("#search", "a very long search that finds nothing at all in this shop")
        check(page, f"{name}-sell")
        page.fill("#search", "")
        pay_screen(page)
        check(page, f"{name}-pay")
        page.click(".quick-cash >> nth=-1")
        page.wait_for_selector("#receipt")
        check(page, f"{name}-receipt")
        for screen in ("Receipts", "Refund", "Cash in/out", "Close session"):
            page.click(f"nav >> text={screen}")
            check(page, f"{name}-{screen.split()[0].lower().replace('/', '')}")
