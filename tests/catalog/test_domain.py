"""The catalog's rules as pure domain code: value rules (barcodes, SKUs, prices, tax rates,
quantities) and the Category / Product / StockReservation aggregates. No database."""

import json
import uuid
from decimal import Decimal

import pytest

from contexts.catalog.domain import values
from contexts.catalog.domain.category import Category
from contexts.catalog.domain.events import (
    CategoryCreated,
    CategoryDeleted,
    CategoryRenamed,
    ProductCreated,
    ProductDetailsUpdated,
    ProductDiscontinued,
    ProductPriceChanged,
    ProductReactivated,
    CarriedReservation,
    ProductReservationReleased,
    ProductStockReserved,
    RejectedLine,
    ReservationFulfilled,
    ReservationLine,
    ReservedStockShipped,
    StockAdjusted,
    StockCarriedOver,
    StockReceived,
    StockReleased,
    StockReservationRejected,
    StockReserved,
    StockReturned,
    StockSold,
    StoreLowStockThresholdSet,
)
from contexts.catalog.domain.product import Product
from contexts.catalog.domain.reservation import StockReservation, reservation_stream_id
from contexts.catalog.domain.stock import StoreStock, split_stock_stream_id, stock_stream_id
from kernel.errors import Conflict, DomainError
from kernel.serialization import event_from_data, event_to_data

pytestmark = pytest.mark.unit


def raises_on(field, fn, *args, **kwargs) -> DomainError:
    with pytest.raises(DomainError) as info:
        fn(*args, **kwargs)
    assert info.value.field == field, (info.value.field, info.value.message)
    assert info.value.status == 422
    return info.value


# --- barcodes ---------------------------------------------------------------------------------
@pytest.mark.parametrize("code", ["4006381333931", "5901234123457", "9780306406157"])
def test_valid_ean13_barcodes_are_accepted(code):
    assert values.clean_barcode(code) == code


@pytest.mark.parametrize("code", ["036000291452", "012345678905", "042100005264"])
def test_valid_upc_a_barcodes_are_accepted(code):
    assert values.clean_barcode(code) == code


def test_a_barcode_is_trimmed_and_empty_means_none():
    assert values.clean_barcode("  4006381333931 ") == "4006381333931"
    assert values.clean_barcode("") is None
    assert values.clean_barcode("   ") is None
    assert values.clean_barcode(None) is None


@pytest.mark.parametrize("code, expected", [("4006381333932", 1), ("4006381333930", 1), ("036000291453", 2),
                                            ("012345678900", 5)])
def test_a_wrong_check_digit_is_refused_and_the_right_one_named(code, expected):
    error = raises_on("barcode", values.clean_barcode, code)
    assert "check digit" in error.message and f"expected {expected}" in error.message


def test_the_check_digit_follows_gs1_weights():
    # 4006381333931: sum of 3,1,3,... weights from the right of the body = 69 -> check digit 1
    assert values.barcode_check_digit("400638133393") == 1
    assert values.barcode_check_digit("03600029145") == 2
    assert values.barcode_check_digit("00000000000") == 0


@pytest.mark.parametrize("code", ["40063813339", "40063813339311", "12345", "0360002914521234"])
def test_a_barcode_of_the_wrong_length_is_refused(code):
    error = raises_on("barcode", values.clean_barcode, code)
    assert "EAN-13" in error.message and "UPC-A" in error.message


@pytest.mark.parametrize("code", ["40063813339A1", "ABCDEFGHIJKLM", "4006-38133393", "40063813339²",
                                  "４００６３８１３３３９３１", "4006381333 931"])
def test_a_barcode_with_anything_but_ascii_digits_is_refused(code):
    raises_on("barcode", values.clean_barcode, code)


# --- SKUs, names ------------------------------------------------------------------------------
@pytest.mark.parametrize("raw, clean", [("cof-250", "COF-250"), (" A1 ", "A1"), ("x.y_z/1-2", "X.Y_Z/1-2"),
                                        ("A" * 40, "A" * 40)])
def test_a_sku_is_trimmed_and_upper_cased(raw, clean):
    assert values.clean_sku(raw) == clean


@pytest.mark.parametrize("raw", ["", "   ", None, "-ABC", ".A", "A B", "A" * 41, "ÄPFEL", "A;DROP", "A\nB"])
def test_a_bad_sku_is_refused(raw):
    raises_on("sku", values.clean_sku, raw)


def test_names_are_required_collapsed_and_bounded():
    assert values.clean_name("  Ground   coffee\t250 g ") == "Ground coffee 250 g"
    raises_on("name", values.clean_name, "   ")
    raises_on("name", values.clean_name, "x" * 201)
    assert values.clean_name("x" * 200) == "x" * 200


# --- prices, tax rates, quantities ------------------------------------------------------------
@pytest.mark.parametrize("raw, price", [("12.50", Decimal("12.50")), (Decimal(3), Decimal("3.00")), ("0.01", Decimal("0.01")),
                                        ("2.345", Decimal("2.35")), ("999999.99", Decimal("999999.99"))])
def test_a_price_is_a_positive_amount_with_two_places(raw, price):
    cleaned = values.clean_price(raw)
    assert cleaned == price
    assert cleaned.as_tuple().exponent == -2  # two places, always


@pytest.mark.parametrize("raw", ["0", "0.00", "0.004", "-1", "-0.01"])
def test_a_price_of_zero_or_less_is_refused(raw):
    error = raises_on("unit_price", values.clean_price, raw)
    assert "greater than zero" in error.message


@pytest.mark.parametrize("raw", ["abc", "", None, "NaN", "Infinity", 1.5, "1000000.00"])
def test_a_price_that_is_no_amount_or_too_big_is_refused(raw):
    raises_on("unit_price", values.clean_price, raw)


@pytest.mark.parametrize("raw, rate", [("0", Decimal("0.00")), ("5", Decimal("5.00")), ("5.5", Decimal("5.50")),
                                       (10, Decimal("10.00")), ("20", Decimal("20.00")), ("100", Decimal("100.00"))])
def test_a_tax_rate_is_a_percentage_from_0_to_100(raw, rate):
    assert values.clean_tax_rate(raw) == rate


@pytest.mark.parametrize("raw", ["-0.01", "-5", "100.01", "150", "abc", "NaN", "Infinity", None])
def test_a_tax_rate_outside_0_to_100_or_not_a_number_is_refused(raw):
    raises_on("tax_rate", values.clean_tax_rate, raw)


def test_quantities_are_whole_numbers_in_range():
    assert values.positive_quantity(1) == 1
    assert values.positive_quantity(values.MAX_QUANTITY) == values.MAX_QUANTITY
    for bad in (0, -1, values.MAX_QUANTITY + 1, 1.5, "3", True):
        raises_on("quantity", values.positive_quantity, bad)
    assert values.counted_quantity(0) == 0
    for bad in (-1, values.MAX_QUANTITY + 1, "2", False):
        raises_on("counted_quantity", values.counted_quantity, bad)
    assert values.low_stock_threshold(0) == 0
    raises_on("low_stock_threshold", values.low_stock_threshold, -1)


# --- categories -------------------------------------------------------------------------------
def new_category(name="Drinks") -> Category:
    category = Category(str(uuid.uuid4()))
    category.create(name)
    return category


def test_a_category_is_created_renamed_and_deleted():
    category = new_category("  Hot   drinks ")
    category.rename("Cold drinks")
    category.rename("Cold drinks")  # the same name again: nothing happens
    category.delete(active_products=0)
    events = category.pending_events
    assert [type(e) for e in events] == [CategoryCreated, CategoryRenamed, CategoryDeleted]
    assert events[0].name == "Hot drinks" and events[1].name == "Cold drinks"
    assert category.deleted and category.version == 3


def test_a_category_with_active_products_cannot_be_deleted():
    category = new_category("Bakery")
    with pytest.raises(Conflict) as info:
        category.delete(active_products=2)
    assert info.value.code == "CategoryInUse" and info.value.status == 409
    assert "Bakery" in info.value.message and "2 active product" in info.value.message
    assert not category.deleted and len(category.pending_events) == 1


def test_a_deleted_category_can_be_neither_renamed_nor_deleted_again():
    category = new_category()
    category.delete(active_products=0)
    for action in (lambda: category.rename("Other"), lambda: category.delete(active_products=0)):
        with pytest.raises(Conflict) as info:
            action()
        assert info.value.code == "CategoryDeleted"


def test_a_category_is_created_once_and_needs_a_name():
    category = new_category()
    with pytest.raises(Conflict):
        category.create("Again")
    raises_on("name", Category(str(uuid.uuid4())).create, "  ")
    raises_on("name", Category(str(uuid.uuid4())).create, "x" * 101)


# --- products ---------------------------------------------------------------------------------
def new_product(**overrides) -> Product:
    product = Product(str(uuid.uuid4()))
    details = {"sku": "cof-250", "barcode": "4006381333931", "name": "Ground coffee", "category_id": None,
               "unit_price": "4.99", "tax_rate": "10", "price_includes_tax": True, "low_stock_threshold": 3}
    product.create(**{**details, **overrides})
    return product


def replayed(product: Product) -> Product:
    """The same product rebuilt from its events through their JSON form, as the repository does."""
    events = [event_from_data(type(e), event_to_data(e)) for e in product.pending_events]
    return Product.replay(product.id, events)


def test_replaying_a_product_gives_the_same_state_and_a_snapshot_restores_it():
    product = new_product(category_id=uuid.uuid4())
    product.change_price("5.49")
    product.update(barcode=None)
    product.discontinue()
    assert replayed(product).state() == product.state()
    snapshot = json.loads(json.dumps(product.to_snapshot()))
    restored = Product.from_snapshot(product.id, snapshot)
    restored.version = product.version
    assert restored.state() == product.state() and restored.state()["status"] == "discontinued"


def test_a_product_is_created_with_clean_values():
    product = new_product()
    (created,) = product.pending_events
    assert isinstance(created, ProductCreated)
    assert (created.sku, created.barcode, created.unit_price, created.tax_rate) == (
        "COF-250", "4006381333931", Decimal("4.99"), Decimal("10.00"))
    assert product.state()["status"] == "active" and product.state()["available"] == 0


@pytest.mark.parametrize("field, value", [("sku", "-bad"), ("barcode", "4006381333932"), ("name", ""),
                                          ("unit_price", "0"), ("unit_price", "-3"), ("tax_rate", "101"),
                                          ("low_stock_threshold", -1)])
def test_creating_a_product_with_a_bad_value_names_the_field_and_records_nothing(field, value):
    product = Product(str(uuid.uuid4()))
    details = {"sku": "A1", "barcode": None, "name": "Thing", "category_id": None, "unit_price": "1.00",
               "tax_rate": "20"}
    raises_on(field, product.create, **{**details, field: value})
    assert product.pending_events == () and not product.exists


def test_updating_details_records_the_full_new_details_and_a_price_change_separately():
    product = new_product()
    category_id = uuid.uuid4()
    product.update(name="Ground coffee 500 g", category_id=category_id, unit_price="8.99")
    updated, price_changed = product.pending_events[1:]
    assert isinstance(updated, ProductDetailsUpdated)
    assert (updated.sku, updated.name, updated.category_id, updated.barcode) == (
        "COF-250", "Ground coffee 500 g", category_id, "4006381333931")
    assert isinstance(price_changed, ProductPriceChanged)
    assert (price_changed.old_price, price_changed.new_price) == (Decimal("4.99"), Decimal("8.99"))


def test_an_update_that_changes_nothing_records_nothing():
    product = new_product()
    product.update(name="Ground coffee", sku="COF-250", unit_price="4.99", barcode="4006381333931")
    product.change_price("4.990")
    assert len(product.pending_events) == 1


def test_the_barcode_can_be_removed_and_the_category_cleared():
    product = new_product(category_id=uuid.uuid4())
    product.update(barcode=None, category_id=None)
    assert product.barcode is None and product.category_id is None


def test_discontinuing_twice_is_a_conflict():
    product = new_product()
    product.discontinue("  no longer made  ")
    assert product.pending_events[-1] == ProductDiscontinued(product_id=product.uuid, reason="no longer made")
    with pytest.raises(Conflict) as info:
        product.discontinue()
    assert info.value.code == "AlreadyDiscontinued" and info.value.status == 409


def test_reactivating_an_active_product_is_a_conflict_and_a_discontinued_one_comes_back():
    product = new_product()
    with pytest.raises(Conflict) as info:
        product.reactivate()
    assert info.value.code == "NotDiscontinued"
    product.discontinue()
    product.reactivate()
    assert isinstance(product.pending_events[-1], ProductReactivated) and product.active


# --- stock of one product in one store -------------------------------------------------------
def new_stock(stock: int = 0, store_code: str = "S1", product_id=None) -> StoreStock:
    stock_of = StoreStock(stock_stream_id(product_id or uuid.uuid4(), store_code))
    if stock:
        stock_of.receive(stock)
    return stock_of


def replayed_stock(stock: StoreStock) -> StoreStock:
    events = [event_from_data(type(e), event_to_data(e)) for e in stock.pending_events]
    return StoreStock.replay(stock.id, events)


def test_a_stock_stream_is_named_by_product_and_store():
    product_id = uuid.uuid4()
    stock = StoreStock(stock_stream_id(product_id, "NYC1"))
    assert stock.id == f"stock-{product_id}-NYC1" and len(stock.id) <= 64
    assert (stock.product_id, stock.store_code) == (product_id, "NYC1")
    assert split_stock_stream_id(stock.id) == (product_id, "NYC1")


@pytest.mark.parametrize("quantity", [0, -5, values.MAX_QUANTITY + 1])
def test_receiving_needs_a_positive_quantity(quantity):
    stock = new_stock()
    raises_on("quantity", stock.receive, quantity)
    assert stock.on_hand == 0 and stock.pending_events == ()


def test_receiving_adds_to_on_hand_with_an_optional_supplier_reference():
    stock = new_stock()
    stock.receive(10, "  PO-77 ")
    stock.receive(5)
    first, second = stock.pending_events
    assert first == StockReceived(product_id=stock.product_id, store_code="S1", quantity=10,
                                  supplier_reference="PO-77", on_hand_after=10)
    assert second.supplier_reference is None and second.on_hand_after == 15
    assert stock.on_hand == 15


def test_adjusting_needs_a_reason_and_records_the_delta():
    stock = new_stock(stock=10)
    raises_on("reason", stock.adjust, 7, "   ")
    raises_on("reason", stock.adjust, 7, None)
    raises_on("counted_quantity", stock.adjust, -1, "count")
    stock.adjust(7, "monthly count")
    adjusted = stock.pending_events[-1]
    assert adjusted == StockAdjusted(product_id=stock.product_id, store_code="S1", counted_quantity=7, delta=-3,
                                     reason="monthly count", on_hand_after=7)
    assert stock.on_hand == 7


def test_a_till_sale_can_take_stock_below_zero_and_a_refund_puts_it_back():
    stock = new_stock(stock=2)
    order, refund = uuid.uuid4(), uuid.uuid4()
    stock.sell(order, 5)
    assert stock.on_hand == -3 and stock.pending_events[-1] == StockSold(
        product_id=stock.product_id, store_code="S1", order_id=order, quantity=5, on_hand_after=-3)
    stock.take_back(order, refund, 2)
    assert stock.on_hand == -1 and isinstance(stock.pending_events[-1], StockReturned)
    raises_on("quantity", stock.sell, order, 0)


def test_reservation_problem_names_why_units_cannot_be_reserved():
    stock = new_stock(stock=5)
    assert stock.reservation_problem(5, product_active=True) is None
    assert stock.reservation_problem(6, product_active=True) == "insufficient_stock"
    stock.reserve(uuid.uuid4(), 4, product_active=True)
    assert stock.reservation_problem(1, product_active=True) is None
    assert stock.reservation_problem(2, product_active=True) == "insufficient_stock"
    assert stock.reservation_problem(1, product_active=False) == "discontinued"


def test_reserve_release_and_ship_move_reserved_and_available():
    stock = new_stock(stock=10)
    a, b = uuid.uuid4(), uuid.uuid4()
    stock.reserve(a, 3, product_active=True)
    stock.reserve(b, 4, product_active=True)
    assert (stock.on_hand, stock.reserved, stock.available) == (10, 7, 3)
    assert stock.pending_events[-1] == ProductStockReserved(product_id=stock.product_id, store_code="S1", order_id=b,
                                                            quantity=4, reserved_after=7)
    with pytest.raises(Conflict) as info:
        stock.reserve(uuid.uuid4(), 4, product_active=True)
    assert "insufficient_stock" in info.value.message and info.value.code == "Conflict"  # a page: conflict

    stock.release(a)
    assert stock.pending_events[-1] == ProductReservationReleased(product_id=stock.product_id, store_code="S1",
                                                                  order_id=a, quantity=3, reserved_after=4)
    assert (stock.on_hand, stock.reserved, stock.available) == (10, 4, 6)

    stock.ship_reserved(b)
    assert stock.pending_events[-1] == ReservedStockShipped(product_id=stock.product_id, store_code="S1", order_id=b,
                                                            quantity=4, on_hand_after=6, reserved_after=0)
    assert (stock.on_hand, stock.reserved, stock.available) == (6, 0, 6)

    count = len(stock.pending_events)
    stock.release(a)  # nothing held any more: nothing happens
    stock.ship_reserved(b)
    assert len(stock.pending_events) == count


def test_reserving_again_for_the_same_order_is_a_no_op_even_when_nothing_is_left():
    stock = new_stock(stock=3)
    order = uuid.uuid4()
    stock.reserve(order, 3, product_active=True)
    stock.reserve(order, 3, product_active=True)
    assert stock.reserved == 3 and len(stock.pending_events) == 2


def test_a_discontinued_product_cannot_be_reserved():
    stock = new_stock(stock=3)
    with pytest.raises(Conflict) as info:
        stock.reserve(uuid.uuid4(), 1, product_active=False)
    assert "discontinued" in info.value.message and info.value.code == "Conflict"


def test_two_stores_of_one_product_keep_their_own_stock():
    product_id = uuid.uuid4()
    berlin, new_york = new_stock(5, "BER", product_id), new_stock(1, "NYC", product_id)
    assert berlin.id != new_york.id
    berlin.reserve(uuid.uuid4(), 5, product_active=True)
    assert new_york.reservation_problem(2, product_active=True) == "insufficient_stock"
    assert (berlin.available, new_york.available) == (0, 1)


def test_replaying_the_events_gives_the_same_state():
    stock = new_stock(stock=10)
    order = uuid.uuid4()
    stock.reserve(order, 2, product_active=True)
    stock.sell(uuid.uuid4(), 1)
    stock.adjust(12, "count")
    stock.receive(4, unit_cost="1.10")
    stock.set_low_stock_threshold(6)
    assert replayed_stock(stock).state() == stock.state()
    assert replayed_stock(stock).reservations == {order: 2}


def test_a_snapshot_restores_the_same_state_and_the_same_decisions():
    stock = new_stock(stock=3)
    order = uuid.uuid4()
    stock.reserve(order, 2, product_active=True)
    stock.sell(uuid.uuid4(), 1)
    stock.receive(2, unit_cost="2.00")
    snapshot = json.loads(json.dumps(stock.to_snapshot()))  # stored as JSON
    restored = StoreStock.from_snapshot(stock.id, snapshot)
    restored.version = stock.version
    assert restored.state() == stock.state() and restored.reservations == {order: 2}
    assert restored.state()["available"] == 2 and restored.state()["average_cost"] == "2.00"
    # the reservation is still known: shipping it takes the units from on hand
    restored.ship_reserved(order)
    (shipped,) = restored.pending_events
    assert isinstance(shipped, ReservedStockShipped) and (shipped.quantity, shipped.on_hand_after) == (2, 2)


def test_a_store_threshold_is_set_cleared_and_checked():
    stock = new_stock()
    stock.set_low_stock_threshold(4)
    stock.set_low_stock_threshold(4)  # unchanged: nothing recorded
    stock.set_low_stock_threshold(None)
    assert stock.pending_events == (
        StoreLowStockThresholdSet(product_id=stock.product_id, store_code="S1", low_stock_threshold=4),
        StoreLowStockThresholdSet(product_id=stock.product_id, store_code="S1", low_stock_threshold=None))
    raises_on("low_stock_threshold", stock.set_low_stock_threshold, -1)


# --- the legacy pool: stock recorded on the product's stream before stock per store -----------
def legacy_product_stream(product_id) -> tuple[list, uuid.UUID]:
    """What a product stream recorded before stock per store holds, as its v1 events upcast to v2."""
    order, reserved_for = uuid.uuid4(), uuid.uuid4()
    created = ProductCreated(product_id=product_id, sku="OLD-1", barcode=None, name="Old", category_id=None,
                             unit_price=Decimal("1.00"), tax_rate=Decimal("20.00"), price_includes_tax=True,
                             low_stock_threshold=0)
    return [created,
            StockReceived(product_id=product_id, store_code="S1", quantity=10, supplier_reference=None, on_hand_after=10),
            StockSold(product_id=product_id, store_code="S1", order_id=order, quantity=3, on_hand_after=7),
            ProductStockReserved(product_id=product_id, store_code="S1", order_id=reserved_for, quantity=2,
                                 reserved_after=2)], reserved_for


def test_a_product_stream_with_old_stock_movements_still_replays_and_keeps_the_pool():
    product_id = uuid.uuid4()
    events, reserved_for = legacy_product_stream(product_id)
    product = Product.replay(str(product_id), events)
    assert (product.legacy_on_hand, product.legacy_reservations) == (7, {reserved_for: 2})
    assert product.version == 4 and product.sku == "OLD-1"
    assert not hasattr(product, "receive") and not hasattr(product, "sell")  # no new movement goes here


def test_the_legacy_store_stream_carries_the_pool_over_once_and_goes_on_from_it():
    product_id = uuid.uuid4()
    events, reserved_for = legacy_product_stream(product_id)
    product = Product.replay(str(product_id), events)
    stock = StoreStock(stock_stream_id(product_id, "S1"))
    stock.carry_over(product.legacy_on_hand, product.legacy_reservations)
    stock.carry_over(product.legacy_on_hand, product.legacy_reservations)  # only as the first event
    assert stock.pending_events == (StockCarriedOver(
        product_id=product_id, store_code="S1", on_hand=7,
        reservations=(CarriedReservation(order_id=reserved_for, quantity=2),)),)
    assert (stock.on_hand, stock.reserved, stock.available) == (7, 2, 5)
    stock.ship_reserved(reserved_for)
    assert (stock.on_hand, stock.reserved) == (5, 0)
    empty = StoreStock(stock_stream_id(uuid.uuid4(), "S1"))
    empty.carry_over(0, {})
    assert empty.pending_events == ()  # nothing to carry: the stream starts with its first movement


# --- cost: the store's moving average -----------------------------------------------------------
def test_receipts_at_different_costs_make_a_moving_average_per_store():
    stock = new_stock()
    stock.receive(10, unit_cost="2.00")
    assert stock.average_cost == Decimal("2.00")
    stock.receive(5, unit_cost="3.20")  # (10 x 2.00 + 5 x 3.20) / 15 = 2.40
    assert stock.pending_events[-1].average_cost_after == Decimal("2.40") and stock.average_cost == Decimal("2.40")
    stock.sell(uuid.uuid4(), 12)  # sales move units at the average, which stays
    stock.receive(3, unit_cost="1.00")  # (3 x 2.40 + 3 x 1.00) / 6 = 1.70
    assert stock.average_cost == Decimal("1.70")
    stock.receive(1)  # no cost given: the average stays
    assert stock.average_cost == Decimal("1.70") and stock.pending_events[-1].unit_cost is None
    stock.sell(uuid.uuid4(), 10)  # below zero
    stock.receive(4, unit_cost="5.55")  # nothing on hand: the receipt's cost is the average
    assert stock.average_cost == Decimal("5.55")


def test_an_average_is_rounded_to_the_cent_half_up():
    stock = new_stock()
    stock.receive(2, unit_cost="1.00")
    stock.receive(1, unit_cost="1.01")  # 3.01 / 3 = 1.00333...
    assert stock.average_cost == Decimal("1.00")
    stock.receive(1, unit_cost="1.03")  # (3 x 1.00 + 1.03) / 4 = 1.0075
    assert stock.average_cost == Decimal("1.01")


@pytest.mark.parametrize("cost", ["-0.01", "abc", "1000000.00"])
def test_a_bad_unit_cost_is_refused_and_nothing_is_received(cost):
    stock = new_stock()
    raises_on("unit_cost", stock.receive, 1, unit_cost=cost)
    assert stock.pending_events == () and stock.on_hand == 0


# --- the reservation of one delivery order ----------------------------------------------------
def test_a_reservation_is_reserved_then_released_or_fulfilled():
    order = uuid.uuid4()
    lines = [ReservationLine(product_id=uuid.uuid4(), quantity=2)]
    reservation = StockReservation(reservation_stream_id(order))
    assert reservation.order_id == order and reservation.status == "new"
    reservation.reserve(lines, "S1")
    assert reservation.status == "reserved" and reservation.lines == tuple(lines)
    assert reservation.store_code == "S1" and reservation.pending_events[0].store_code == "S1"
    reservation.release()
    assert reservation.status == "released"
    assert [type(e) for e in reservation.pending_events] == [StockReserved, StockReleased]
    assert reservation.pending_events[-1].lines == tuple(lines)

    shipped = StockReservation(reservation_stream_id(uuid.uuid4()))
    shipped.reserve(lines, "NYC")
    shipped.fulfil()
    assert shipped.status == "fulfilled" and isinstance(shipped.pending_events[-1], ReservationFulfilled)


def test_a_rejection_carries_a_reason_per_line():
    reservation = StockReservation(reservation_stream_id(uuid.uuid4()))
    lines = [RejectedLine(product_id=uuid.uuid4(), quantity=3, reason="insufficient_stock", available=1),
             RejectedLine(product_id=uuid.uuid4(), quantity=1, reason="unknown_product", available=None)]
    reservation.reject(lines)
    (rejected,) = reservation.pending_events
    assert isinstance(rejected, StockReservationRejected) and rejected.lines == tuple(lines)
    assert reservation.status == "rejected"
    data = event_to_data(rejected)
    assert data["lines"][0] == {"product_id": str(lines[0].product_id), "quantity": 3,
                                "reason": "insufficient_stock", "available": 1}
    assert event_from_data(StockReservationRejected, data) == rejected
