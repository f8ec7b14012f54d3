"""/hourglass sla [customer] [YYYY-MM]: the month's SLA results and percentile goal;
`/hourglass sla <customer> chart` (and `/ticket report <customer> chart`) uploads a PNG of
the last 12 months' attainment against the goal."""

from __future__ import annotations

from bot import customers as customer_service
from bot.insights import charts
from bot.insights.outlook import sla_lines, sla_month, sla_months_all
from bot.insights.series import ATTAINMENT_MONTHS, attainment_chart
from bot.parsing import InputError, parse_month
from bot.sla import goals
from bot.text import is_digits
from bot.units import format_minutes, plural
from handlers.common import CommandCall, Reply, reads, text_blocks
from handlers.files import Outgoing, destination, sender

USAGE = "/hourglass sla [customer] [YYYY-MM] | /hourglass sla <customer> chart"


def _minutes(value: int | None) -> str:
    return "—" if value is None else format_minutes(value)


def render(result: goals.MonthSla) -> list[str]:
    if not result.tickets:
        return [f"*{result.customer}* ({result.plan} plan): no tickets."]
    ratio = result.within_target_ratio
    lines = [
        f"*{result.customer}* ({result.plan} plan): {plural(result.tickets, 'ticket')}, "
        f"{result.responded} responded, {result.breached} breached, "
        f"{ratio:.1%} within target.",
        f"  first response (business time): p50 {_minutes(result.p50_first_response_minutes)}, "
        f"p90 {_minutes(result.p90_first_response_minutes)}",
    ]
    if result.goal is not None:
        verdict = "met :white_check_mark:" if result.goal_met else "missed :x:"
        share = f" ({result.goal_ratio:.1%} so far)" if result.goal_ratio is not None else ""
        afford = (
            f"; the month can afford {plural(result.affordable_breaches, 'more breach')}"
            if result.goal_met and result.affordable_breaches is not None
            else ""
        )
        lines.append(f"  goal {result.goal}: {verdict}{share}{afford}")
    return lines


@reads
def sla(call: CommandCall) -> Reply:
    tokens = list(call.tokens)
    if tokens and tokens[-1].lower() == "chart":
        return chart(call)
    if len(tokens) > 2:
        raise InputError("give at most a customer and a month")
    month_token = next((t for t in tokens if is_digits(t[:1])), None)
    if month_token is not None:
        tokens.remove(month_token)
        year, month = parse_month(month_token)
    else:
        local = call.now.astimezone(call.policy.timezone)
        year, month = local.year, local.month
    if len(tokens) > 1:
        raise InputError("give at most one customer")
    local = call.now.astimezone(call.policy.timezone)
    this_month = (year, month) == (local.year, local.month)
    if this_month:  # the month still running: its attainment, budget and projection
        if tokens:
            customer = customer_service.get_customer(call.db, tokens[0])
            months = [sla_month(call.db, call.policy, customer, call.now)]
        else:
            months = sla_months_all(call.db, call.policy, call.now)
        results = [(m.result, sla_lines(m) if m.result.tickets else []) for m in months]
    elif tokens:
        customer = customer_service.get_customer(call.db, tokens[0])
        results = [(goals.month_sla(call.db, call.policy, customer, year, month, call.now), [])]
    else:
        all_months = goals.month_sla_all(call.db, call.policy, year, month, call.now)
        results = [(result, []) for result in all_months]
    lines = [f"*SLA, {year:04d}-{month:02d}*"]
    if not results:
        lines.append("No customers yet.")
    for result, outlook in results:
        lines.extend(render(result))
        lines.extend(outlook)
    text = "\n".join(lines)
    return Reply(text, text_blocks(text))


@reads
def chart(call: CommandCall) -> Reply:
    """`<customer> chart`: the last 12 months read in the transaction, drawn and uploaded
    after it."""
    if len(call.tokens) != 2:
        raise InputError("give one customer before `chart`")
    customer = customer_service.get_customer(call.db, call.tokens[0])
    data = attainment_chart(call.db, call.policy, customer, call.now)
    last = data.months[-1].month

    def make() -> Outgoing:
        return Outgoing(
            content=charts.attainment_png(data),
            filename=f"hourglass-{customer.name}-sla-{last:%Y-%m}.png",
            title=f"{customer.name}: SLA attainment to {last:%b %Y}",
            comment=f"SLA attainment for *{customer.name}*, the last {ATTAINMENT_MONTHS} months "
            f"to {last:%b %Y} (this month so far)"
            + (f", against the goal: {data.goal}." if data.goal else "; the plan sets no goal."),
            what="The chart",
        )

    where = destination(call.db, call.channel_id)
    return Reply(
        f":bar_chart: Drawing the SLA chart for *{customer.name}*…",
        after_commit=[sender(call.client, call.user_id, where, make)],
    )
