"""The engine every context runs on: event store, outbox relay, Kafka, consumers, projections,
plus the HTTP plumbing shared by all APIs. Knows nothing of any particular context."""
