"""One handler per sales command; each runs in one transaction (the unit of work)."""

import hashlib
import uuid
from datetime import timedelta
from decimal import Decimal

from django.conf import settings
from django.db import IntegrityError, connections, transaction
from django.db.models import F
from django.utils import timezone

from infrastructure.commands.bus import UnitOfWork, handles
from kernel.errors import Conflict, DomainError, NotFound
from kernel.serialization import to_json

from . import commands as c
from . import drawers, legacy
from .keyring import CUSTOMER, ORDER, KeyDestroyed, keyring
from .command_side import (
    LoyaltySpending, ManagerApproval, OpenSession, OrderNumberCounter, StoreTillCounter, TillReceiptCounter,
    TillZCounter, UnfinishedSale,
)
from .domain.drawer import Drawer
from .domain.errors import NeedsManager
from .domain.events import ShipTo
from .domain.order import DELIVERY, TILL, Order
from .domain.pricing import PriceEntry, check_discount, price_line, totals
from .domain.tender import BUILT_IN, POINTS, Points, Tender, clean_code, tender_stream_id
from .domain.till import KnownStore, Till, TillSession, check_store, clean_store_code
from .models import CustomerDirectoryEntry, PriceListEntry, StoreDetails

MAX_LINES = 200


# --- stores -----------------------------------------------------------------------------------
def _known_store(uow: UnitOfWork, code) -> KnownStore | None:
    """What sales knows of store `code`: its own copy of the stores context's directory, projected
    from the stores events (as `_check_customer` reads its copy of the customers). Sales never reads
    another context's tables: each context may have a database of its own. In full mode the copy
    trails a registration by the relay and Kafka (well under a second), so a till or delivery order
    naming a store registered a moment ago may be refused as unknown; the refusal says to retry,
    and nothing was written. Registering a store and then its tills is a manager's set-up, not a
    race a till sale runs into."""
    row = (StoreDetails.objects.using(uow.db).filter(code=str(code or "").strip().upper())
           .values_list("code", "name", "is_open").first())
    return KnownStore(*row) if row else None


# --- tills and sessions -----------------------------------------------------------------------
@handles(c.RegisterTill)
def register_till(cmd: c.RegisterTill, uow: UnitOfWork) -> dict:
    tills = uow.repository(Till)
    till = tills.get_or_new(cmd.till_id)
    till.register(cmd.name, cmd.store_code, _known_store(uow, cmd.store_code))
    tills.save(till)
    _number_till(uow, till)
    return {"id": till.id, "version": till.version, "name": till.name, "store_code": till.store_code,
            "store_name": till.store_name}


@handles(c.OpenTillSession)
def open_session(cmd: c.OpenTillSession, uow: UnitOfWork) -> dict:
    till = uow.repository(Till).get(cmd.till_id, label="till")
    sessions = uow.repository(TillSession)
    session = sessions.get_or_new(cmd.session_id)
    session.start(till_id=till.uuid, store_code=till.store_code, cashier=cmd.cashier,
                  opening_float=cmd.opening_float, at=timezone.now())
    try:
        with transaction.atomic(using=uow.db):
            OpenSession.objects.using(uow.db).create(till_id=till.uuid, session_id=session.uuid, cashier=cmd.cashier)
    except IntegrityError:
        raise Conflict(f"Till {till.name} already has an open session; close it first.", field="till_id",
                       code="SessionAlreadyOpen") from None
    sessions.save(session)
    drawers.create(uow, session.drawer)
    return session.state()


@handles(c.RecordCashMovement)
def record_cash_movement(cmd: c.RecordCashMovement, uow: UnitOfWork) -> dict:
    """The drawer's row is locked first, so the session's stream has one writer at a time."""
    drawer = drawers.lock(uow, cmd.till_id)
    sessions = uow.repository(TillSession)
    session = sessions.get(drawer.session_id).use(drawer)
    session.move_cash(cmd.amount, cmd.reason, cmd.cashier)
    sessions.save(session)
    drawers.save(uow, drawer)
    return session.state()


@handles(c.CloseTillSession)
def close_session(cmd: c.CloseTillSession, uow: UnitOfWork) -> dict:
    """Every sale ends: a session with sales neither completed nor voided closes only when the
    request says to void them (`void_unfinished`); otherwise the answer is a 409 naming them."""
    row = drawers.open_session(uow, cmd.till_id, lock=True)
    drawer = drawers.lock(uow, cmd.till_id)  # holds off sales on this till while closing
    sessions = uow.repository(TillSession)
    session = sessions.get(row.session_id).use(drawer)
    unfinished = list(UnfinishedSale.objects.using(uow.db).filter(session_id=row.session_id).order_by("number"))
    if unfinished and not cmd.void_unfinished:
        raise UnfinishedSales([sale.number for sale in unfinished])
    orders = uow.repository(Order)
    for sale in unfinished:
        order = orders.get(sale.order_id, label="order")
        _void(uow, order, drawer, cmd.cashier, "unfinished at the till's close")
        orders.save(order)
    known = [code for code, rule in _tenders(uow, cmd.counted).items()]
    report = session.close(cmd.counted, cmd.cashier, timezone.now(), tenders=known,
                           z_number=_next_z_number(uow, row.till_id))
    row.delete(using=uow.db)
    sessions.save(session)
    drawers.save(uow, drawer)
    return {**session.state(), "z_report": to_json(report)}


def _next_z_number(uow: UnitOfWork, till_id) -> int:
    """The till's next Z number: 1, 2, ... per till, gapless (the counter row is locked until the
    close commits; a refused close rolls it back)."""
    connection = connections[uow.db]
    with connection.cursor() as cursor:
        cursor.execute(_NEXT_Z_SQL, [TillZCounter._meta.pk.get_db_prep_value(till_id, connection)])
        (number,) = cursor.fetchone()
    return number


class UnfinishedSales(Conflict):
    def __init__(self, numbers: list[str]):
        super().__init__(f"The till has sales that are neither completed nor voided: {', '.join(numbers)}. Take "
                         "their payment or void them, or close with \"void_unfinished\": true to void them.",
                         field="void_unfinished", code="UnfinishedSales")
        self.numbers = numbers


# --- tenders ----------------------------------------------------------------------------------
@handles(c.DefineTender)
def define_tender(cmd: c.DefineTender, uow: UnitOfWork) -> dict:
    code = clean_code(cmd.code)
    tenders = uow.repository(Tender)
    tender = tenders.get_or_new(tender_stream_id(code))
    tender.define(code, cmd.name, gives_change=cmd.gives_change, needs_reference=cmd.needs_reference)
    tenders.save(tender)
    return tender.state()


@handles(c.ChangeTender, retry_on_conflict=True)
def change_tender(cmd: c.ChangeTender, uow: UnitOfWork) -> dict:
    code = str(cmd.code or "").strip().lower()
    if code in BUILT_IN:
        raise Conflict(f"{code} is built in and cannot be changed.", field="code", code="ReservedTender")
    tenders = uow.repository(Tender)
    tender = tenders.get_or_new(tender_stream_id(code))
    if not tender.exists:
        raise NotFound(f"There is no tender {code!r}.")
    tender.change(name=cmd.name, gives_change=cmd.gives_change, needs_reference=cmd.needs_reference,
                  active=cmd.active)
    tenders.save(tender)
    return tender.state()


def _tenders(uow: UnitOfWork, codes) -> dict:
    """The rules of the tenders `codes` name: cash and card always, and each other code the shop
    defined (retired ones included, marked so: the domain refuses them by name)."""
    rules = dict(BUILT_IN)
    repository = uow.repository(Tender)
    for code in {str(code) for code in codes} - set(BUILT_IN):
        tender = repository.get_or_new(tender_stream_id(code))
        if tender.exists:
            rules[code] = tender.rule()
    return rules


# --- managers' approvals ----------------------------------------------------------------------
def approval_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _approved_by(uow: UnitOfWork, token: str) -> str:
    """The manager whose approval `token` is, using it up in this transaction ("" without one). A
    token that is unknown, used or expired is refused rather than ignored: the till meant to ask."""
    if not token:
        return ""
    now = timezone.now()
    row = ManagerApproval.objects.using(uow.db).select_for_update().filter(token_hash=approval_hash(token)).first()
    if row is None or row.used_at is not None or row.expires_at <= now:
        raise NeedsManager("This manager's approval is unknown, used already or expired; ask for a new one.",
                           field="X-Manager-Approval")
    row.used_at = now
    row.save(using=uow.db, update_fields=["used_at"])
    return row.manager


@handles(c.GrantApproval)
def grant_approval(cmd: c.GrantApproval, uow: UnitOfWork) -> dict:
    expires_at = timezone.now() + timedelta(seconds=settings.POS_MANAGER_APPROVAL_SECONDS)
    ManagerApproval.objects.using(uow.db).create(token_hash=approval_hash(cmd.token), manager=cmd.manager,
                                                 expires_at=expires_at)
    return {"token": cmd.token, "manager": cmd.manager, "expires_at": expires_at}


# --- orders -----------------------------------------------------------------------------------
# Each is one statement (PostgreSQL and SQLite >= 3.35): it creates the counter or takes the next
# number, and holds the row lock until commit, so numbers have no gaps and no duplicates.
def _upsert_next(model, key: str, counter: str, *others: str) -> str:
    table = model._meta.db_table
    columns = ", ".join([key, *others, counter])
    values = ", ".join(["%s"] * (len(others) + 1))
    returning = ", ".join([counter, *others])
    return (f"INSERT INTO {table} ({columns}) VALUES ({values}, 1) "
            f"ON CONFLICT ({key}) DO UPDATE SET {counter} = {table}.{counter} + 1 RETURNING {returning}")


_NEXT_DELIVERY_NUMBER_SQL = _upsert_next(OrderNumberCounter, "store_code", "last_number")
_NEXT_Z_SQL = _upsert_next(TillZCounter, "till_id", "last_z")
_NEXT_TILL_NUMBER_SQL = _upsert_next(StoreTillCounter, "store_code", "last_till")
_NEXT_RECEIPT_SQL = _upsert_next(TillReceiptCounter, "till_id", "last_number", "store_code", "till_number")
_INSERT_TILL_COUNTER_SQL = (f"INSERT INTO {TillReceiptCounter._meta.db_table} (till_id, store_code, till_number, "
                            "last_number) VALUES (%s, %s, %s, 0)")
_SET_TILL_NUMBER_SQL = f"UPDATE {TillReceiptCounter._meta.db_table} SET till_number = %s WHERE till_id = %s"


def _next_number(uow: UnitOfWork, store_code: str) -> str:
    """A delivery order's number, per store: S1-000123."""
    with connections[uow.db].cursor() as cursor:
        cursor.execute(_NEXT_DELIVERY_NUMBER_SQL, [store_code])
        (number,) = cursor.fetchone()
    return f"{store_code}-{number:06d}"


def _number_till(uow: UnitOfWork, till: Till) -> None:
    """A till gets its number in its store when it is registered (a manager's set-up), so its
    sales lock only its own counter row, never the store's."""
    connection = connections[uow.db]
    till_id = TillReceiptCounter._meta.pk.get_db_prep_value(till.uuid, connection)  # as the ORM stores it
    with connection.cursor() as cursor:
        cursor.execute(_NEXT_TILL_NUMBER_SQL, [till.store_code])
        (till_number,) = cursor.fetchone()
        cursor.execute(_INSERT_TILL_COUNTER_SQL, [till_id, till.store_code, till_number])


def _next_receipt(uow: UnitOfWork, till: Till) -> str:
    """A till sale's number, per till: S1-03-000123. Only this till's counter row is locked until
    commit. A till registered before tills were numbered at registration takes its number from
    the store's counter on its first sale."""
    connection = connections[uow.db]
    till_id = TillReceiptCounter._meta.pk.get_db_prep_value(till.uuid, connection)  # as the ORM stores it
    with connection.cursor() as cursor:
        cursor.execute(_NEXT_RECEIPT_SQL, [till_id, till.store_code, 0])
        number, _, till_number = cursor.fetchone()
        if not till_number:
            cursor.execute(_NEXT_TILL_NUMBER_SQL, [till.store_code])
            (till_number,) = cursor.fetchone()
            cursor.execute(_SET_TILL_NUMBER_SQL, [till_number, till_id])
    return f"{till.store_code}-{till_number:02d}-{number:06d}"


def _priced_lines(uow: UnitOfWork, requests, max_discount: Decimal):
    if not requests:
        raise DomainError("An order needs at least one line.", field="lines")
    if len(requests) > MAX_LINES:
        raise DomainError(f"An order has at most {MAX_LINES} lines.", field="lines")
    ids = {line.product_id for line in requests}
    prices = {p.product_id: p for p in PriceListEntry.objects.using(uow.db).filter(product_id__in=ids)}
    lines = []
    for index, request in enumerate(requests):
        field = f"lines.{index}"
        entry = prices.get(request.product_id)
        if entry is None:
            raise DomainError(f"Line {index + 1}: product {request.product_id} is not in the price list.",
                              field=f"{field}.product_id", code="UnknownProduct")
        if not entry.active:
            raise DomainError(f"Line {index + 1}: {entry.name} ({entry.sku}) is discontinued.",
                              field=f"{field}.product_id", code="DiscontinuedProduct")
        if not 0 < request.quantity <= 10_000:
            raise DomainError(f"Line {index + 1}: the quantity is a whole number from 1 to 10000.",
                              field=f"{field}.quantity")
        discount = check_discount(index + 1, request.discount_percent, max_discount)
        price = PriceEntry(product_id=entry.product_id, sku=entry.sku, name=entry.name, unit_price=entry.unit_price,
                           tax_rate=entry.tax_rate, price_includes_tax=entry.price_includes_tax, active=entry.active)
        lines.append(price_line(index + 1, price, request.quantity, discount))
    return lines


def _check_customer(uow: UnitOfWork, customer_id):
    if customer_id is not None and not CustomerDirectoryEntry.objects.using(uow.db).filter(
            customer_id=customer_id, active=True).exists():
        raise DomainError(f"There is no customer {customer_id}.", field="customer_id", code="UnknownCustomer")


# --- loyalty points ---------------------------------------------------------------------------
_LOCK_SPENDING_SQL = (f"INSERT INTO {LoyaltySpending._meta.db_table} (customer_id, points_spent) VALUES (%s, 0) "
                      f"ON CONFLICT (customer_id) DO UPDATE SET points_spent = "
                      f"{LoyaltySpending._meta.db_table}.points_spent RETURNING points_spent")


def _points_purse(uow: UnitOfWork, customer_id) -> Points:
    """What the customer may spend now, their spending row locked until commit (so two tills
    cannot spend the same points): credited by the customers context, less spent here."""
    connection = connections[uow.db]
    key = LoyaltySpending._meta.pk.get_db_prep_value(customer_id, connection)
    with connection.cursor() as cursor:
        cursor.execute(_LOCK_SPENDING_SQL, [key])
        (spent,) = cursor.fetchone()
    earned = (CustomerDirectoryEntry.objects.using(uow.db).filter(customer_id=customer_id)
              .values_list("points_earned", flat=True).first() or 0)
    return Points(available=max(earned - spent, 0), value=settings.POS_LOYALTY_POINT_VALUE)


def _spend_points(uow: UnitOfWork, customer_id, points: int) -> None:
    """Count points spent (negative: given back) on the customer's row."""
    if points and customer_id is not None:
        LoyaltySpending.objects.using(uow.db).filter(customer_id=customer_id).update(
            points_spent=F("points_spent") + points)


def _take_payments(uow: UnitOfWork, order: Order, payments, drawer: Drawer):
    payment_ids = [uuid.uuid4() for _ in payments]
    uses_points = any(p.method == POINTS.code for p in payments) and order.customer_id is not None
    purse = _points_purse(uow, order.customer_id) if uses_points else None
    recorded = order.pay(payments, payment_ids=payment_ids, session_id=drawer.session_id, at=timezone.now(),
                         tenders=_tenders(uow, [p.method for p in payments]), max_change=settings.POS_CASH_MAX_CHANGE,
                         points=purse)
    _spend_points(uow, order.customer_id, sum(p.points for p in recorded))
    for payment in recorded:
        drawer.take(payment.method, payment.amount)


def _settle(uow: UnitOfWork, order: Order, drawer: Drawer, was: str):
    """After a sale's payments: count a completion in the drawer, and keep the table of till
    sales not yet ended in step with the order."""
    if order.status == "completed" and was != "completed":
        drawer.sell(order.gross, order.discount_total, order.tax_total, order.taxes)
    rows = UnfinishedSale.objects.using(uow.db)
    if order.kind == TILL and order.status == "placed":
        rows.get_or_create(order_id=order.uuid, defaults={"session_id": order.session_id, "number": order.number})
    else:
        rows.filter(order_id=order.uuid).delete()


def _void(uow: UnitOfWork, order: Order, drawer: Drawer, cashier: str, reason: str):
    event = order.void(cashier=cashier, reason=reason, at=timezone.now())
    if event is not None:
        if event.points:
            _points_purse(uow, order.customer_id)  # lock the row as a sale does
            _spend_points(uow, order.customer_id, -event.points)
        drawer.void(event.total, event.returned)
        UnfinishedSale.objects.using(uow.db).filter(order_id=order.uuid).delete()


@handles(c.PlaceTillSale)
def place_till_sale(cmd: c.PlaceTillSale, uow: UnitOfWork) -> dict:
    """One stream written (the new order's) and one drawer row: no version to conflict on, so no
    retry. The sales of one till wait for each other on the drawer row and the receipt counter."""
    till = uow.repository(Till).get(cmd.till_id, label="till")
    drawer = drawers.lock(uow, till.uuid)
    now = timezone.now()
    placed_at = cmd.placed_at or now
    drawer.check_sale_time(placed_at, now, timedelta(seconds=settings.POS_PLACED_AT_MAX_SKEW_SECONDS))
    _check_customer(uow, cmd.customer_id)
    approved_by = _approved_by(uow, cmd.approval)
    lines = _priced_lines(uow, cmd.lines, Decimal("100") if approved_by else cmd.max_discount_percent)
    orders = uow.repository(Order)
    order = orders.get_or_new(cmd.order_id)
    order.place(number=_next_receipt(uow, till), kind=TILL, store_code=till.store_code, till_id=till.uuid,
                session_id=drawer.session_id, cashier=cmd.cashier, customer_id=cmd.customer_id, lines=lines,
                totals=totals(lines), placed_at=placed_at, approved_by=approved_by)
    if cmd.payments:
        _take_payments(uow, order, cmd.payments, drawer)
    _settle(uow, order, drawer, was="new")
    orders.save(order)
    drawers.save(uow, drawer)
    return order.state()


@handles(c.PlaceDeliveryOrder, retry_on_conflict=True)
def place_delivery_order(cmd: c.PlaceDeliveryOrder, uow: UnitOfWork) -> dict:
    _check_customer(uow, cmd.customer_id)
    lines = _priced_lines(uow, cmd.lines, cmd.max_discount_percent)
    ship_to = ShipTo(**{k: " ".join(str(v or "").split()) for k, v in cmd.ship_to.__dict__.items()})
    for field, value in ship_to.__dict__.items():
        if not value:
            raise DomainError("A delivery order needs a complete address.", field=f"ship_to.{field}")
    code = clean_store_code(cmd.store_code)
    check_store(code, _known_store(uow, code))  # before its number: an unknown store gets no counter
    orders = uow.repository(Order)
    order = orders.get_or_new(cmd.order_id)
    order.place(number=_next_number(uow, code), kind=DELIVERY, store_code=code, till_id=None,
                session_id=None, cashier=cmd.cashier, customer_id=cmd.customer_id, lines=lines,
                totals=totals(lines), placed_at=timezone.now(), ship_to=ship_to)
    try:
        orders.save(order)
    except KeyDestroyed:  # forgotten after the check above read the directory: as unknown as it says
        raise DomainError(f"There is no customer {cmd.customer_id}.", field="customer_id",
                          code="UnknownCustomer") from None
    return order.state()


def _require_till(till_id, what: str):
    if till_id is None:
        raise DomainError(f"{what} goes through a till's open session: name the till (till_id), or use a "
                          "till-bound token.", field="till_id", code="TillRequired")


@handles(c.PayOrder, retry_on_conflict=True)
def pay_order(cmd: c.PayOrder, uow: UnitOfWork) -> dict:
    _require_till(cmd.till_id, "Every payment")
    orders = uow.repository(Order)
    order = orders.get(cmd.order_id, label="order")
    drawer = drawers.lock(uow, cmd.till_id)
    was = order.status
    _take_payments(uow, order, cmd.payments, drawer)
    _settle(uow, order, drawer, was)
    orders.save(order)
    drawers.save(uow, drawer)
    return order.state()


@handles(c.VoidOrder, retry_on_conflict=True)
def void_order(cmd: c.VoidOrder, uow: UnitOfWork) -> dict:
    """A sale is voided at its own till: its payments go back through that till's open session."""
    orders = uow.repository(Order)
    order = orders.get(cmd.order_id, label="order")
    if order.till_id is None:
        raise Conflict(f"Order {order.number} is a delivery order; cancel it instead.", code="NotVoidable")
    if cmd.till_id is not None and cmd.till_id != order.till_id:
        raise Conflict(f"Order {order.number} was sold at another till; void it there.", field="till_id",
                       code="WrongTill")
    if order.status != "voided":
        drawer = drawers.lock(uow, order.till_id)
        _void(uow, order, drawer, cmd.cashier, cmd.reason)
        drawers.save(uow, drawer)
        orders.save(order)
    return order.state()


@handles(c.ConfirmOrder, retry_on_conflict=True)
def confirm_order(cmd: c.ConfirmOrder, uow: UnitOfWork) -> dict:
    orders = uow.repository(Order)
    order = orders.get(cmd.order_id, label="order")
    order.confirm(timezone.now())
    orders.save(order)
    return order.state()


@handles(c.CancelOrder, retry_on_conflict=True)
def cancel_order(cmd: c.CancelOrder, uow: UnitOfWork) -> dict:
    orders = uow.repository(Order)
    order = orders.get(cmd.order_id, label="order")
    order.cancel(cmd.reasons)
    orders.save(order)
    return order.state()


@handles(c.ShipOrder, retry_on_conflict=True)
def ship_order(cmd: c.ShipOrder, uow: UnitOfWork) -> dict:
    orders = uow.repository(Order)
    order = orders.get(cmd.order_id, label="order")
    order.ship(timezone.now())
    orders.save(order)
    return order.state()


@handles(c.RefundOrder, retry_on_conflict=True)
def refund_order(cmd: c.RefundOrder, uow: UnitOfWork) -> dict:
    """Retried on a version conflict of the order's stream with a fresh load, so the decision is
    re-taken on what is left: of two refunds racing for the same line only one passes, the loser
    gets a 409 saying what was refunded already (RefundExceedsSale). A refund and a sale at the
    same till wait for each other on the drawer row instead."""
    _require_till(cmd.till_id, "Every refund")
    orders = uow.repository(Order)
    order = orders.get(cmd.order_id, label="order")
    drawer = drawers.lock(uow, cmd.till_id)
    approved_by = _approved_by(uow, cmd.approval)
    event = order.refund(refund_id=cmd.refund_id, lines=cmd.lines, method=cmd.method, cashier=cmd.cashier,
                         reason=cmd.reason, session_id=drawer.session_id, till_id=cmd.till_id,
                         max_amount=cmd.max_amount, session_refunded=drawer.unapproved_refunds,
                         approved_by=approved_by, tenders=_tenders(uow, [cmd.method, *order.paid_by]),
                         point_value=settings.POS_LOYALTY_POINT_VALUE)
    if event is not None:
        if event.points:
            _points_purse(uow, order.customer_id)
            _spend_points(uow, order.customer_id, -event.points)
        drawer.refund(event.method, event.total, event.tax, approved_by, order.refund_taxes(event))
        drawers.save(uow, drawer)
        orders.save(order)
    # the order as it now is, and what this refund was (also when it is the same refund again)
    return {**order.state(), "refund_id": str(cmd.refund_id), "refund": order.refund_state(cmd.refund_id)}


# --- personal data (docs/personal-data.md) ----------------------------------------------------
@handles(c.ForgetOrderAddress, retry_on_conflict=True)
def forget_order_address(cmd: c.ForgetOrderAddress, uow: UnitOfWork) -> dict:
    """One transaction: the event (who asked, when), the order's key destroyed, and its address
    resealed erased if older code wrote it in plaintext. Forgetting again changes nothing."""
    orders = uow.repository(Order)
    order = orders.get(cmd.order_id, label="order")
    if order.forget_address(cmd.requested_by, timezone.now()):
        orders.save(order)
        keyring.destroy(str(order.uuid), uow.db, subject_kind=ORDER)
        legacy.reseal_subject(ORDER, order.uuid, uow.db)
    return order.state()


@handles(c.ForgetCustomerAddresses)
def forget_customer_addresses(cmd: c.ForgetCustomerAddresses, uow: UnitOfWork) -> dict:
    """The customers context forgot the customer (`CustomerForgotten`, the record of who asked):
    sales destroys its key for the customer's addresses, and reseals erased any it still had in
    plaintext. Idempotent."""
    destroyed = keyring.destroy(str(cmd.customer_id), uow.db, subject_kind=CUSTOMER)
    resealed = legacy.reseal_subject(CUSTOMER, cmd.customer_id, uow.db)
    return {"customer_id": str(cmd.customer_id), "key_destroyed": destroyed, "resealed": resealed}
