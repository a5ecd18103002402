"""The hook fast path: standard library only."""
