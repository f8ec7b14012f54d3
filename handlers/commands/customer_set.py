"""/hourglass customer set <name> phone=on|off|plan: a customer's telephone add-on (seed 000).

Managers only. `on` buys the add-on on a plan without phone support, `off` removes it, `plan`
goes back to the plan's default; the reply says what changed and how to undo it.
"""

from __future__ import annotations

from bot import customers as customer_service
from bot.parsing import InputError, split_options
from handlers.common import CommandCall, Reply

USAGE = "/hourglass customer set <name> phone=on|off|plan"


def customer_set(call: CommandCall) -> Reply:
    words, options = split_options(call.tokens)
    unknown = set(options) - {"phone"}
    if unknown:
        raise InputError(f"unknown option `{sorted(unknown)[0]}=`")
    if len(words) != 1 or "phone" not in options:
        raise InputError("give one customer name and phone=on, off or plan")
    setting = customer_service.parse_phone_setting(options["phone"])
    customer = customer_service.get_customer(call.db, words[0])
    before = customer_service.set_phone_support(
        call.db, call.policy, customer, setting, actor=call.user_id, now=call.now
    )
    now_has = customer_service.describe_phone_support(customer, call.policy)
    if before is setting:
        return Reply(f"Nothing changed: *{customer.name}* phone support is already {now_has}.")
    undo = (
        f"/hourglass customer set {customer.name} "
        f"phone={customer_service.phone_setting_word(before)}"
    )
    return Reply(
        f":telephone_receiver: *{customer.name}* ({customer.plan} plan) phone support: "
        f"{now_has}. {_effect(setting)} Undo with `{undo}`."
    )


def _effect(setting: bool | None) -> str:
    if setting:
        return "Calls recorded from now on count towards fair use."
    return (
        "Calls recorded from now on are kept but not covered; calls already recorded keep "
        "the cover they had."
    )
