"""The domain's kernel: what every context's `domain/` builds on, and nothing else.

    kernel/events.py      DomainEvent (frozen dataclasses, one class per event type) and their registry
    kernel/aggregate.py   Aggregate: replay, command methods that record events, when_<Event> appliers
    kernel/errors.py      DomainError and its kinds (Conflict, NotFound, ...), naming the input at fault
    kernel/money.py       Decimal money with two places, never float

It imports nothing from Django or from infrastructure/ (tests/unit/test_kernel.py checks), so a
context's domain can be read, run and tested without a database or a framework.
"""
