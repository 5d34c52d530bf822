"""One handler per catalog command. Each runs in one transaction (the unit of work)."""

from collections import defaultdict

from django.db import IntegrityError, transaction

from infrastructure.commands.bus import UnitOfWork, handles
from infrastructure.errors import Conflict, DomainError
from infrastructure.locks import lock

from . import commands as c
from .command_side import CategoryKey, ProductKey
from .domain.category import Category
from .domain.events import RejectedLine, ReservationLine
from .domain.product import Product
from .domain.reservation import StockReservation, reservation_stream_id


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
    """Serialises the decisions taken on one product (stock above all): a writer waits here for
    the one before it to commit, then loads the fresh stream, instead of racing it to the append
    and running out of conflict retries (20 orders for the last units would leave some without
    an answer). Taken in one fixed order, so writers of several products cannot deadlock."""
    for product_id in sorted({str(p) for p in product_ids}):
        lock(uow.db, "catalog.product", product_id)


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
    _claim_product_keys(uow, product, create=True)
    products.save(product)
    return product.state()


def _product_command(fn):
    """Handlers that load one product, call one method and save it."""

    def handler(cmd, uow: UnitOfWork) -> dict:
        _lock_products(uow, [cmd.product_id])
        products = uow.repository(Product)
        product = products.get(cmd.product_id, label="product")
        fn(cmd, uow, product)
        products.save(product)
        return product.state()

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


# Stock movements are commutative with other movements, so re-deciding after a conflict is safe.
@handles(c.ReceiveStock, retry_on_conflict=True)
@_product_command
def receive_stock(cmd: c.ReceiveStock, uow, product: Product):
    product.receive(cmd.quantity, cmd.supplier_reference)


@handles(c.AdjustStock, retry_on_conflict=True)
@_product_command
def adjust_stock(cmd: c.AdjustStock, uow, product: Product):
    product.adjust(cmd.counted_quantity, cmd.reason)


# --- driven by sales events -------------------------------------------------------------------
def _merged(lines) -> dict:
    """Quantities per product (an order may list one product on several lines)."""
    totals = defaultdict(int)
    for line in lines:
        totals[line.product_id] += line.quantity
    return dict(sorted(totals.items(), key=lambda item: str(item[0])))  # fixed order: no lock-order deadlocks


@handles(c.RecordSale, retry_on_conflict=True)
def record_sale(cmd: c.RecordSale, uow: UnitOfWork) -> dict:
    products = uow.repository(Product)
    wanted = _merged(cmd.lines)
    _lock_products(uow, wanted)
    for product_id, quantity in wanted.items():
        product = products.get_or_new(product_id)
        if not product.exists:
            continue  # the till sold something the catalog never had: nothing to count down
        product.sell(cmd.order_id, quantity)
        products.save(product)
    return {"order_id": str(cmd.order_id)}


@handles(c.RecordReturn, retry_on_conflict=True)
def record_return(cmd: c.RecordReturn, uow: UnitOfWork) -> dict:
    products = uow.repository(Product)
    wanted = _merged(cmd.lines)
    _lock_products(uow, wanted)
    for product_id, quantity in wanted.items():
        product = products.get_or_new(product_id)
        if product.exists:
            product.take_back(cmd.order_id, cmd.refund_id, quantity)
            products.save(product)
    return {"order_id": str(cmd.order_id), "refund_id": str(cmd.refund_id)}


@handles(c.ReserveStock, retry_on_conflict=True)
def reserve_stock(cmd: c.ReserveStock, uow: UnitOfWork) -> dict:
    """All lines or none. On a version conflict (another order took stock of one of these
    products meanwhile) the whole decision is retaken on fresh state, so never more is reserved
    than is available."""
    wanted = _merged(cmd.lines)
    _lock_products(uow, wanted)  # first: a concurrent delivery of this order has decided by now
    reservations = uow.repository(StockReservation)
    reservation = reservations.get_or_new(reservation_stream_id(cmd.order_id))
    if reservation.exists:
        return {"order_id": str(cmd.order_id), "status": reservation.status}  # already decided
    products = uow.repository(Product)
    loaded, rejected = {}, []
    for product_id, quantity in wanted.items():
        product = products.get_or_new(product_id)
        problem = "unknown_product" if not product.exists else product.reservation_problem(quantity)
        if problem:
            rejected.append(RejectedLine(product_id=product_id, quantity=quantity, reason=problem,
                                         available=product.available if product.exists else None))
        loaded[product_id] = product
    if rejected:
        reservation.reject(rejected)
    else:
        for product_id, quantity in wanted.items():
            loaded[product_id].reserve(cmd.order_id, quantity)
            products.save(loaded[product_id])
        reservation.reserve([ReservationLine(product_id=p, quantity=q) for p, q in wanted.items()])
    reservations.save(reservation)
    return {"order_id": str(cmd.order_id), "status": reservation.status}


def _settle_reservation(cmd, uow: UnitOfWork, settle_product, settle_reservation) -> dict:
    reservations = uow.repository(StockReservation)
    reservation = reservations.get_or_new(reservation_stream_id(cmd.order_id))
    if reservation.status != "reserved":
        return {"order_id": str(cmd.order_id), "status": reservation.status}  # nothing held
    products = uow.repository(Product)
    _lock_products(uow, [line.product_id for line in reservation.lines])
    for line in sorted(reservation.lines, key=lambda line: str(line.product_id)):
        product = products.get(line.product_id)
        settle_product(product)
        products.save(product)
    settle_reservation(reservation)
    reservations.save(reservation)
    return {"order_id": str(cmd.order_id), "status": reservation.status}


@handles(c.ReleaseReservation, retry_on_conflict=True)
def release_reservation(cmd: c.ReleaseReservation, uow: UnitOfWork) -> dict:
    return _settle_reservation(cmd, uow, lambda p: p.release(cmd.order_id), StockReservation.release)


@handles(c.ShipReservation, retry_on_conflict=True)
def ship_reservation(cmd: c.ShipReservation, uow: UnitOfWork) -> dict:
    return _settle_reservation(cmd, uow, lambda p: p.ship_reserved(cmd.order_id), StockReservation.fulfil)


