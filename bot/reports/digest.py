"""The weekly digest (issue 13 item 4): each Monday at the policy's `digest_time` (provider
local), one message to the managers' `digest_channel` with what needs a decision this week:

- blocks projected to forfeit hours at expiry (at the trailing 8 weeks' burn rate);
- blocks expiring in the next 30 days with hours left;
- customers at or past their SLA goal's error budget this month;
- callers under fair-use review (or projected into it) this month;
- late cancellations and no-shows last week (Monday to Sunday);
- money to invoice: every customer's not-yet-invoiced amount.

It goes through the outbox under one key per week (`weekly_digest:<Monday>`), so two clocks
post it once; a clock that was down at the time posts it when it comes back within the
day.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal

from sqlalchemy.orm import Session

from bot.alerts.outbox import raise_alert
from bot.blocks import sections
from bot.calls.calls import month_rows
from bot.calls.fair_use import Status
from bot.insights.alerts import budget_at_risk
from bot.insights.forecast import week_start
from bot.insights.outlook import blocks_forecast, budget_words, callers_at_risk, sla_month
from bot.parsing import month_bounds
from bot.policy.model import Policy, provider_today
from bot.reports.balance import balance_for
from bot.units import format_minutes, plural
from store.models import Customer
from store.repositories.bookings import Bookings
from store.repositories.core import Alerts, Customers, HourBlocks
from store.repositories.insights import customers_with_calls, customers_with_tickets

KIND = "weekly_digest"
EXPIRING_WITHIN = timedelta(days=30)
LATE = ("late_cancelled", "no_show")


log = logging.getLogger("hourglass." + __name__)


def digest_key(monday: date) -> str:
    return f"{KIND}:{monday.isoformat()}"


def digest_due(policy: Policy, now: datetime) -> date | None:
    """This week's Monday from its digest time (provider local) until a day later, else None:
    a clock down at the time still posts it, but a clock started on a Friday does not post
    a stale one."""
    local = now.astimezone(policy.timezone)
    monday = week_start(local.date())
    due = datetime.combine(monday, policy.insights.digest_time, tzinfo=policy.timezone)
    return monday if due <= local < due + timedelta(days=1) else None


def sweep_weekly_digest(db: Session, policy: Policy, now: datetime) -> int:
    """Post this week's digest once, if a digest channel is set and its time has come."""
    channel = policy.insights.digest_channel
    monday = digest_due(policy, now) if channel else None
    if channel is None or monday is None:
        return 0
    key = digest_key(monday)
    if Alerts.by_key(db, key) is not None:
        return 0  # already posted: the steady state is this one indexed lookup
    shared = Customers.by_channel(db, channel)
    if shared is not None:
        # Every customer's money and risks: never in a channel a customer reads.
        log.error(
            "digest_channel %s is %s's support channel, shared with the customer: "
            "the weekly digest goes to the team's alert channel instead",
            channel,
            shared.name,
        )
        channel = policy.alert_channel
        if channel is None or Customers.by_channel(db, channel) is not None:
            return 0
    digest = weekly_digest(db, policy, now)
    text = digest.text(policy.currency)
    return int(
        raise_alert(
            db,
            policy,
            key=key,
            kind=KIND,
            customer=None,
            text=text,
            blocks=sections(text),
            now=now,
            to=channel,
            data={"week": monday.isoformat()},
        )
    )


@dataclass
class Digest:
    """The digest's lines, one list per heading (empty lists say "none")."""

    monday: date
    forfeits: list[str] = field(default_factory=list)
    expiring: list[str] = field(default_factory=list)
    sla: list[str] = field(default_factory=list)
    callers: list[str] = field(default_factory=list)
    late: list[str] = field(default_factory=list)
    invoice: list[tuple[str, str]] = field(default_factory=list)  # (customer, amount)

    def text(self, currency: str) -> str:
        def part(title: str, lines: list[str], none: str) -> list[str]:
            return (
                [f"*{title}*", *(f"• {line}" for line in lines)]
                if lines
                else [f"*{title}*: {none}"]
            )

        total = sum((Decimal(a) for _, a in self.invoice), Decimal(0))
        invoice_lines = [f"{name}: {amount} {currency}" for name, amount in self.invoice]
        if invoice_lines:
            invoice_lines.append(f"in all: *{total:.2f} {currency}*")
        return "\n".join(
            [
                f":calendar: *Weekly digest, week of {self.monday.isoformat()}*",
                *part("Blocks projected to forfeit hours", self.forfeits, "none"),
                *part("Blocks expiring in 30 days", self.expiring, "none"),
                *part("SLA goals at or past their error budget", self.sla, "none"),
                *part("Callers under fair-use review", self.callers, "none"),
                *part("Late cancellations and no-shows last week", self.late, "none"),
                *part("To invoice", invoice_lines, "nothing"),
            ]
        )


def weekly_digest(db: Session, policy: Policy, now: datetime) -> Digest:
    today = provider_today(policy, now)
    digest = Digest(monday=week_start(today))
    customers = [c for c in Customers.all(db) if c.archived_at is None]
    month = month_bounds(today.year, today.month, policy.timezone)
    ticketed, called = (
        set(customers_with_tickets(db, *month)),
        set(customers_with_calls(db, *month)),
    )
    for customer in customers:
        _blocks(db, policy, customer, now, today, digest)
        if customer.id in ticketed:
            _sla(db, policy, customer, now, digest)
        if customer.id in called:
            _callers(db, policy, customer, now, digest)
        amount = balance_for(db, policy, customer, now).uninvoiced
        if amount:
            digest.invoice.append((customer.name, f"{amount:.2f}"))
    _late(db, policy, today, digest)
    return digest


def _blocks(
    db: Session, policy: Policy, customer: Customer, now: datetime, today: date, digest: Digest
) -> None:
    if not HourBlocks.for_customer(db, customer.id):
        return
    forecast = blocks_forecast(db, policy, customer, now)
    threshold = int(policy.insights.forfeit_risk_threshold.total_seconds()) // 60
    for projected in forecast.blocks:
        block = projected.block
        if projected.forfeit_minutes > threshold:
            digest.forfeits.append(
                f"*{customer.name}* #{block.id}: {projected.forfeit_hours}h projected to be "
                f"forfeited on {block.expires.isoformat()} "
                f"(at {forecast.rate.hours_per_week}h a week)"
            )
        if block.expires <= today + EXPIRING_WITHIN:
            digest.expiring.append(
                f"*{customer.name}* #{block.id}: {format_minutes(block.remaining_minutes)} left, "
                f"expires {block.expires.isoformat()} "
                f"(in {plural((block.expires - today).days, 'day')})"
            )


def _sla(db: Session, policy: Policy, customer: Customer, now: datetime, digest: Digest) -> None:
    month = sla_month(db, policy, customer, now)
    outlook = month.outlook
    if outlook is None or not budget_at_risk(policy, outlook):
        return
    so_far = f"{float(outlook.attainment):.1%}" if outlook.attainment is not None else "—"
    state = budget_words(outlook, emoji=False)
    digest.sla.append(f"*{customer.name}*: {so_far} within so far; {state}")


def _callers(
    db: Session, policy: Policy, customer: Customer, now: datetime, digest: Digest
) -> None:
    today = provider_today(policy, now)
    rows = month_rows(db, policy, customer, today.year, today.month)
    for row in rows:
        if row["status"] is Status.REVIEW:
            digest.callers.append(
                f"*{customer.name}* {row['caller']}: under review "
                f"({format_minutes(-(-row['seconds'] // 60))} this month)"
            )
    reviewed = {r["caller"] for r in rows if r["status"] is Status.REVIEW}
    for caller in callers_at_risk(db, policy, customer, now):
        if caller.projected_review and caller.caller not in reviewed:
            minutes = -(-int(caller.projected_seconds) // 60)
            digest.callers.append(
                f"*{customer.name}* {caller.caller}: projected into review "
                f"(~{format_minutes(minutes)} by month end)"
            )


def _late(db: Session, policy: Policy, today: date, digest: Digest) -> None:
    this_monday = week_start(today)
    start = datetime.combine(this_monday - timedelta(weeks=1), datetime.min.time(), policy.timezone)
    end = datetime.combine(this_monday, datetime.min.time(), policy.timezone)
    for booking in Bookings.starting_between(db, start, end):
        if booking.status in LATE and booking.waived_at is None:
            what = "no-show" if booking.status == "no_show" else "late cancellation"
            charged = format_minutes(booking.charge_minutes or 0)
            local = booking.start_at.astimezone(policy.timezone)
            digest.late.append(
                f"*{booking.customer.name}* #{booking.id} {local:%a %d %b %H:%M}: {what}, "
                f"{charged} charged"
            )
