"""SLA clocks (seeds 002-004): tickets and their event log, clocks derived on business
calendars, the alert and escalation chain, the sweep, and monthly percentile goals.

Pure rules, importing only policy and calendar: `targets` (which targets and escalation
levels apply), `eventlog` (event kinds, statuses, replaying the log), `clocks` (both clocks
derived from the log), `timeline` (what counted and what did not), `explain` (the words,
`/ticket why`). Services, which also import alerts, customers' rows and the store: `tickets`
(open, record, refresh), `escalation` (the one alert per ticket and its pings), `channel`
(messages and reactions in a customer's channel), `sweep` (the alert rule), `goals`
(percentile goal arithmetic and the month's results).
"""
