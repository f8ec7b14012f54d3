"""Slack actions, one module each, registered here."""

from slack_bolt import App

from bot.bookings import moves
from bot.calls import alerts as call_alerts
from bot.calls import timers
from bot.roles import AGENT, MANAGER
from handlers import paging
from handlers.actions import bookings, calls, charts, forms, repeats, sla
from handlers.commands import alerts_failed, balance, customer_edit, history, log, ticket
from handlers.commands import call as call_command
from handlers.later import after_ack
from handlers.repeats import ACTION_AGAIN
from handlers.views import book_move, call_form, log_time, ticket_form


def register(app: App) -> None:
    # A click is acknowledged at once; its work and answer follow (handlers/later.py).
    app.action(call_alerts.ACTION_BOOK_TRAINING)(after_ack(calls.book_training))
    app.action(call_alerts.ACTION_BILL_TRAINING)(after_ack(calls.bill_training))
    app.action(call_alerts.ACTION_BILL_SUPPORT)(after_ack(calls.bill_support))
    app.action(timers.ACTION_TIMER_STOP)(after_ack(calls.timer_stop))
    app.action(timers.ACTION_TIMER_KEEP)(after_ack(calls.timer_keep_running))
    app.action(timers.ACTION_TIMER_DISCARD)(after_ack(calls.timer_discard))
    app.action("sla_acknowledge")(after_ack(sla.on_acknowledge))
    app.action("sla_take")(after_ack(sla.on_take))
    app.action(book_move.ACTION_OPEN)(after_ack(bookings.open_move))
    app.action(moves.ACTION_MOVE_ANYWAY)(after_ack(bookings.move_anyway))
    app.action(log_time.ACTION_OPEN)(after_ack(forms.open_log_time))
    app.action(call_form.ACTION_OPEN)(after_ack(forms.open_record_call))
    app.action(ticket_form.ACTION_OPEN)(after_ack(forms.open_ticket))
    app.action(balance.ACTION_CHART)(after_ack(charts.on_chart_balance))
    app.action(paging.ACTION_MORE)(
        after_ack(
            paging.more_listener(
                {
                    ticket.LIST_COMMAND: (ticket.list_, AGENT),
                    log.LIST_COMMAND: (log.list_, AGENT),
                    call_command.LIST_COMMAND: (call_command.list_, AGENT),
                    alerts_failed.LIST_COMMAND: (alerts_failed.alerts_failed, MANAGER),
                    customer_edit.LIST_COMMAND: (customer_edit.customer_list, AGENT),
                    history.LIST_COMMAND: (history.history_, MANAGER),
                }
            )
        )
    )
    app.action(ACTION_AGAIN)(
        after_ack(
            repeats.again_listener(
                {log.COMMAND: log.log_again, call_command.COMMAND: call_command.record_again}
            )
        )
    )
