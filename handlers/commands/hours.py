"""/hourglass hours list|void|adjust: a customer's hour blocks, and correcting one from
Slack (issue 19 item 1), audited (bot/billing/block_changes.py). `hours add` is in
handlers/commands/hourglass.py."""

from __future__ import annotations

from datetime import timedelta, tzinfo

from bot import customers as customer_service
from bot.billing import block_changes
from bot.billing.block_changes import BlockLine
from bot.parsing import InputError, parse_record_id
from bot.units import format_minutes
from handlers.common import CommandCall, Reply, reads
from store.models import AuditEntry, HourBlock

USAGE_LIST = "/hourglass hours list <customer>"
USAGE_VOID = "/hourglass hours void <#id>"
USAGE_ADJUST = "/hourglass hours adjust <#id> <±hours> <reason>"


def _who(actor: str | None) -> str:
    return f"<@{actor}>" if actor and actor[:1] in "UW" else (actor or "someone")


def _signed(minutes: int) -> str:
    return ("+" if minutes > 0 else "−") + format_minutes(abs(minutes))


def _adjustments(changes: list[AuditEntry], zone: tzinfo) -> str:
    notes = []
    for change in changes:
        if change.action != "block.adjust" or not change.before or not change.after:
            continue
        delta = int(change.after["minutes"]) - int(change.before["minutes"])
        notes.append(
            f"{_signed(delta)} by {_who(change.actor)} on {change.at.astimezone(zone):%-d %b %Y}"
            f" ({change.reason})"
        )
    return f"; adjusted {', '.join(notes)}" if notes else ""


def _line(line: BlockLine, changes: list[AuditEntry], zone: tzinfo) -> str:
    block = line.block
    through = block.expires - timedelta(days=1)
    forfeited = (
        f", {format_minutes(line.forfeited_minutes)} forfeited" if line.forfeited_minutes else ""
    )
    ref = f", ref {block.ref}" if block.ref else ""
    return (
        f"• #{block.id}: {format_minutes(block.minutes)}, valid {block.purchased:%-d %b %Y} – "
        f"{through:%-d %b %Y}; drawn {format_minutes(line.drawn_minutes)}, left "
        f"{format_minutes(line.left_minutes)}{forfeited} ({line.status}){ref}"
        + _adjustments(changes, zone)
    )


def _voided(block: HourBlock, zone: tzinfo) -> str:
    when = block.voided_at.astimezone(zone) if block.voided_at else None
    return (
        f"• ~#{block.id}: {format_minutes(block.minutes)} bought {block.purchased:%-d %b %Y}~ "
        f"voided by {_who(block.voided_by)}" + (f" on {when:%-d %b %Y}" if when else "")
    )


@reads
def hours_list(call: CommandCall) -> Reply:
    if len(call.tokens) != 1:
        raise InputError("give one customer name")
    customer = customer_service.get_customer(call.db, call.tokens[0])
    lines, voided = block_changes.blocks_of(call.db, call.policy, customer, call.now)
    if not lines and not voided:
        return Reply(
            f"*{customer.name}* has no hour blocks. Add one with "
            f"`/hourglass hours add {customer.name} <hours>`."
        )
    zone = call.policy.timezone
    shown = [_line(line, block_changes.changes_to(call.db, line.block), zone) for line in lines]
    shown += [_voided(block, zone) for block in voided]
    return Reply(f":hourglass_flowing_sand: *{customer.name}*'s hour blocks:\n" + "\n".join(shown))


def hours_void(call: CommandCall) -> Reply:
    if len(call.tokens) != 1:
        raise InputError("give the block's id, e.g. `#4`")
    block_id = parse_record_id(call.tokens[0], "hour block")
    block, customer = block_changes.void_block(
        call.db, call.policy, block_id, actor=call.user_id, now=call.now
    )
    return Reply(
        f":wastebasket: Voided hour block #{block.id} of *{customer.name}* "
        f"({format_minutes(block.minutes)} bought {block.purchased:%-d %b %Y}): it no longer "
        "counts; the record stays in `/hourglass hours list " + customer.name + "`."
    )


def hours_adjust(call: CommandCall) -> Reply:
    if len(call.tokens) < 3:
        raise InputError("give the block's id, the hours to add or take (+2, -1.5) and a reason")
    block_id = parse_record_id(call.tokens[0], "hour block")
    change = block_changes.parse_change(call.tokens[1])
    reason = call.text.split(maxsplit=2)[2]
    block, customer, before = block_changes.adjust_block(
        call.db, call.policy, block_id, change, reason, actor=call.user_id, now=call.now
    )
    return Reply(
        f":pencil2: Hour block #{block.id} of *{customer.name}*: {format_minutes(before)} → "
        f"{format_minutes(block.minutes)} ({_signed(change)}, {reason.strip()}). Billing is "
        f"worked out again; see `/hourglass hours list {customer.name}`."
    )
