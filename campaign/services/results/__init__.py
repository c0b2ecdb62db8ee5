"""From inputs to published figures: the ledger, recompute, freshness, publishing, caches, exports."""
