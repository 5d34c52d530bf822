"""Crypto-shredding: personal data in events is sealed with a key per data subject; destroying the
key erases the data from every copy of the events (docs/personal-data.md)."""
