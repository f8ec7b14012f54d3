"""SLA clocks: tickets and their event log, derived clocks on business calendars, escalation and
percentile goals (seeds 002-004). May import the kernel, policy, calendar, customers, roles,
billing, alerts and store; not calls or bookings.

Pure rules, importing only policy and calendar: `targets` (which targets and escalation
levels apply), `eventlog` (event kinds, statuses, replaying the log), `clocks` (both clocks
derived from the log), `timeline` (what counted and what did not), `explain` (the words,
`/ticket why`). Services, which also import alerts, customers' rows and the store: `tickets`
(open, record, refresh), `escalation` (the one alert per ticket and its pings), `channel`
(messages and reactions in a customer's channel), `sweep` (the alert rule), `goals`
(percentile goal arithmetic and the month's results).
"""
