"""Bounded contexts, one Django app each. A context never imports another context's modules."""
