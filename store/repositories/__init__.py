"""Typed repositories, one module per feature's tables. They add and flush, never commit: the caller owns the transaction."""
