"""Alerts that follow their cause (issue 19 item 2): when a correction removes what raised an
alert, the posted message is edited in place to say it was withdrawn and by what; when the
cause comes back, the same message is raised again. The clock edits the message (both copies,
for an alert that went to the team and the customer) the way SLA alerts already move.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from bot.alerts.outbox import Blocks, customer_key, raise_alert, update_alert
from bot.policy.model import Policy
from store.models import Alert, Customer
from store.repositories.core import Alerts

WITHDRAWN = "withdrawn"
RAISED = "raised"


def withdrawn_text(original: str, why: str) -> str:
    """The withdrawn message: what withdrew it, then the original's first line, quoted."""
    first = original.splitlines()[0] if original else ""
    return f":heavy_multiplication_x: *Withdrawn*: {why}\n> {first}"


def withdraw(
    db: Session,
    key: str,
    *,
    why: str,
    now: datetime,
    data: dict[str, Any] | None = None,
    known: dict[str, Alert] | None = None,
) -> bool:
    """Edit the alert `key` (if there is one, and it is not withdrawn already) to say it was
    withdrawn and why (`withdrawn_text`, the one wording for every kind); its buttons go.
    The original text is kept in its data, with `data`. True if moved. `known`: the alerts
    a sweep read for its batch by key (absent: none)."""
    # The team's copy, or the customer's where the policy sends this kind only there.
    keys = (key, customer_key(key))
    copies = known if known is not None else Alerts.by_keys(db, keys)
    alert = next((copies[k] for k in keys if k in copies and copies[k].state != WITHDRAWN), None)
    if alert is None:
        return False
    return update_alert(
        db,
        key,
        state=WITHDRAWN,
        text=withdrawn_text(alert.text, why),
        now=now,
        data={**(data or {}), "withdrawn_because": why, "raised_text": alert.text},
    )


def raise_or_revive(
    db: Session,
    policy: Policy,
    *,
    key: str,
    kind: str,
    customer: Customer | None,
    text: str,
    now: datetime,
    blocks: Blocks | None = None,
    data: dict[str, Any] | None = None,
    known: dict[str, Alert] | None = None,
) -> bool:
    """Raise the alert once per key; if it was withdrawn, raise it again in place (the same
    message, edited back). True if it was raised or revived. `known`: the alerts a sweep
    read for its batch by key (absent: none); one known is not inserted again."""
    alert = known.get(key) if known is not None else None
    if alert is None:
        if raise_alert(
            db,
            policy,
            key=key,
            kind=kind,
            customer=customer,
            text=text,
            now=now,
            blocks=blocks,
            data=data,
        ):
            return True
        alert = Alerts.by_key(db, key)
    if alert is None or alert.state != WITHDRAWN:
        return False
    return update_alert(db, key, state=RAISED, text=text, now=now, blocks=blocks, data=data)
