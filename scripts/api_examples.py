"""Write docs/api/examples.json: a real request and answer for every write operation of the API.

`make api-examples` runs this in embedded mode on a fresh SQLite database in a temporary directory
(demo data loaded), through the Django test client, so every example is an answer the server really
gave. The OpenAPI document shows them (`ProblemAutoSchema.get_examples`, infrastructure/http/openapi.py),
and tests/unit/test_openapi_docs.py checks that every write operation has one and that each is valid
against the operation's schema.

Usage: scripts/api_examples.py   (run by `make api-examples`; needs no service)
"""

import json
import os
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "docs" / "api" / "examples.json"
TILL = "5a1e5000-0000-4000-8000-000000000001"  # the demo till (contexts/sales/demo.py)


class Scenario:
    def __init__(self, client):
        self.client, self.examples = client, {}

    def login(self, username, password, till=None) -> str:
        body = {"username": username, "password": password, **({"till_id": till} if till else {})}
        return self.client.post("/api/v1/auth/token/", body, content_type="application/json").json()["access"]

    def call(self, token, method, path, body=None, *, template=None, summary="", description="", headers=None,
             status=None, show=True):
        """Send one request; record it as the example of `template` (the path as the schema names it)."""
        extra = {f"HTTP_{k.upper().replace('-', '_')}": v for k, v in (headers or {}).items()}
        if token:
            extra["HTTP_AUTHORIZATION"] = f"Bearer {token}"
        send = getattr(self.client, method.lower())
        answer = (send(path, json.dumps(body), content_type="application/json", **extra) if body is not None
                  else send(path, **extra))
        data = answer.json() if answer.content and "json" in answer.get("Content-Type", "") else None
        if status is not None and answer.status_code != status:
            raise SystemExit(f"{method} {path} answered {answer.status_code}: {data}")
        if show:
            example = {"summary": summary, "status": answer.status_code}
            if description:
                example["description"] = description
            if headers:
                example["headers"] = headers
            if body is not None:
                example["request"] = body
            if data is not None:
                example["response"] = data
            self.examples.setdefault(f"{method} {template or path}", []).append(example)
        return data


def run(client) -> dict:  # noqa: PLR0915 - one straight scenario, read top to bottom
    s = Scenario(client)
    admin, manager = s.login("admin", "admin-demo-pass"), s.login("manager", "manager-demo-pass")

    # --- auth --------------------------------------------------------------------------------
    body = {"username": "cashier", "password": "cashier-demo-pass", "till_id": TILL}
    pair = s.call(None, "POST", "/api/v1/auth/token/", body, status=200,
                  summary="Log in at a till: both tokens are bound to it",
                  description="Without `till_id` the tokens are not bound to a till (a manager's back office); "
                              "a cashier sells only with a till-bound token.")
    pair = s.call(None, "POST", "/api/v1/auth/token/refresh/", {"refresh": pair["refresh"]}, status=200,
                  summary="Trade the refresh token for a new pair (the old one is spent)")
    cashier = pair["access"]

    # --- stores and staff (head office) --------------------------------------------------------
    store = {"code": "S2", "name": "Harbour Road", "tax_id": "DE987654321", "time_zone": "Europe/Berlin",
             "address": {"line1": "Hafenstraße 7", "city": "Hamburg", "postal_code": "20457", "country": "DE"},
             "receipt_footer": "Thank you for shopping at Harbour Road"}
    s.call(admin, "POST", "/api/v1/stores/", store, status=201, summary="Register a store")
    s.call(admin, "PATCH", "/api/v1/stores/S2/", {"receipt_header": "Open 8-20, Mon-Sat"}, status=200,
           template="/api/v1/stores/{code}/", summary="Change the receipt header")
    s.call(admin, "POST", "/api/v1/stores/S2/close/", {"reason": "Refurbishment"}, status=200,
           template="/api/v1/stores/{code}/close/", summary="Close the store for business")
    s.call(admin, "POST", "/api/v1/stores/S2/reopen/", status=200, template="/api/v1/stores/{code}/reopen/",
           summary="Reopen it")
    staff = {"username": "anna", "password": "a-long-Pass-phrase-2026", "role": "cashier", "stores": ["S1"],
             "first_name": "Anna", "last_name": "Berg"}
    s.call(admin, "POST", "/api/v1/stores/staff/", staff, status=201, summary="A cashier working in store S1")
    s.call(admin, "POST", "/api/v1/stores/staff/anna/stores/", {"stores": ["S1", "S2"]}, status=200,
           template="/api/v1/stores/staff/{username}/stores/", summary="She works in S1 and S2 from now on")
    s.call(admin, "POST", "/api/v1/stores/staff/anna/reset-password/", {"password": "another-Pass-phrase-2026"},
           status=200, template="/api/v1/stores/staff/{username}/reset-password/", summary="Set a new password")
    s.call(admin, "POST", "/api/v1/stores/staff/anna/deactivate/", {"reason": "Left the company"}, status=200,
           template="/api/v1/stores/staff/{username}/deactivate/", summary="She can no longer log in")

    # --- catalog (a manager) -------------------------------------------------------------------
    category = s.call(manager, "POST", "/api/v1/catalog/categories/", {"name": "Dairy"}, status=201,
                      summary="Create a category")["id"]
    s.call(manager, "PATCH", f"/api/v1/catalog/categories/{category}/", {"name": "Dairy and eggs"}, status=200,
           template="/api/v1/catalog/categories/{id}/", summary="Rename it")
    product = s.call(manager, "POST", "/api/v1/catalog/products/", {
        "sku": "MLK-100", "barcode": "4001234567891", "name": "Whole milk 1 l", "category_id": category,
        "unit_price": "1.19", "tax_rate": "7.00", "low_stock_threshold": 12}, status=201,
        summary="Create a product (tax-inclusive price)")["id"]
    path = f"/api/v1/catalog/products/{product}/"
    s.call(manager, "PATCH", path, {"name": "Whole milk 3.5 % 1 l"}, status=200,
           template="/api/v1/catalog/products/{id}/", summary="Change the name only")
    s.call(manager, "POST", f"{path}change-price/", {"unit_price": "1.29"}, status=200,
           template="/api/v1/catalog/products/{id}/change-price/", summary="A new price, from now on")
    s.call(manager, "POST", f"{path}receive-stock/", {"quantity": 48, "supplier_reference": "DN-2026-0412"},
           status=200, template="/api/v1/catalog/products/{id}/receive-stock/", summary="Goods in: 48 units")
    s.call(manager, "POST", f"{path}adjust-stock/", {"counted_quantity": 46, "reason": "Stocktake"}, status=200,
           template="/api/v1/catalog/products/{id}/adjust-stock/", summary="Two fewer counted than on record")
    s.call(manager, "POST", f"{path}store-threshold/", {"store_code": "S1", "low_stock_threshold": 20}, status=200,
           template="/api/v1/catalog/products/{id}/store-threshold/", summary="Store S1 reorders at 20")
    s.call(manager, "POST", "/api/v1/catalog/goods-in/", {
        "store_code": "S1", "supplier": "Dairy Co", "supplier_reference": "DN-2026-0413",
        "lines": [{"product_id": product, "quantity": 24, "unit_cost": "0.62"},
                  {"product_id": product, "quantity": 12, "unit_cost": "0.58", "supplier_reference": "DN-2026-0414"}]},
           status=201, summary="A delivery into store S1, at cost")
    transfer = s.call(manager, "POST", "/api/v1/catalog/transfers/", {
        "from_store": "S1", "to_store": "S2", "reference": "T-0001", "lines": [{"product_id": product, "quantity": 6}]},
        status=201, summary="Send 6 from S1 to S2")["id"]
    s.call(manager, "POST", f"/api/v1/catalog/transfers/{transfer}/receive/",
           {"lines": [{"product_id": product, "quantity": 5}]}, status=200,
           template="/api/v1/catalog/transfers/{id}/receive/", summary="S2 counts 5 in: one short")
    stocktake = s.call(manager, "POST", "/api/v1/catalog/stocktakes/", {"store_code": "S1", "category_id": category},
                       status=201, summary="A count sheet of one category in S1")["id"]
    s.call(manager, "POST", f"/api/v1/catalog/stocktakes/{stocktake}/count/", {
        "reason": "Monthly count", "lines": [{"product_id": product, "counted_quantity": 70}]}, status=200,
           template="/api/v1/catalog/stocktakes/{id}/count/", summary="Counted: 70 on the shelf")
    s.call(manager, "POST", f"{path}discontinue/", {"reason": "Supplier stopped it"}, status=200,
           template="/api/v1/catalog/products/{id}/discontinue/", summary="No longer sold")
    s.call(manager, "POST", f"{path}reactivate/", status=200,
           template="/api/v1/catalog/products/{id}/reactivate/", summary="Sold again")
    s.call(manager, "DELETE", path, {"reason": "Range change"}, status=200,
           template="/api/v1/catalog/products/{id}/", summary="Discontinue (DELETE keeps its history)")
    s.call(manager, "DELETE", f"/api/v1/catalog/categories/{category}/", status=200,
           template="/api/v1/catalog/categories/{id}/", summary="Delete a category with no active products")

    # --- customers -----------------------------------------------------------------------------
    person = {"name": "Maria Lopez", "phone": "+49 30 1234567", "email": "maria@example.com",
              "address": {"line1": "Lindenweg 4", "city": "Berlin", "postal_code": "10117", "country": "DE"}}
    customer = s.call(manager, "POST", "/api/v1/customers/", person, status=201, summary="Register a customer")["id"]
    path = f"/api/v1/customers/{customer}/"
    s.call(manager, "PUT", path, {**person, "phone": "+49 30 7654321"}, status=200,
           template="/api/v1/customers/{id}/", summary="Replace the details (what is left out is cleared)")
    s.call(manager, "PATCH", path, {"email": "maria.lopez@example.com"}, status=200,
           template="/api/v1/customers/{id}/", summary="Change the e-mail only")

    # --- sales: a till's day -------------------------------------------------------------------
    s.call(manager, "POST", "/api/v1/sales/tenders/", {"code": "voucher", "name": "Gift voucher",
                                                       "gives_change": False, "needs_reference": True},
           status=201, summary="Define a tender: gift vouchers, each payment naming the voucher's number",
           description="Cash and card are built in. `gives_change` lets a payment exceed what is owed (like cash); "
                       "`needs_reference` makes each payment carry one (`reference`).")
    s.call(manager, "PATCH", "/api/v1/sales/tenders/voucher/", {"name": "Gift card"}, status=200,
           template="/api/v1/sales/tenders/{code}/", summary="Rename a tender (receipts and Z-reports show its name)")
    s.call(manager, "POST", "/api/v1/sales/tenders/", {"code": "cheque", "name": "Cheque", "needs_reference": True},
           status=201, show=False)
    s.call(manager, "DELETE", "/api/v1/sales/tenders/cheque/", status=200, template="/api/v1/sales/tenders/{code}/",
           summary="Retire a tender: payments by it are refused; PATCH active=true reinstates it")
    s.call(manager, "POST", "/api/v1/sales/tills/", {"name": "Till 2", "store_code": "S1"},
           status=201, summary="Register a till in store S1 (its id goes into the till's configuration)",
           description="The store is one registered under /api/v1/stores/ and open (else 422 unknown-store or 409 "
                       "store-closed); the till takes its name.")
    till = f"/api/v1/sales/tills/{TILL}/"
    s.call(cashier, "POST", f"{till}open/", {"opening_float": "150.00"}, status=201,
           template="/api/v1/sales/tills/{till_id}/open/", summary="Open the session with the float in the drawer")
    s.call(cashier, "POST", f"{till}cash-movements/", {"amount": "-20.00", "reason": "Window cleaner"}, status=200,
           headers={"Idempotency-Key": "till1-2026-12-02-cash-1"}, template="/api/v1/sales/tills/{till_id}/cash-movements/",
           summary="Pay 20.00 out of the drawer", description="A positive amount is paid in, a negative one out.")
    coffee, bread = "25575632-ad30-5564-bfe4-1271cc269977", "c742940e-a966-5d77-90fc-ae66e8c25335"  # demo products
    sale = s.call(cashier, "POST", "/api/v1/sales/orders/", {
        "till_id": TILL,
        "lines": [{"product_id": coffee, "quantity": 2}, {"product_id": bread, "quantity": 1, "discount_percent": "5"}],
        "payments": [{"method": "card", "amount": "10.00"}, {"method": "cash", "amount": "5.00"}]},
        headers={"Idempotency-Key": "till1-2026-12-02-0001"}, status=201,
        summary="Till sale paid part by card, part in cash",
        description="Two lines, one discounted; 10.00 on card and the rest in cash (cash may exceed what is owed: "
                    "the change is in the answer). Prices come from the server. On a lost answer, resend the same "
                    "body with the same Idempotency-Key.")
    partly = s.call(cashier, "POST", "/api/v1/sales/orders/", {
        "till_id": TILL, "lines": [{"product_id": coffee, "quantity": 1}],
        "payments": [{"method": "cash", "amount": "2.00"}]}, headers={"Idempotency-Key": "till1-2026-12-02-0002"},
        status=201, summary="A sale paid partly: it stays placed, with the rest owed",
        description="Not finished until paid (POST .../payments/) or voided; the session cannot close before.")
    s.call(cashier, "POST", f"/api/v1/sales/orders/{partly['id']}/payments/",
           {"payments": [{"method": "card", "amount": "2.99"}]}, headers={"Idempotency-Key": "till1-2026-12-02-0002-p1"},
           status=200, template="/api/v1/sales/orders/{order_id}/payments/", summary="Pay the rest by card")
    s.call(cashier, "POST", "/api/v1/sales/orders/", {
        "till_id": TILL, "lines": [{"product_id": coffee, "quantity": 1}],
        "payments": [{"method": "voucher", "amount": "4.99", "reference": "GC-2026-0042"}]},
        headers={"Idempotency-Key": "till1-2026-12-02-0004"}, status=201,
        summary="A sale paid by a tender the shop defined, with its reference")
    unpaid = s.call(cashier, "POST", "/api/v1/sales/orders/", {"till_id": TILL, "lines": [{"product_id": bread, "quantity": 1}]},
                    headers={"Idempotency-Key": "till1-2026-12-02-0003"}, status=201, show=False)
    s.call(cashier, "POST", f"/api/v1/sales/orders/{unpaid['id']}/void/", {"reason": "Customer left"},
           headers={"Idempotency-Key": "till1-2026-12-02-0003-void"}, status=200,
           template="/api/v1/sales/orders/{order_id}/void/", summary="Void a sale that is not completed")
    s.call(cashier, "POST", f"/api/v1/sales/orders/{sale['id']}/refunds/", {
        "refund_id": "c3d2e1f0-a9b8-4c7d-8e6f-5a4b3c2d1e0f", "lines": [{"line_no": 1, "quantity": 1}],
        "method": "card", "reason": "Damaged", "till_id": TILL}, status=201,
        template="/api/v1/sales/orders/{order_id}/refunds/", summary="Refund one unit of line 1 to the card",
        description="`refund_id` is chosen by the till: a retry with it refunds once. `original` refunds the way a "
                    "sale paid one way was paid (this one was split: 422 ambiguous-method). Above the cashier's limit the "
                    "answer is 403 needs-manager; resend with X-Manager-Approval.")
    s.call(cashier, "POST", "/api/v1/sales/approvals/", {"username": "manager", "password": "manager-demo-pass"},
           status=201, summary="A manager approves one request above the cashier's limit",
           description="Send the token once, as the X-Manager-Approval header of the sale or refund.")
    delivery = {"kind": "delivery", "store_code": "S1", "lines": [{"product_id": coffee, "quantity": 3}],
                "ship_to": {"name": "Maria Lopez", "address": "Lindenweg 4", "city": "Berlin", "postal_code": "10117",
                            "country": "DE"}}
    shipped = s.call(manager, "POST", "/api/v1/sales/orders/", delivery, headers={"Idempotency-Key": "web-order-000117"},
                     status=201, summary="A delivery order (stock is reserved; paid once confirmed)")
    s.call(manager, "POST", f"/api/v1/sales/orders/{shipped['id']}/payments/",
           {"payments": [{"method": "card", "amount": "14.97"}], "till_id": TILL}, status=200, show=False)
    s.call(manager, "POST", f"/api/v1/sales/orders/{shipped['id']}/ship/", status=200,
           template="/api/v1/sales/orders/{order_id}/ship/", summary="Ship a confirmed, paid delivery order")
    cancelled = s.call(manager, "POST", "/api/v1/sales/orders/", delivery, headers={"Idempotency-Key": "web-order-000118"},
                       status=201, show=False)
    s.call(manager, "POST", f"/api/v1/sales/orders/{cancelled['id']}/cancel/", {"reason": "Customer cancelled"},
           status=200, template="/api/v1/sales/orders/{order_id}/cancel/", summary="Cancel an unpaid delivery order")
    s.call(manager, "POST", f"/api/v1/sales/orders/{cancelled['id']}/forget-address/", status=200,
           template="/api/v1/sales/orders/{order_id}/forget-address/",
           summary="Forget the shipping address of a delivery order naming no customer (managers)",
           description="The address's key is destroyed: receipts, the back office and every copy of the event "
                       "show it as (erased).")
    s.call(cashier, "POST", f"{till}close/", {"counted": {"cash": "135.59", "card": "22.97", "voucher": "4.99"},
                                              "void_unfinished": False},
           status=200, template="/api/v1/sales/tills/{till_id}/close/",
           summary="Close with the counted drawer, the card terminal's total and the vouchers: the Z-report",
           description="Each tender is counted by its code (one not given is taken as expected). While sales are "
                       "unfinished the answer is 409 unfinished-sales, unless `void_unfinished` is true.")

    s.call(manager, "DELETE", f"/api/v1/customers/{customer}/", status=200, template="/api/v1/customers/{id}/",
           summary="Remove a customer (the history stays)")
    asked = s.call(manager, "POST", "/api/v1/customers/", {"name": "Jan Novak", "email": "jan@example.com"},
                   status=201, summary="Register a customer")["id"]
    s.call(manager, "POST", f"/api/v1/customers/{asked}/forget/", status=200, template="/api/v1/customers/{id}/forget/",
           summary="Forget a customer who asked to be erased (their personal data can no longer be read)")
    s.call(cashier, "POST", "/api/v1/auth/logout/", {"refresh": pair["refresh"]}, status=205,
           summary="Log out: the refresh and the access token stop working at once")
    return s.examples


def main() -> None:
    with tempfile.TemporaryDirectory() as data:
        for name in ("DATABASE_URL", "CELERY_BROKER_URL", "KAFKA_BOOTSTRAP_SERVERS", "POS_CACHE_URL"):
            os.environ.pop(name, None)
        os.environ.update(POS_MODE="embedded", POS_DATA_DIR=data, DJANGO_SETTINGS_MODULE="pos_project.settings")
        sys.path.insert(0, str(ROOT))
        import django

        django.setup()
        from django.conf import settings
        from django.core.management import call_command
        from django.test import Client

        settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # a fresh, throwaway database
        call_command("migrate", verbosity=0)
        call_command("load_demo", stdout=open(os.devnull, "w"))
        examples = run(Client(REMOTE_ADDR="10.9.8.7"))
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps(dict(sorted(examples.items())), indent=1, ensure_ascii=False) + "\n")
    print(f"{OUT.relative_to(ROOT)}: {sum(map(len, examples.values()))} examples of {len(examples)} operations")


if __name__ == "__main__":
    main()
