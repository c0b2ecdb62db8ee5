"""Use cases: load rows, call the scoring engine, persist, audit. Views call these."""
