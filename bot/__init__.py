"""Hourglass domain: the rules, in feature packages over a small kernel.

Features: policy, calendar, billing, calls, bookings, sla, alerts, reports; kernel: clock,
parsing, units, blocks; beside them customers, roles and features (the wiring of charge
sources and sweep rules). Each may import the layers below it in pyproject.toml's
import-linter contract, and store/; nothing here imports handlers/, app or Slack.
See docs/architecture.md.
"""
