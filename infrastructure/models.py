"""Models of the infrastructure app, defined next to the code that owns them."""

from infrastructure.access.models import StoreAssignment
from infrastructure.consumers.models import DeadLetterDecision, InboxEvent
from infrastructure.eventstore.models import Snapshot, StoredEvent
from infrastructure.idempotency.models import IdempotencyRecord
from infrastructure.outbox.models import OutboxEntry
from infrastructure.projections.models import ProjectionRebuild

__all__ = ["DeadLetterDecision", "IdempotencyRecord", "InboxEvent", "OutboxEntry", "ProjectionRebuild", "Snapshot", "StoreAssignment",
           "StoredEvent"]
