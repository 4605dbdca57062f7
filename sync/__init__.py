"""Sync with headquarters: sealed outbox batches HQ pulls, config bundles down, and the HQ side (sync.hq)."""
