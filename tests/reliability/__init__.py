"""Reliability under faults, load and bad input (issue 8); results in docs/reliability.md."""
