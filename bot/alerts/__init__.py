"""The alert outbox: alerts raised in the transaction that causes them, delivered once by the clock, and the sweep runner. May import the kernel, policy, calendar and store; no feature."""
