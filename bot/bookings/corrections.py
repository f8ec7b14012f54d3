"""Booking corrections from Slack (issue 19 item 1), each audited on the booking's row and
in the audit log (who, when, what it was):

* `restore`: a cancellation or a no-show made by mistake is undone — the booking is back on
  (held, and billed as held, if its time has passed), the late charge goes with it, and its
  alerts are edited to say so. Refused when an engineer has since been booked in the slot.
* `waive`: a manager waives a late-cancellation or no-show charge with a reason (the
  goodwill gesture every provider makes); the statement shows the row billed as 0 with who
  waived it and why, and the alert says so.

Billing is derived from the rows, as always, so the statement and the blocks follow at once.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from bot.alerts.follow import withdraw
from bot.alerts.outbox import update_alert
from bot.bookings.charges import WAIVABLE, BookingStatus, check_balance, kind_of, status_of
from bot.bookings.listing import slack_time
from bot.bookings.reminders import next_check
from bot.bookings.sessions import parse_booking_id, refuse_clashes
from bot.errors import InputError, NotFound
from bot.policy.model import Policy
from bot.units import format_minutes
from store.models import Booking
from store.repositories.audit import AuditLog
from store.repositories.bookings import Bookings
from store.repositories.core import Alerts

_CANCELLED = (BookingStatus.CANCELLED, BookingStatus.LATE_CANCELLED, BookingStatus.NO_SHOW)
MAX_REASON = 500


@dataclass(frozen=True)
class Restored:
    booking: Booking
    was: BookingStatus
    charge_minutes: int  # the charge that went with the restore (0 if none)


def _booking(db: Session, text: str) -> Booking:
    booking_id = parse_booking_id(text)
    booking = Bookings.find(db, booking_id, for_update=True)
    if booking is None:
        raise NotFound(f"there is no booking #{booking_id}")
    return booking


def restore(
    db: Session, policy: Policy, text: str, *, actor: str, tz: ZoneInfo, now: datetime
) -> Restored:
    """Undo a cancellation or no-show: the booking is `booked` again, its charge gone."""
    booking = _booking(db, text)
    was = BookingStatus(booking.status)
    if was not in _CANCELLED:
        raise InputError(f"#{booking.id} is not cancelled or a no-show; nothing to restore")
    user_ids = [e.user_id for e in booking.engineers]
    Bookings.lock_engineers(db, user_ids)
    refuse_clashes(db, user_ids, booking.start_at, booking.end_at, tz, exclude=booking.id)
    charged = 0 if booking.waived_at is not None else booking.charge_minutes or 0
    before = _as_it_was(booking)
    booking.status = BookingStatus.BOOKED
    booking.restored_by, booking.restored_at, booking.restored_from = actor, now, was
    booking.charge_minutes = None
    booking.waived_by = booking.waived_at = booking.waive_reason = None
    if booking.end_at > now:
        booking.next_reminder_at = next_check(policy, booking.start_at, booking.end_at, now)
    db.flush()
    _audit(db, booking, "booking.restore", actor, now, before)
    why = f"{kind_of(booking)} #{booking.id} was restored by <@{actor}>" + (
        f"; the {format_minutes(charged)} charge is gone" if charged else ""
    )
    withdraw(db, f"late_cancellation:{booking.id}", why=why, now=now)
    _notice_restored(db, policy, booking, actor, now)
    check_balance(db, policy, booking, now)
    return Restored(booking, was, charged)


def _notice_restored(
    db: Session, policy: Policy, booking: Booking, actor: str, now: datetime
) -> None:
    """The customer was told the session was cancelled: edit that notice to say it is back on."""
    update_alert(
        db,
        f"booking_cancelled:{booking.id}",
        state="restored",
        text=f":calendar: {kind_of(booking).capitalize()} #{booking.id} for "
        f"*{booking.customer.name}* ({slack_time(booking.start_at, policy)}) is back on: the "
        "cancellation was undone.",
        now=now,
        data={"restored_by": actor},
    )


def waive(
    db: Session, policy: Policy, text: str, reason: str, *, actor: str, now: datetime
) -> Booking:
    """Waive a late-cancellation or no-show charge, with its reason (managers)."""
    booking = _booking(db, text)
    reason = " ".join(reason.split())
    if not reason:
        raise InputError("give a reason: it is shown on the statement")
    if len(reason) > MAX_REASON:
        raise InputError(f"keep the reason under {MAX_REASON} characters")
    if status_of(booking, now) not in WAIVABLE or not booking.charge_minutes:
        raise InputError(f"#{booking.id} has no late-cancellation or no-show charge to waive")
    if booking.waived_at is not None:
        raise InputError(
            f"#{booking.id}'s charge was already waived by <@{booking.waived_by}>; nothing changed"
        )
    before = _as_it_was(booking)
    booking.waived_by, booking.waived_at, booking.waive_reason = actor, now, reason
    db.flush()
    _audit(db, booking, "booking.waive", actor, now, before, reason=reason)
    _alert_waived(db, booking, reason, actor, now)
    check_balance(db, policy, booking, now)
    return booking


def unwaive(db: Session, policy: Policy, text: str, *, actor: str, now: datetime) -> Booking:
    """Take a waiver back (managers): a charge waived by mistake is billed again, and the
    alert says so. Audited as `booking.unwaive`."""
    booking = _booking(db, text)
    if booking.waived_at is None or status_of(booking, now) not in WAIVABLE:
        raise InputError(f"#{booking.id} has no waived charge to take back; nothing changed")
    before = _as_it_was(booking)
    booking.waived_by = booking.waived_at = booking.waive_reason = None
    db.flush()
    _audit(db, booking, "booking.unwaive", actor, now, before)
    key = f"late_cancellation:{booking.id}"
    alert = Alerts.by_key(db, key)
    if alert is not None:
        raised = alert.text.split("\n:handshake:", 1)[0]
        text = f"{raised}\n:leftwards_arrow_with_hook: Waiver taken back by <@{actor}>: billed."
        update_alert(db, key, state="raised", text=text, now=now, data={"unwaived_by": actor})
    check_balance(db, policy, booking, now)
    return booking


def _as_it_was(booking: Booking) -> dict[str, Any]:
    """What a booking was, for the audit log."""
    return {
        "customer": booking.customer.name,
        "kind": kind_of(booking),
        "start_at": booking.start_at.isoformat(),
        "minutes": booking.minutes,
        "status": booking.status,
        "charge_minutes": booking.charge_minutes,
        "waived_by": booking.waived_by,
        "waive_reason": booking.waive_reason,
    }


def _audit(
    db: Session,
    booking: Booking,
    action: str,
    actor: str,
    now: datetime,
    before: dict[str, Any],
    *,
    reason: str | None = None,
) -> None:
    AuditLog.record(
        db,
        actor=actor,
        action=action,
        subject_kind="booking",
        subject_id=booking.id,
        at=now,
        customer_id=booking.customer_id,
        before=before,
        after=_as_it_was(booking),
        reason=reason,
    )


def _alert_waived(db: Session, booking: Booking, reason: str, actor: str, now: datetime) -> None:
    key = f"late_cancellation:{booking.id}"
    alert = Alerts.by_key(db, key)
    if alert is None:
        return
    update_alert(
        db,
        key,
        state="waived",
        text=f"{alert.text}\n:handshake: Charge waived by <@{actor}>: {reason}",
        now=now,
        data={"waived_by": actor, "reason": reason},
    )
