"""Alerts recorded with nowhere to post, collected per transaction (issue 19 item 7).

An alert with no channel is kept (bot/alerts/outbox.py records it with `NOWHERE`), never
dropped, but nobody reads it there: the person whose command raised it is told in the
command's reply instead. The outbox notes each such alert on the transaction's session as it
records it; the command's reply takes the notes (`taken`) before the transaction ends.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session

_NOTES = "hourglass.nowhere_alerts"
WORDS = {
    "long_call": "long-call",
    "fair_use_allowance": "phone-allowance",
    "fair_use_review": "fair-use review",
    "block_low": "low-balance",
    "block_expiring": "block-expiry",
    "block_expired": "block-expired",
    "late_cancellation": "late-cancellation",
    "sla_warning": "SLA warning",
    "sla_breach": "SLA breach",
    "sla_escalation": "SLA escalation",
}


@dataclass(frozen=True)
class Nowhere:
    kind: str
    customer: str | None  # the customer's name, if the alert is about one

    def line(self) -> str:
        """What the person is told, with how to give the alerts somewhere to go."""
        what = WORDS.get(self.kind, self.kind.replace("_", " "))
        if self.customer is None:
            fix = "set the policy's `alert_channel`"
        else:
            fix = (
                f"give *{self.customer}* a team channel with `/hourglass customer edit "
                f"{self.customer} team=#channel` (or set the policy's `alert_channel`)"
            )
        about = f" for *{self.customer}*" if self.customer else ""
        return f":warning: The {what} alert{about} had nowhere to go: {fix}."


def note(db: Session, kind: str, customer: str | None) -> None:
    notes: list[Nowhere] = db.info.setdefault(_NOTES, [])
    if Nowhere(kind, customer) not in notes:
        notes.append(Nowhere(kind, customer))


def taken(db: Session) -> list[Nowhere]:
    """The alerts this transaction recorded with nowhere to post (and forget them)."""
    notes: list[Nowhere] = db.info.pop(_NOTES, [])
    return notes
