"""One handler per customers command. Each runs in one transaction (the unit of work) and
returns what the command side knows: the customer's id, stream version and state."""

from decimal import Decimal

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from infrastructure.commands.bus import UnitOfWork, handles
from infrastructure.eventstore.models import Snapshot
from kernel.errors import Conflict
from kernel.values import ERASED

from . import commands as c
from . import keyring, legacy
from .command_side import EmailClaim
from .domain.customer import Customer
from .domain.values import email_key

TAKEN = "Another customer already uses this email address."


def loyalty_unit() -> Decimal:
    """How much money earns one point (setting POS_LOYALTY_UNIT, default 1.00)."""
    return Decimal(str(settings.POS_LOYALTY_UNIT))


def _sync_email_claim(uow: UnitOfWork, customer: Customer) -> None:
    """Make the claims table agree with the customer: one claim for its email while it is not
    removed, none otherwise. A claim held by someone else is a 409 on `email`."""
    claims = EmailClaim.objects.using(uow.db)
    if customer.email is None or customer.removed:
        claims.filter(customer_id=customer.uuid).delete()
        return
    key = email_key(customer.email)
    holder = claims.filter(email_key=key).values_list("customer_id", flat=True).first()
    if holder == customer.uuid:
        return
    if holder is not None:
        raise Conflict(TAKEN, field="email", code="EmailTaken")
    claims.filter(customer_id=customer.uuid).delete()
    try:
        # A savepoint: when a concurrent transaction claimed the address first, the unique index
        # makes this insert wait for it and then fail; the command then ends in a clean 409.
        with transaction.atomic(using=uow.db):
            claims.create(email_key=key, customer_id=customer.uuid)
    except IntegrityError:
        raise Conflict(TAKEN, field="email", code="EmailTaken") from None


@handles(c.RegisterCustomer)
def register_customer(cmd: c.RegisterCustomer, uow: UnitOfWork) -> dict:
    customers = uow.repository(Customer)
    customer = customers.get_or_new(cmd.customer_id)
    customer.register(name=cmd.name, phone=cmd.phone, email=cmd.email, address=cmd.address)
    _sync_email_claim(uow, customer)
    customers.save(customer)
    return customer.state()


# Re-deciding an update, a removal or a points change on fresh state is safe (a loyalty credit
# landing between load and save is the usual cause of a conflict here), so they retry.
@handles(c.UpdateCustomer, retry_on_conflict=True)
def update_customer(cmd: c.UpdateCustomer, uow: UnitOfWork) -> dict:
    customers = uow.repository(Customer)
    customer = customers.get(cmd.customer_id, label="customer")
    if customer.update(name=cmd.name, phone=cmd.phone, email=cmd.email, address=cmd.address):
        _sync_email_claim(uow, customer)
        customers.save(customer)
    return customer.state()


@handles(c.RemoveCustomer, retry_on_conflict=True)
def remove_customer(cmd: c.RemoveCustomer, uow: UnitOfWork) -> dict:
    customers = uow.repository(Customer)
    customer = customers.get(cmd.customer_id, label="customer")
    customer.remove(cmd.reason)
    _sync_email_claim(uow, customer)  # releases the address for someone else
    customers.save(customer)
    return customer.state()


@handles(c.ForgetCustomer, retry_on_conflict=True)
def forget_customer(cmd: c.ForgetCustomer, uow: UnitOfWork) -> dict:
    """One transaction: the details events still in plaintext (from before sealing) are sealed,
    the event recorded, the email released, the snapshot (a cache holding the details) dropped,
    and the key destroyed; from the commit on, every copy of the details opens as erased, and
    the back office's log shows the erased name."""
    customers = uow.repository(Customer)
    customer = customers.get(cmd.customer_id, label="customer")
    if customer.forget(cmd.requested_by, timezone.now()):
        legacy.reseal_stream(customer.uuid, uow.db)
        _sync_email_claim(uow, customer)
        customers.save(customer)
        Snapshot.objects.using(uow.db).filter(stream_id=customer.id).delete()
        keyring.destroy(customer.uuid, uow.db)
        transaction.on_commit(lambda: _erase_admin_log(customer.id), using=uow.db)
    return customer.state()


def _erase_admin_log(customer_id: str) -> None:
    """The back office's action log names each customer it touched (`object_repr`, the name at
    the time): those entries keep who did what, under the erased name."""
    from django.contrib.admin.models import LogEntry
    from django.contrib.contenttypes.models import ContentType

    from .models import CustomerView

    LogEntry.objects.filter(content_type=ContentType.objects.get_for_model(CustomerView),
                            object_id=customer_id).update(object_repr=ERASED)


@handles(c.EarnLoyaltyPoints, retry_on_conflict=True)
def earn_loyalty_points(cmd: c.EarnLoyaltyPoints, uow: UnitOfWork) -> dict:
    customers = uow.repository(Customer)
    customer = customers.get(cmd.customer_id, label="customer")
    credited = customer.earn_points(cmd.order_id, cmd.amount, loyalty_unit())
    customers.save(customer)
    return {**customer.state(), "points_changed": credited}


@handles(c.RedeemLoyaltyPoints, retry_on_conflict=True)
def redeem_loyalty_points(cmd: c.RedeemLoyaltyPoints, uow: UnitOfWork) -> dict:
    customers = uow.repository(Customer)
    customer = customers.get(cmd.customer_id, label="customer")
    spent = customer.redeem_points(cmd.order_id, cmd.payment_id, cmd.points)
    customers.save(customer)
    return {**customer.state(), "points_changed": -spent}


@handles(c.RestoreLoyaltyPoints, retry_on_conflict=True)
def restore_loyalty_points(cmd: c.RestoreLoyaltyPoints, uow: UnitOfWork) -> dict:
    customers = uow.repository(Customer)
    customer = customers.get(cmd.customer_id, label="customer")
    restored = customer.restore_points(cmd.order_id, cmd.source_id, cmd.points)
    customers.save(customer)
    return {**customer.state(), "points_changed": restored}


@handles(c.ReverseLoyaltyPoints, retry_on_conflict=True)
def reverse_loyalty_points(cmd: c.ReverseLoyaltyPoints, uow: UnitOfWork) -> dict:
    customers = uow.repository(Customer)
    customer = customers.get(cmd.customer_id, label="customer")
    reversed_points = customer.reverse_points(cmd.order_id, cmd.refund_id, cmd.amount, loyalty_unit())
    customers.save(customer)
    return {**customer.state(), "points_changed": -reversed_points}
