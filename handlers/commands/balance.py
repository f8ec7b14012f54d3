"""/balance <customer> [chart]: hour blocks, this month's billed time and overage; `chart`
(or the reply's *Chart* button) uploads a PNG of each block's hours over time."""

from __future__ import annotations

from bot import customers as customer_service
from bot.blocks import Block, actions, button
from bot.insights import charts
from bot.insights.outlook import blocks_forecast, forecast_line
from bot.insights.series import balance_chart
from bot.parsing import InputError
from bot.reports.at_risk import CHART_BALANCE
from bot.reports.balance import Balance, balance_for
from bot.reports.balance_cache import kept_balance
from bot.roles import AGENT
from bot.units import format_minutes, plural
from handlers.common import CommandCall, Reply, reads, subcommands, text_blocks
from handlers.files import Outgoing, destination, sender
from handlers.help import Help
from store.models import Customer

USAGE = "/balance <customer>"  # `chart` after it: see the help
ACTION_CHART = CHART_BALANCE  # value: the customer's name (App Home's button too)


def chart_button(customer: str) -> Block:
    """The *Chart* button: pressed, it runs `/balance <customer> chart` where it was."""
    return actions(button(ACTION_CHART, "Chart", customer))


@reads
def balance(call: CommandCall) -> Reply:
    if len(call.tokens) == 2 and call.tokens[1].lower() == "chart":
        return chart(call)
    if len(call.tokens) != 1:
        raise InputError("give one customer")
    customer = customer_service.get_customer(call.db, call.tokens[0])
    # Kept per process under the customer's balance version (bot/reports/balance_cache.py):
    # 3 statements instead of 33-40 while nothing it shows has changed.
    text = kept_balance(
        call.db, call.policy, customer, call.now, lambda: _balance_text(call, customer)
    )
    return Reply(text, [*text_blocks(text), chart_button(customer.name)])


def _balance_text(call: CommandCall, customer: Customer) -> str:
    summary = balance_for(call.db, call.policy, customer, call.now)
    lines = [f"*{customer.name}* ({customer.plan} plan, {plural(customer.seats, 'seat')})"]
    if summary.blocks:
        lines.append("Hour blocks:")
        for block in summary.blocks:
            lines.append(
                f"• #{block['id']}: {block['hours']}h bought {block['purchased']}, expires "
                f"{block['expires']} — {format_minutes(block['remaining_minutes'])} left "
                f"({block['status']})"
            )
    else:
        lines.append("No hour blocks bought.")
    lines.append(
        f"Remaining: *{format_minutes(summary.remaining_minutes)}*. This month: "
        f"{format_minutes(summary.month_billed_minutes)} billed, "
        f"{format_minutes(summary.month_overage_minutes)} overage; "
        f"{summary.month_amount} {call.policy.currency} to invoice (overage and training)."
    )
    forecast = forecast_line(blocks_forecast(call.db, call.policy, customer, call.now))
    if forecast:
        lines.append(forecast)
    lines.extend(_open_month_lines(summary, call.policy.currency))
    lines.extend(summary.extra_lines)
    return "\n".join(lines)


@reads
def chart(call: CommandCall) -> Reply:
    """Read the blocks' history and forecast in the transaction; draw and upload after it."""
    customer = customer_service.get_customer(call.db, call.tokens[0])
    data = balance_chart(call.db, call.policy, customer, call.now)
    stamp = f"{data.today:%Y-%m-%d}"

    def make() -> Outgoing:
        return Outgoing(
            content=charts.balance_png(data),
            filename=f"hourglass-{customer.name}-hours-{stamp}.png",
            title=f"{customer.name}: hours remaining per block, {stamp}",
            comment=f"Hours remaining per block for *{customer.name}*, as of {stamp}; "
            "dashed: projected at the last 8 weeks' burn rate.",
            what="The chart",
        )

    where = destination(call.db, call.channel_id)
    return Reply(
        f":bar_chart: Drawing the hours chart for *{customer.name}*…",
        after_commit=[sender(call.client, call.user_id, where, make)],
    )


def _open_month_lines(summary: Balance, currency: str) -> list[str]:
    """Earlier months that ended without being issued still have money to invoice: name them,
    and the total across every open month (nothing when this month is the only one)."""
    earlier = summary.earlier_open
    if not earlier:
        return []
    months = "; ".join(f"{m.label} {m.amount:.2f} {currency}" for m in earlier)
    noun = "month" if len(earlier) == 1 else "months"
    return [
        f":receipt: Not yet invoiced: *{summary.uninvoiced:.2f} {currency}* in all — "
        f"{months} (ended, not issued: {noun} still open) and this month so far. "
        "Issue a month with `/hourglass report <customer> <YYYY-MM> issue`."
    ]


HELP = Help(
    USAGE,
    ("/balance acme", "/balance acme chart"),
    note="Hour blocks, what is left, and this month's billed time and overage; `chart` "
    "uploads a picture of each block's hours over time, projected to run-out (`/hourglass "
    "balance acme` works too).",
)

listener = subcommands({}, f"Usage: `{USAGE}`.", fallback=(balance, AGENT, USAGE), help=HELP)
