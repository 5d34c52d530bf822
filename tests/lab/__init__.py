"""`lab`: a tiny test-only context used to exercise the infrastructure without any real context.
Installed only when POS_EXTRA_APPS names it (scripts/run-tests does)."""
