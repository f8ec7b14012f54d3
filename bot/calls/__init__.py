"""Call timers, phone calls and the per-caller fair-use allowance (seed 000). May import the
kernel, policy, calendar, customers, roles, billing, alerts and store; not bookings or sla.

Modules, each importing only those listed before it: `fair_use` (the pure arithmetic:
limits, statuses, per-caller months), `alerts` (long-call, allowance and review alerts),
`calls` (recording a call, and the month read back), `timers` (start, stop, keep, discard,
and the forgotten-timer rule).
"""
