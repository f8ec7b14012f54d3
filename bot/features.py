"""The domain's wiring: every feature's charge source and alert rule, listed in one place.

The ledger (`bot.billing.ledger`) and the sweep runner (`bot.alerts.sweeps`) sit below the
features that use them, so they cannot import those features; this module, at the top of
the domain, hands the features to them instead. The composition root (app.py) imports it,
and importing it is what registers the charge sources.
"""

from __future__ import annotations

from datetime import datetime

from bot.alerts import sweeps
from bot.billing import expiry, ledger, timelog
from bot.bookings import charges, reminders
from bot.calls import timers
from bot.insights import alerts as insights
from bot.policy.model import Policy
from bot.reports import digest
from bot.sla import sweep
from store.db import Database

ledger.register_charge_source(
    "time log",
    timelog.day_charges,
    tracked=timelog.first_charge_day,
    batch=timelog.day_charges_for,
)
ledger.register_charge_source(
    "sessions", charges.session_charges, batch=charges.session_charges_for
)

SWEEP_RULES: tuple[tuple[str, sweeps.SweepRule], ...] = (
    ("block_expiring", expiry.sweep_block_expiring),
    ("block_expired", expiry.sweep_block_expired),
    ("booking_reminders", reminders.reminder_sweep),
    ("timer_forgotten", timers.timer_forgotten_rule),
    ("sla", sweep.sweep_tickets),
    ("forfeit_risk", insights.sweep_forfeit_risk),
    ("sla_budget", insights.sweep_sla_budget),
    ("weekly_digest", digest.sweep_weekly_digest),
)


def run_sweep(database: Database, policy: Policy, now: datetime) -> dict[str, int]:
    """Every alert rule, in order, each in its own transaction."""
    return sweeps.run_sweep(database, policy, now, SWEEP_RULES)
