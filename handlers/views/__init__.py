"""Slack views, one module each, registered here."""

from slack_bolt import App

from handlers.views import book, book_move, call_form, forms, log_time, ticket_form


def register(app: App) -> None:
    app.view(book.CALLBACK_ID)(book.submit)
    app.view(book_move.CALLBACK_ID)(book_move.submit)
    app.view(book_move.CONFIRM_ID)(book_move.confirm)
    app.view(log_time.CALLBACK_ID)(log_time.submit)
    app.view(call_form.CALLBACK_ID)(call_form.submit)
    app.view(ticket_form.CALLBACK_ID)(ticket_form.submit)
    app.options(forms.CUSTOMER_SEARCH)(forms.customer_options)
