"""Event contracts on the infrastructure side: JSON (de)serialisation, JSON Schemas and upcasters.
The base class of domain events and their registry are in kernel/events.py."""
