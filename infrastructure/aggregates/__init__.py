"""Loading and saving aggregates (the repository over the event store); the Aggregate base class
is in kernel/aggregate.py."""
