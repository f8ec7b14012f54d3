"""/book: book, move, cancel, mark a no-show, restore, waive a charge and list 1-on-1 and
training sessions."""

from __future__ import annotations

import logging

from slack_sdk.errors import SlackApiError

from bot import customers as customer_service
from bot.alerts.outbox import destinations
from bot.bookings import corrections, grammar, listing, moves
from bot.bookings import sessions as bookings
from bot.bookings.charges import BookingStatus, free_notice
from bot.parsing import InputError
from bot.roles import AGENT, MANAGER
from bot.units import format_minutes
from handlers.common import CommandCall, Reply, reads, subcommands
from handlers.help import Help
from handlers.views.book import booking_modal, check_engineers
from handlers.views.book_move import quote_blocks, reply_blocks
from store.models import Customer

log = logging.getLogger("hourglass." + __name__)

USAGE = "/book <customer> <date time> <duration> [@engineer…] [extra] [training]"
USAGE_CANCEL = "/book cancel <booking-id>"
USAGE_NOSHOW = "/book noshow <booking-id>"
USAGE_LIST = "/book list [customer]"
USAGE_MOVE = "/book move <booking-id> <date> <time>"
USAGE_MOVE_UNDO = "/book move undo <booking-id>"
USAGE_RESTORE = "/book restore <booking-id>"
USAGE_WAIVE = "/book waive <booking-id> <reason…>|undo"


def book(call: CommandCall) -> Reply:
    form = grammar.parse_book_text(call.tokens)
    check_engineers(call.db, form, strict=call.strict)
    tz = call.user_tz()
    booking = bookings.book(call.db, call.policy, form, agent=call.user_id, tz=tz, now=call.now)
    text = bookings.confirmation(call.db, call.policy, booking, tz)
    return Reply(text, reply_blocks(text, booking.id))


@reads
def open_form(call: CommandCall) -> Reply:
    view = booking_modal(call.db, call.channel_id)
    client, trigger_id = call.client, call.trigger_id

    def open_view() -> str | None:  # after the ack (the trigger lasts 3 s from the click)
        try:
            client.views_open(trigger_id=trigger_id, view=view)
        except SlackApiError as exc:
            log.warning("views.open failed: %s", exc.response.get("error"))
            return f":warning: The booking form could not be opened; type the booking instead.\nUsage: `{USAGE}`"
        return None

    return Reply(":calendar: Opening the booking form…", after_commit=[open_view])


def _who_is_told(call: CommandCall, customer: Customer) -> str:
    """Say where the late-cancellation alert goes, and say so plainly when it can go nowhere."""
    channels = [d.channel for d in destinations(call.policy, "late_cancellation", "", customer)]
    if all(channels):
        return " and ".join(f"<#{channel}>" for channel in channels) + " has been told."
    return "no alert channel is set for this customer, so nobody else has been told."


def cancel(call: CommandCall) -> Reply:
    if len(call.tokens) != 1:
        raise InputError("give one booking id")
    outcome = bookings.cancel(
        call.db, call.policy, call.tokens[0], actor=call.user_id, now=call.now
    )
    when = listing.format_span(
        outcome.booking.start_at, outcome.booking.minutes, call.user_tz(), now=call.now
    )
    if outcome.status == BookingStatus.LATE_CANCELLED:
        return Reply(
            f":warning: #{outcome.booking.id} for *{outcome.customer.name}* ({when}) is cancelled "
            f"late (less than {bookings.format_duration(free_notice(call.policy, call.now))} "
            f"notice): {format_minutes(outcome.charge_minutes)} billed; "
            f"{_who_is_told(call, outcome.customer)}"
        )
    return Reply(
        f":white_check_mark: #{outcome.booking.id} for *{outcome.customer.name}* ({when}) is "
        f"cancelled; nothing is billed."
    )


def noshow(call: CommandCall) -> Reply:
    if len(call.tokens) != 1:
        raise InputError("give one booking id")
    outcome = bookings.no_show(
        call.db, call.policy, call.tokens[0], actor=call.user_id, now=call.now
    )
    when = listing.format_span(
        outcome.booking.start_at, outcome.booking.minutes, call.user_tz(), now=call.now
    )
    return Reply(
        f":warning: #{outcome.booking.id} for *{outcome.customer.name}* ({when}) is marked as a "
        f"no-show: {format_minutes(outcome.charge_minutes)} billed; "
        f"{_who_is_told(call, outcome.customer)}"
    )


@reads
def list_(call: CommandCall) -> Reply:
    if len(call.tokens) > 1:
        raise InputError("give at most one customer")
    customer = customer_service.get_customer(call.db, call.tokens[0]) if call.tokens else None
    tz = call.user_tz()
    rows = listing.recent_and_upcoming(call.db, call.policy, call.now, customer)
    whose = f" for *{customer.name}*" if customer else ""
    if not rows:
        return Reply(f"No recent or upcoming sessions{whose}. Book one with `{USAGE}`.")
    lines = [f"Sessions{whose} (times in {tz.key}):"]
    lines += ["• " + listing.describe(call.db, b, tz, call.now) for b in rows]
    return Reply("\n".join(lines))


def move(call: CommandCall) -> Reply:
    """A free move is made at once; a late one answers with its charge and *Move anyway*."""
    if not 3 <= len(call.tokens) <= 5:  # the date may be `27 Nov` or `27 Nov 2026`
        raise InputError("give a booking id, a new date and a new start time")
    tz = call.user_tz()
    booking_id, *day_words, clock = call.tokens
    day = " ".join(day_words)
    result = moves.move(
        call.db, call.policy, booking_id, day, clock, actor=call.user_id, tz=tz, now=call.now
    )
    if isinstance(result, moves.MoveQuote):
        text = moves.quote_text(call.policy, result, tz)
        return Reply(text, quote_blocks(text, result))
    return Reply(moves.moved_text(call.policy, result, tz))


def move_undo(call: CommandCall) -> Reply:
    if len(call.tokens) != 1:
        raise InputError("give one booking id")
    tz = call.user_tz()
    record = moves.undo_move(
        call.db, call.policy, call.tokens[0], actor=call.user_id, tz=tz, now=call.now
    )
    return Reply(moves.undone_text(record, tz))


def restore(call: CommandCall) -> Reply:
    if len(call.tokens) != 1:
        raise InputError("give one booking id")
    tz = call.user_tz()
    result = corrections.restore(
        call.db, call.policy, call.tokens[0], actor=call.user_id, tz=tz, now=call.now
    )
    booking = result.booking
    when = listing.format_span(booking.start_at, booking.minutes, tz, now=call.now)
    was = {
        BookingStatus.CANCELLED: "cancellation",
        BookingStatus.LATE_CANCELLED: "late cancellation",
        BookingStatus.NO_SHOW: "no-show",
    }[result.was]
    charge = (
        f"; the {format_minutes(result.charge_minutes)} charge is gone"
        if result.charge_minutes
        else ""
    )
    return Reply(
        f":leftwards_arrow_with_hook: #{booking.id} for *{booking.customer.name}* ({when}) is "
        f"back on: the {was} is undone{charge}."
    )


def waive(call: CommandCall) -> Reply:
    if len(call.tokens) < 2:
        raise InputError("give a booking id and the reason")
    if len(call.tokens) == 2 and call.tokens[1].lower() == "undo":
        booking = corrections.unwaive(
            call.db, call.policy, call.tokens[0], actor=call.user_id, now=call.now
        )
        return Reply(
            f":leftwards_arrow_with_hook: #{booking.id} for *{booking.customer.name}*: the "
            f"waiver is taken back; the {format_minutes(booking.charge_minutes or 0)} charge "
            "is billed again."
        )
    booking = corrections.waive(
        call.db,
        call.policy,
        call.tokens[0],
        " ".join(call.tokens[1:]),
        actor=call.user_id,
        now=call.now,
    )
    return Reply(
        f":handshake: #{booking.id} for *{booking.customer.name}*: the "
        f"{format_minutes(booking.charge_minutes or 0)} charge is waived "
        f"({booking.waive_reason}); the statement shows it billed as 0."
    )


HELP = Help(
    USAGE,
    ("/book acme tomorrow 10:00 1h", "/book acme 2026-12-03 3pm 90m <@U123|jane> training"),
    (
        USAGE_CANCEL,
        USAGE_NOSHOW,
        USAGE_LIST,
        USAGE_MOVE,
        USAGE_MOVE_UNDO,
        USAGE_RESTORE,
        USAGE_WAIVE,
    ),
    "`/book` alone opens a form. Dates: `2026-12-03`, `3 Dec`, `tomorrow`, `monday` (the next one), "
    "`03/12/2026`; times: `15:00`, `3pm`, `3:30pm`.",
)

ROUTES = {
    "": (open_form, AGENT, USAGE),
    "cancel": (cancel, AGENT, USAGE_CANCEL),
    "noshow": (noshow, AGENT, USAGE_NOSHOW),
    "restore": (restore, AGENT, USAGE_RESTORE),
    "waive": (waive, MANAGER, USAGE_WAIVE),
    "no-show": (noshow, AGENT, USAGE_NOSHOW),
    "list": (list_, AGENT, USAGE_LIST),
    "move": (move, AGENT, USAGE_MOVE),
    "move undo": (move_undo, AGENT, USAGE_MOVE_UNDO),
}

# `/book` alone opens the form; `/book acme tomorrow 10:00 1h` books.
listener = subcommands(ROUTES, f"Usage: `{USAGE}`.", fallback=(book, AGENT, USAGE), help=HELP)
