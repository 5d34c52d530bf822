"""One handler per catalog command. Each runs in one transaction (the unit of work)."""

from collections import defaultdict

from django.db import IntegrityError, transaction
from django.db.models import Sum

from infrastructure.commands.bus import UnitOfWork, handles
from kernel.errors import Conflict, DomainError
from infrastructure.locks import lock

from . import commands as c
from .command_side import CategoryKey, ProductKey, SaleStore, StockLevel
from .domain.category import Category
from .domain.events import CountedLine, RejectedLine, ReservationLine, SheetLine, TransferLine
from .domain.product import Product
from .domain.reservation import StockReservation, reservation_stream_id
from .domain.stock import StoreStock, stock_stream_id
from .domain.stocktake import Stocktake, stocktake_stream_id
from .domain.transfer import StockTransfer, transfer_stream_id
from .domain.values import STORE_CODE_PATTERN
from .legacy_stock import carry_over_legacy_pool, legacy_store
from .models import StoreEntry


def _claim(uow: UnitOfWork, save, field: str, message: str):
    """Insert/update a uniqueness claim; a concurrent claimer loses with a 409 on `field`."""
    try:
        with transaction.atomic(using=uow.db):
            save()
    except IntegrityError:
        raise Conflict(message, field=field, code="AlreadyTaken") from None


def _lock_category(uow: UnitOfWork, category_id) -> None:
    """Serialises 'a product joins this category' with 'this category is deleted'."""
    if category_id is not None:
        lock(uow.db, "catalog.category", category_id)


def _lock_products(uow: UnitOfWork, product_ids) -> None:
    """Serialises the decisions taken on one product's catalog details: a writer waits here for
    the one before it to commit, then loads the fresh stream, instead of racing it to the append."""
    for product_id in sorted({str(p) for p in product_ids}):
        lock(uow.db, "catalog.product", product_id)


def _lock_stock(uow: UnitOfWork, product_ids, store_code: str) -> None:
    """Serialises the decisions taken on one product's stock in one store, as `_lock_products`
    does for details (20 orders for a store's last units would otherwise race to the append and
    run out of conflict retries). Taken in one fixed order, so writers of several products cannot
    deadlock; two stores never wait for each other."""
    for product_id in sorted({str(p) for p in product_ids}):
        lock(uow.db, "catalog.stock", stock_stream_id(product_id, store_code))


def _live_category(uow: UnitOfWork, category_id):
    if category_id is None:
        return
    _lock_category(uow, category_id)
    if not CategoryKey.objects.using(uow.db).filter(category_id=category_id, deleted=False).exists():
        raise DomainError(f"There is no category {category_id}.", field="category_id", code="UnknownCategory")


# --- categories -------------------------------------------------------------------------------
@handles(c.CreateCategory)
def create_category(cmd: c.CreateCategory, uow: UnitOfWork) -> dict:
    categories = uow.repository(Category)
    category = categories.get_or_new(cmd.category_id)
    category.create(cmd.name)
    _claim(uow, lambda: CategoryKey.objects.using(uow.db).create(category_id=cmd.category_id, name=category.name),
           "name", f"A category named {category.name!r} already exists.")
    categories.save(category)
    return {"id": category.id, "version": category.version, "name": category.name}


@handles(c.RenameCategory)
def rename_category(cmd: c.RenameCategory, uow: UnitOfWork) -> dict:
    categories = uow.repository(Category)
    category = categories.get(cmd.category_id, label="category")
    category.rename(cmd.name)
    _claim(uow, lambda: CategoryKey.objects.using(uow.db).filter(category_id=cmd.category_id)
           .update(name=category.name), "name", f"A category named {category.name!r} already exists.")
    categories.save(category)
    return {"id": category.id, "version": category.version, "name": category.name}


@handles(c.DeleteCategory)
def delete_category(cmd: c.DeleteCategory, uow: UnitOfWork) -> dict:
    categories = uow.repository(Category)
    category = categories.get(cmd.category_id, label="category")
    _lock_category(uow, cmd.category_id)
    active = ProductKey.objects.using(uow.db).filter(category_id=cmd.category_id, active=True).count()
    category.delete(active_products=active)
    CategoryKey.objects.using(uow.db).filter(category_id=cmd.category_id).update(deleted=True)
    categories.save(category)
    return {"id": category.id, "version": category.version, "deleted": True}


# --- products ---------------------------------------------------------------------------------
def _claim_product_keys(uow: UnitOfWork, product: Product, *, create: bool):
    keys = ProductKey.objects.using(uow.db)
    fields = dict(sku=product.sku, barcode=product.barcode, category_id=product.category_id, active=product.active)
    if product.barcode and keys.filter(barcode=product.barcode).exclude(product_id=product.uuid).exists():
        raise Conflict(f"Barcode {product.barcode} is already used by another product.", field="barcode",
                       code="AlreadyTaken")
    if keys.filter(sku=product.sku).exclude(product_id=product.uuid).exists():
        raise Conflict(f"SKU {product.sku} is already used by another product.", field="sku", code="AlreadyTaken")
    save = (lambda: keys.create(product_id=product.uuid, **fields)) if create else \
        (lambda: keys.filter(product_id=product.uuid).update(**fields))
    _claim(uow, save, "sku", "The SKU or barcode was just taken by another product.")


@handles(c.CreateProduct)
def create_product(cmd: c.CreateProduct, uow: UnitOfWork) -> dict:
    products = uow.repository(Product)
    product = products.get_or_new(cmd.product_id)
    _live_category(uow, cmd.category_id)
    product.create(sku=cmd.sku, barcode=cmd.barcode, name=cmd.name, category_id=cmd.category_id,
                   unit_price=cmd.unit_price, tax_rate=cmd.tax_rate, price_includes_tax=cmd.price_includes_tax,
                   low_stock_threshold=cmd.low_stock_threshold)
    if cmd.cost_price is not None:
        product.set_cost_price(cmd.cost_price)
    _claim_product_keys(uow, product, create=True)
    products.save(product)
    return _product_state(uow, product)


def _product_state(uow: UnitOfWork, product: Product) -> dict:
    """The product's answer, its stock summed over the stores (the legacy store's stream not yet
    written counts with the pool its product stream still holds)."""
    levels = StockLevel.objects.using(uow.db).filter(product_id=product.uuid)
    sums = levels.aggregate(on_hand=Sum("on_hand"), reserved=Sum("reserved"))
    on_hand, reserved = sums["on_hand"] or 0, sums["reserved"] or 0
    if not levels.filter(store_code=legacy_store()).exists():
        on_hand += product.legacy_on_hand
        reserved += sum(product.legacy_reservations.values())
    return product.state(on_hand, reserved)


def _product_command(fn):
    """Handlers that load one product, call one method and save it."""

    def handler(cmd, uow: UnitOfWork) -> dict:
        _lock_products(uow, [cmd.product_id])
        products = uow.repository(Product)
        product = products.get(cmd.product_id, label="product")
        fn(cmd, uow, product)
        products.save(product)
        return _product_state(uow, product)

    handler.__name__ = fn.__name__
    handler.__module__ = fn.__module__
    return handler


@handles(c.UpdateProduct)
@_product_command
def update_product(cmd: c.UpdateProduct, uow, product: Product):
    if cmd.category_id is not c.UNCHANGED and cmd.category_id != product.category_id:
        _live_category(uow, cmd.category_id)
    product.update(sku=cmd.sku, name=cmd.name, barcode=cmd.barcode, category_id=cmd.category_id,
                   tax_rate=cmd.tax_rate, price_includes_tax=cmd.price_includes_tax,
                   low_stock_threshold=cmd.low_stock_threshold, unit_price=cmd.unit_price)
    if cmd.cost_price is not c.UNCHANGED:
        product.set_cost_price(cmd.cost_price)
    _claim_product_keys(uow, product, create=False)


@handles(c.ChangeProductPrice, retry_on_conflict=True)
@_product_command
def change_price(cmd: c.ChangeProductPrice, uow, product: Product):
    product.change_price(cmd.unit_price)


@handles(c.DiscontinueProduct)
@_product_command
def discontinue_product(cmd: c.DiscontinueProduct, uow, product: Product):
    product.discontinue(cmd.reason)
    ProductKey.objects.using(uow.db).filter(product_id=product.uuid).update(active=False)


@handles(c.ReactivateProduct)
@_product_command
def reactivate_product(cmd: c.ReactivateProduct, uow, product: Product):
    _live_category(uow, product.category_id)
    product.reactivate()
    ProductKey.objects.using(uow.db).filter(product_id=product.uuid).update(active=True)


# --- stock per store --------------------------------------------------------------------------
def _store(uow: UnitOfWork, code, *, check: bool = True, field: str = "store_code") -> str:
    """The store a stock command acts in: the one it names, or the legacy store when it names none.
    A store a manager names must be one the catalog has heard of from the stores context (422
    unknown-store); the legacy store always may (it holds the stock recorded before stores). Stock
    moved by sales follows the store the sale names, unchecked: the till sale happened."""
    code = str(code or "").strip().upper() or legacy_store()
    if not STORE_CODE_PATTERN.match(code):
        raise DomainError("A store code is 1 to 8 letters or digits (e.g. S1).", field=field)
    if check and code != legacy_store() and not StoreEntry.objects.using(uow.db).filter(code=code).exists():
        raise DomainError(f"There is no store {code}: register it under Stores first (a store registered a "
                          "moment ago may not be known to the catalog yet; retry shortly).", field=field,
                          code="UnknownStore")
    return code


class _Stocks:
    """Loads and saves the stock streams of one unit of work, keeping the command side's stock
    levels with them; the legacy store's stream starts from the product's pool (legacy_stock.py)."""

    def __init__(self, uow: UnitOfWork):
        self.uow = uow
        self.repository = uow.repository(StoreStock)

    def get(self, product_id, store_code: str) -> StoreStock:
        stock = self.repository.get_or_new(stock_stream_id(product_id, store_code))
        if not stock.exists and store_code == legacy_store():
            carry_over_legacy_pool(stock, self.uow.repository(Product).get_or_new(product_id))
        return stock

    def save(self, stock: StoreStock) -> None:
        self.repository.save(stock)
        StockLevel.objects.using(self.uow.db).bulk_create(
            [StockLevel(product_id=stock.product_id, store_code=stock.store_code, on_hand=stock.on_hand,
                        reserved=stock.reserved)],
            update_conflicts=True, unique_fields=["product_id", "store_code"], update_fields=["on_hand", "reserved"])


def _stock_command(fn):
    """Handlers of a manager's command on one product's stock in one store: answer with the
    product's state (stock summed over the stores) and this store's (`store_stock`)."""

    def handler(cmd, uow: UnitOfWork) -> dict:
        store_code = _store(uow, cmd.store_code)
        product = uow.repository(Product).get(cmd.product_id, label="product")
        _lock_stock(uow, [cmd.product_id], store_code)
        stocks = _Stocks(uow)
        stock = stocks.get(cmd.product_id, store_code)
        fn(cmd, stock, product)
        stocks.save(stock)
        return {**_product_state(uow, product), "store_stock": stock.state()}

    handler.__name__ = fn.__name__
    handler.__module__ = fn.__module__
    return handler


# Stock movements are commutative with other movements, so re-deciding after a conflict is safe.
@handles(c.ReceiveStock, retry_on_conflict=True)
@_stock_command
def receive_stock(cmd: c.ReceiveStock, stock: StoreStock, product: Product):
    cost = cmd.unit_cost if cmd.unit_cost is not None else product.cost_price
    stock.receive(cmd.quantity, cmd.supplier_reference, supplier=cmd.supplier, unit_cost=cost)


@handles(c.ReceiveGoods, retry_on_conflict=True)
def receive_goods(cmd: c.ReceiveGoods, uow: UnitOfWork) -> dict:
    """Every line into one store, or none: a line refused (unknown product, bad quantity or cost)
    raises, naming it (`lines.<n>.<field>`), and the unit of work rolls the others back. A line
    without a unit cost is received at the product's cost price (if it has one)."""
    store_code = _store(uow, cmd.store_code)
    if not cmd.lines:
        raise DomainError("A delivery has at least one line.", field="lines")
    products = uow.repository(Product)
    loaded = {}
    for n, line in enumerate(cmd.lines):
        if line.product_id not in loaded:
            product = products.get_or_new(line.product_id)
            if not product.exists:
                raise DomainError(f"There is no product {line.product_id}.", field=f"lines.{n}.product_id",
                                  code="UnknownProduct")
            loaded[line.product_id] = product
    _lock_stock(uow, loaded, store_code)
    stocks = _Stocks(uow)
    received = {product_id: stocks.get(product_id, store_code) for product_id in loaded}
    for n, line in enumerate(cmd.lines):
        cost = line.unit_cost if line.unit_cost is not None else loaded[line.product_id].cost_price
        try:
            received[line.product_id].receive(line.quantity, line.supplier_reference, supplier=line.supplier,
                                              unit_cost=cost)
        except DomainError as error:
            raise _line_error(n, error) from None
    for stock in received.values():
        stocks.save(stock)
    return {"store_code": store_code, "lines": len(cmd.lines),
            "stock": [stock.state() for _, stock in sorted(received.items(), key=lambda item: str(item[0]))]}


def _line_error(n: int, error: DomainError) -> DomainError:
    """The same refusal (its status and code), naming the line: `lines.<n>.<field>`."""
    error.message = f"Line {n + 1}: {error.message}"
    error.field = f"lines.{n}.{error.field or 'quantity'}"
    error.args = (error.message,)
    return error


@handles(c.SendTransfer, retry_on_conflict=True)
def send_transfer(cmd: c.SendTransfer, uow: UnitOfWork) -> dict:
    """Every line leaves the sender, or none (a line asking more than is available there is a 409
    naming it); the units are in transit until the receiver counts them in."""
    from_store = _store(uow, cmd.from_store, field="from_store")
    to_store = _store(uow, cmd.to_store, field="to_store")
    wanted = _merged(cmd.lines)
    known = _known_products(uow, wanted)
    for n, line in enumerate(cmd.lines):
        if line.product_id not in known:
            raise DomainError(f"There is no product {line.product_id}.", field=f"lines.{n}.product_id",
                              code="UnknownProduct")
    transfers = uow.repository(StockTransfer)
    transfer = transfers.get_or_new(transfer_stream_id(cmd.transfer_id))
    _lock_stock(uow, wanted, from_store)
    stocks = _Stocks(uow)
    first_line = {}
    for n, line in enumerate(cmd.lines):
        first_line.setdefault(line.product_id, n)
    lines = []
    for product_id, quantity in wanted.items():
        stock = stocks.get(product_id, from_store)
        try:
            stock.transfer_out(cmd.transfer_id, to_store, quantity)
        except DomainError as error:
            raise _line_error(first_line[product_id], error) from None
        lines.append((stock, TransferLine(product_id=product_id, quantity=quantity, unit_cost=stock.average_cost)))
    in_order = sorted(lines, key=lambda item: first_line[item[1].product_id])  # as the request listed them
    transfer.send(from_store, to_store, [line for _, line in in_order], cmd.reference)
    for stock, _ in lines:
        stocks.save(stock)
    transfers.save(transfer)
    return _transfer_state(transfer)


@handles(c.ReceiveTransfer, retry_on_conflict=True)
def receive_transfer(cmd: c.ReceiveTransfer, uow: UnitOfWork) -> dict:
    transfers = uow.repository(StockTransfer)
    transfer = transfers.get(transfer_stream_id(cmd.transfer_id), label="transfer")
    counted = defaultdict(int)
    for line in cmd.lines:
        counted[line.product_id] += line.quantity
    received = transfer.receive(dict(counted))
    costs = {line.product_id: line.unit_cost for line in transfer.lines}
    _lock_stock(uow, [line.product_id for line in received], transfer.to_store)
    stocks = _Stocks(uow)
    for line in received:
        if line.received:
            stock = stocks.get(line.product_id, transfer.to_store)
            stock.transfer_in(cmd.transfer_id, transfer.from_store, line.received, costs[line.product_id])
            stocks.save(stock)
    transfers.save(transfer)
    return _transfer_state(transfer)


def _transfer_state(transfer: StockTransfer) -> dict:
    return {"id": str(transfer.transfer_id), "version": transfer.version, "status": transfer.status,
            "from_store": transfer.from_store, "to_store": transfer.to_store}


@handles(c.StartStocktake)
def start_stocktake(cmd: c.StartStocktake, uow: UnitOfWork) -> dict:
    store_code = _store(uow, cmd.store_code)
    keys = ProductKey.objects.using(uow.db).filter(active=True)
    if cmd.category_id is not None:
        keys = keys.filter(category_id=cmd.category_id)
    product_ids = sorted(keys.values_list("product_id", flat=True), key=str)
    stocks = _Stocks(uow)
    lines = [SheetLine(product_id=p, expected=stocks.get(p, store_code).on_hand) for p in product_ids]
    stocktakes = uow.repository(Stocktake)
    stocktake = stocktakes.get_or_new(stocktake_stream_id(cmd.stocktake_id))
    stocktake.start(store_code, cmd.category_id, lines)
    stocktakes.save(stocktake)
    return _stocktake_state(stocktake)


@handles(c.CountStocktake, retry_on_conflict=True)
def count_stocktake(cmd: c.CountStocktake, uow: UnitOfWork) -> dict:
    """Each counted line sets the store's stock to the count (`StockAdjusted`, reason
    "stocktake: <reason>"), all or none; lines left out stay as they were."""
    stocktakes = uow.repository(Stocktake)
    stocktake = stocktakes.get(stocktake_stream_id(cmd.stocktake_id), label="stocktake")
    counted = {line.product_id: line.counted_quantity for line in cmd.lines}
    reason = stocktake.check_count(counted, cmd.reason)
    expected = {line.product_id: line.expected for line in stocktake.lines}
    _lock_stock(uow, counted, stocktake.store_code)
    stocks = _Stocks(uow)
    lines = []
    for product_id, quantity in sorted(counted.items(), key=lambda item: str(item[0])):
        stock = stocks.get(product_id, stocktake.store_code)
        delta = quantity - stock.on_hand
        if delta:
            stock.adjust(quantity, f"stocktake: {reason}")
            stocks.save(stock)
        lines.append(CountedLine(product_id=product_id, expected=expected[product_id], counted=quantity, delta=delta))
    stocktake.counted(reason, lines)
    stocktakes.save(stocktake)
    return _stocktake_state(stocktake)


def _stocktake_state(stocktake: Stocktake) -> dict:
    return {"id": str(stocktake.stocktake_id), "version": stocktake.version, "status": stocktake.status,
            "store_code": stocktake.store_code,
            "lines": [{"product_id": str(line.product_id), "expected": line.expected} for line in stocktake.lines]}


@handles(c.AdjustStock, retry_on_conflict=True)
@_stock_command
def adjust_stock(cmd: c.AdjustStock, stock: StoreStock, product: Product):
    stock.adjust(cmd.counted_quantity, cmd.reason)


@handles(c.SetStoreLowStockThreshold, retry_on_conflict=True)
@_stock_command
def set_store_low_stock_threshold(cmd: c.SetStoreLowStockThreshold, stock: StoreStock, product: Product):
    stock.set_low_stock_threshold(cmd.low_stock_threshold)


# --- driven by sales events -------------------------------------------------------------------
def _merged(lines) -> dict:
    """Quantities per product (an order may list one product on several lines)."""
    totals = defaultdict(int)
    for line in lines:
        totals[line.product_id] += line.quantity
    return dict(sorted(totals.items(), key=lambda item: str(item[0])))  # fixed order: no lock-order deadlocks


def _known_products(uow: UnitOfWork, product_ids) -> dict:
    """product id -> active, for the products the catalog has."""
    return dict(ProductKey.objects.using(uow.db).filter(product_id__in=list(product_ids))
                .values_list("product_id", "active"))


@handles(c.RecordSale, retry_on_conflict=True)
def record_sale(cmd: c.RecordSale, uow: UnitOfWork) -> dict:
    store_code = _store(uow, cmd.store_code, check=False)
    wanted = _merged(cmd.lines)
    known = _known_products(uow, wanted)
    _lock_stock(uow, wanted, store_code)
    stocks = _Stocks(uow)
    for product_id, quantity in wanted.items():
        if product_id not in known:
            continue  # the till sold something the catalog never had: nothing to count down
        stock = stocks.get(product_id, store_code)
        stock.sell(cmd.order_id, quantity, cmd.order_number)
        stocks.save(stock)
    SaleStore.objects.using(uow.db).bulk_create(
        [SaleStore(order_id=cmd.order_id, store_code=store_code, number=cmd.order_number)], ignore_conflicts=True)
    return {"order_id": str(cmd.order_id), "store_code": store_code}


def _store_of_order(uow: UnitOfWork, order_id) -> tuple[str, str]:
    """Where an order's stock came from (its till's store, the store its delivery reserved in,
    or, sold before stock per store, the legacy store) and its receipt number if known."""
    sold = SaleStore.objects.using(uow.db).filter(order_id=order_id).values_list("store_code", "number").first()
    if sold:
        return sold
    reservation = uow.repository(StockReservation).get_or_new(reservation_stream_id(order_id))
    return reservation.store_code or legacy_store(), ""


@handles(c.RecordReturn, retry_on_conflict=True)
def record_return(cmd: c.RecordReturn, uow: UnitOfWork) -> dict:
    store_code, number = _store_of_order(uow, cmd.order_id)
    wanted = _merged(cmd.lines)
    known = _known_products(uow, wanted)
    _lock_stock(uow, wanted, store_code)
    stocks = _Stocks(uow)
    for product_id, quantity in wanted.items():
        if product_id in known:
            stock = stocks.get(product_id, store_code)
            stock.take_back(cmd.order_id, cmd.refund_id, quantity, number)
            stocks.save(stock)
    return {"order_id": str(cmd.order_id), "refund_id": str(cmd.refund_id), "store_code": store_code}


@handles(c.ReserveStock, retry_on_conflict=True)
def reserve_stock(cmd: c.ReserveStock, uow: UnitOfWork) -> dict:
    """All lines or none, in the store the order names. On a version conflict (another order took
    stock of one of these products there meanwhile) the whole decision is retaken on fresh state,
    so never more is reserved than is available."""
    store_code = _store(uow, cmd.store_code, check=False)
    wanted = _merged(cmd.lines)
    _lock_stock(uow, wanted, store_code)  # first: a concurrent delivery of this order has decided by now
    reservations = uow.repository(StockReservation)
    reservation = reservations.get_or_new(reservation_stream_id(cmd.order_id))
    if reservation.exists:
        return {"order_id": str(cmd.order_id), "status": reservation.status}  # already decided
    known = _known_products(uow, wanted)
    stocks = _Stocks(uow)
    loaded, rejected = {}, []
    for product_id, quantity in wanted.items():
        stock = stocks.get(product_id, store_code)
        problem = ("unknown_product" if product_id not in known
                   else stock.reservation_problem(quantity, product_active=known[product_id]))
        if problem:
            rejected.append(RejectedLine(product_id=product_id, quantity=quantity, reason=problem,
                                         available=stock.available if product_id in known else None))
        loaded[product_id] = stock
    if rejected:
        reservation.reject(rejected)
    else:
        for product_id, quantity in wanted.items():
            loaded[product_id].reserve(cmd.order_id, quantity, product_active=True)
            stocks.save(loaded[product_id])
        reservation.reserve([ReservationLine(product_id=p, quantity=q) for p, q in wanted.items()], store_code)
    reservations.save(reservation)
    return {"order_id": str(cmd.order_id), "status": reservation.status, "store_code": store_code}


def _settle_reservation(cmd, uow: UnitOfWork, settle_stock, settle_reservation) -> dict:
    reservations = uow.repository(StockReservation)
    reservation = reservations.get_or_new(reservation_stream_id(cmd.order_id))
    if reservation.status != "reserved":
        return {"order_id": str(cmd.order_id), "status": reservation.status}  # nothing held
    store_code = reservation.store_code
    _lock_stock(uow, [line.product_id for line in reservation.lines], store_code)
    stocks = _Stocks(uow)
    for line in sorted(reservation.lines, key=lambda line: str(line.product_id)):
        stock = stocks.get(line.product_id, store_code)
        settle_stock(stock)
        stocks.save(stock)
    settle_reservation(reservation)
    reservations.save(reservation)
    return {"order_id": str(cmd.order_id), "status": reservation.status}


@handles(c.ReleaseReservation, retry_on_conflict=True)
def release_reservation(cmd: c.ReleaseReservation, uow: UnitOfWork) -> dict:
    return _settle_reservation(cmd, uow, lambda s: s.release(cmd.order_id), StockReservation.release)


@handles(c.ShipReservation, retry_on_conflict=True)
def ship_reservation(cmd: c.ShipReservation, uow: UnitOfWork) -> dict:
    return _settle_reservation(cmd, uow, lambda s: s.ship_reserved(cmd.order_id), StockReservation.fulfil)
