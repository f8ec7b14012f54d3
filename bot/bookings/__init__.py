"""1-on-1 sessions: booking, notice and cancellation charges, extras, training, reminders (seed
001). May import the kernel, policy, calendar, customers, roles, billing, alerts and store; not
calls or sla.

Modules, each importing only those listed before it: `charges` (statuses, the notice rule
and what a booking bills; the sessions charge source), `listing` (how bookings read),
`reminders` (the reminder sweep), `sessions` (book, cancel, no-show), `moves` (move
and undo a move, charged by the same notice rule), `grammar` (the `/book` text).
"""
