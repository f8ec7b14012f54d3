"""The forecasts' alerts, swept by the clock (issue 13): `forfeit_risk` and `sla_budget`.

Both are internal (the team's channel, never the customer's: `bot.policy.routes`), keyed per
block and per customer-month, posted once through the outbox and edited in place as the
projection moves: the alert's state is the projected figure, so a sweep that finds the same
figure changes nothing, and one that finds another edits the message.
"""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from bot.alerts.outbox import NewAlert, raise_alerts, update_alert
from bot.billing.drawdown import block_label
from bot.insights.forecast import BlocksForecast, SlaOutlook
from bot.insights.outlook import (
    SlaMonth,
    blocks_forecasts,
    budget_words,
    forfeit_risks,
    projection_words,
    sla_months,
)
from bot.parsing import month_bounds
from bot.policy.model import Policy, provider_today
from bot.units import format_minutes, plural
from store.models import Customer, HourBlock
from store.repositories.core import Alerts, Customers, HourBlocks
from store.repositories.insights import RuleMarks, customers_with_tickets, data_revision

FORFEIT_RISK, SLA_BUDGET = "forfeit_risk", "sla_budget"
CLEARED, EXPIRED = "cleared", "expired"
RECENTLY_EXPIRED = timedelta(days=7)  # an open risk alert on a block just expired is closed


def forfeit_key(block_id: int | str) -> str:
    return f"{FORFEIT_RISK}:{block_id}"


def sla_budget_key(customer_id: int, year: int, month: int) -> str:
    return f"{SLA_BUDGET}:{customer_id}:{year:04d}-{month:02d}"


def something_new(db: Session, policy: Policy, now: datetime, rule: str) -> bool:
    """Whether `rule` has anything new to look at: a write to what it reads, a new hour
    (time alone moves projections: a day passes, a ticket runs past the goal unanswered) or
    another policy. An idle sweep then costs one read and one locked mark, not a ledger per
    customer; of two clocks, one runs the rule."""
    local = now.astimezone(policy.timezone)
    goals = sorted((plan.name, repr(plan.goal)) for plan in policy.plans.values())
    seen = f"{local:%Y-%m-%d %H}|{data_revision(db)}|{policy.insights!r}|{goals}"
    return RuleMarks.changed(db, rule, hashlib.sha256(seen.encode()).hexdigest(), now)


# --- forfeit_risk ------------------------------------------------------------------------


def sweep_forfeit_risk(db: Session, policy: Policy, now: datetime) -> int:
    """Raise, move or clear `forfeit_risk` for every block in its last days (the policy's
    `forfeit_risk_window_days`): projected to forfeit more than `forfeit_risk_threshold`."""
    if not something_new(db, policy, now, FORFEIT_RISK):
        return 0
    today = provider_today(policy, now)
    window = timedelta(days=policy.insights.forfeit_risk_window_days)
    blocks = HourBlocks.expiring_between(db, today - RECENTLY_EXPIRED, today + window)
    # The batch's alerts, customers and forecasts in a few reads, not a few a block (issue
    # 11); each block has its own key, so what one block's turn writes no other reads.
    known = Alerts.by_keys(db, [forfeit_key(block.id) for block in blocks]) if blocks else {}
    customers = Customers.by_ids(db, (b.customer_id for b in blocks if b.expires > today))
    live = [customer for customer in customers.values() if customer.archived_at is None]
    forecasts = blocks_forecasts(db, policy, live, now)
    moved = 0
    raised: list[NewAlert] = []
    for block in blocks:
        key = forfeit_key(block.id)
        alert = known.get(key)
        if block.expires <= today:
            if alert is not None and alert.state not in (CLEARED, EXPIRED):
                moved += update_alert(db, key, state=EXPIRED, text=_expired_text(block), now=now)
            continue
        customer = customers[block.customer_id]
        if customer.archived_at is not None:
            continue
        forecast = forecasts[customer.id]
        if str(block.id) in forfeit_risks(policy, forecast):
            projected = forecast.for_block(str(block.id))
            state = f"forfeit:{projected.forfeit_hours}"
            text = forfeit_text(customer, block, forecast)
            data = {"block_id": block.id, "forfeit_hours": str(projected.forfeit_hours)}
            if alert is None:  # raised the first time, with the batch's others at the end
                raised.append(NewAlert(key, FORFEIT_RISK, customer, text, None, state, data))
            else:  # after that, moved (edited in place)
                moved += update_alert(db, key, state=state, text=text, now=now, data=data)
        elif alert is not None and alert.state != CLEARED:
            moved += update_alert(
                db, key, state=CLEARED, text=_cleared_text(customer, block), now=now
            )
    return moved + sum(raise_alerts(db, policy, raised, now))  # one INSERT for the batch


def forfeit_text(customer: Customer, block: HourBlock, forecast: BlocksForecast) -> str:
    projected = forecast.for_block(str(block.id))
    rate = forecast.rate
    pace = (
        f"{rate.hours_per_week}h a week billed over the last {plural(rate.weeks, 'week')}"
        if rate.weeks
        else "no whole week of use yet"
    )
    days = (block.expires - forecast.today).days
    return (
        f":hourglass_flowing_sand: *{customer.name}*: block {block_label(block)} is projected "
        f"to forfeit *{projected.forfeit_hours}h* when it expires on "
        f"{block.expires.isoformat()} (in {plural(days, 'day')}), at {pace}; "
        f"{format_minutes(projected.block.remaining_minutes)} left now. "
        "Schedule work or training to use it."
    )


def _cleared_text(customer: Customer, block: HourBlock) -> str:
    return (
        f":white_check_mark: *{customer.name}*: block {block_label(block)} is no longer "
        "projected to forfeit much at expiry."
    )


def _expired_text(block: HourBlock) -> str:
    return (
        f":hourglass: Block {block_label(block)} expired on {block.expires.isoformat()}; "
        "its forfeiture is in the block_expired alert."
    )


# --- sla_budget --------------------------------------------------------------------------


def sweep_sla_budget(db: Session, policy: Policy, now: datetime) -> int:
    """Raise, move or clear `sla_budget` for each customer with tickets this month whose
    goal's error budget is spent, lost or at `sla_budget_alert_at` misses left or fewer."""
    if not something_new(db, policy, now, SLA_BUDGET):
        return 0
    today = provider_today(policy, now)
    ticketed = set(
        customers_with_tickets(db, *month_bounds(today.year, today.month, policy.timezone))
    )
    # No ticket this month: no budget spent, and no alert raised for it. Only those read, in
    # name order (issue 11: every customer's row was loaded to keep the few with tickets).
    batch = [c for c in Customers.by_ids_in_name_order(db, ticketed) if c.archived_at is None]
    # The batch's alerts and months in a few reads, not a few a customer (issue 11); each
    # customer has its own key, so what one customer's turn writes no other reads.
    keys = {c.id: sla_budget_key(c.id, today.year, today.month) for c in batch}
    known = Alerts.by_keys(db, list(keys.values())) if batch else {}
    months = sla_months(db, policy, batch, now)
    moved = 0
    raised: list[NewAlert] = []
    for customer in batch:
        key = keys[customer.id]
        alert = known.get(key)
        month = months[customer.id]
        outlook = month.outlook
        if outlook is not None and budget_alert(policy, outlook):
            state = "lost" if outlook.lost else f"left:{outlook.budget}"
            text = sla_budget_text(customer, month)
            data = {"budget": outlook.budget, "lost": outlook.lost}
            if alert is None:  # raised the first time, with the batch's others at the end
                raised.append(NewAlert(key, SLA_BUDGET, customer, text, None, state, data))
            else:  # after that, moved (edited in place)
                moved += update_alert(db, key, state=state, text=text, now=now, data=data)
        elif alert is not None and alert.state != CLEARED:
            text = (
                f":white_check_mark: *{customer.name}*: the SLA goal has room again this month "
                f"({plural(outlook.budget, 'more miss')} before it is lost)."
                if outlook is not None
                else f"*{customer.name}*: no SLA goal on the plan any more."
            )
            moved += update_alert(db, key, state=CLEARED, text=text, now=now)
    return moved + sum(raise_alerts(db, policy, raised, now))  # one INSERT for the batch


def budget_at_risk(policy: Policy, outlook: SlaOutlook) -> bool:
    """For the digest and App Home: decided tickets this month, and the goal lost or (in a
    month big enough to have a budget) the budget at `sla_budget_alert_at` misses or fewer."""
    if outlook.decided == 0:
        return False
    return outlook.lost or budget_alert(policy, outlook)


def budget_alert(policy: Policy, outlook: SlaOutlook) -> bool:
    """The `sla_budget` alert's rule: the month, at its expected ticket count, can afford at
    least one miss (an error budget to watch: 10 tickets at 90%), and the budget is lost,
    spent or at `sla_budget_alert_at` misses left or fewer (default 1). A smaller month loses
    its goal with its first miss, which `sla_breach` already says; alerting it again as a
    spent budget every month would be noise."""
    if outlook.decided == 0 or not outlook.has_budget:
        return False
    return outlook.lost or outlook.budget <= policy.insights.sla_budget_alert_at


def sla_budget_text(customer: Customer, month: SlaMonth) -> str:
    outlook = month.outlook
    assert outlook is not None  # only raised for a plan with a goal
    goal = month.result.goal or f"{float(outlook.goal):.0%}"
    attainment = (
        f"{float(outlook.attainment):.1%} so far ({outlook.within} of {outlook.decided} within)"
        if outlook.attainment is not None
        else "nothing decided yet"
    )
    return (
        f"*{customer.name}*, {month.year:04d}-{month.month:02d}: goal {goal}: {attainment}. "
        f"{budget_words(outlook)}{projection_words(outlook)}."
    )
