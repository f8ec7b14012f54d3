"""1-on-1 and training sessions (seeds 001 and 000): booking, notice and cancellation charges,
extras, training, reminders. Imports policy, customers, billing, alerts and store.

Modules, each importing only those listed before it: `charges` (statuses, the notice rule
and what a booking bills; the sessions charge source), `listing` (how bookings read),
`reminders` (the reminder sweep), `sessions` (book, cancel, no-show), `moves` (move
and undo a move, charged by the same notice rule), `grammar` (the `/book` text).
"""
