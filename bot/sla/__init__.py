"""SLA clocks: tickets and their event log, derived clocks on business calendars, escalation and percentile goals (seeds 002-004). Imports policy, calendar, customers, alerts and store."""
