"""Hourglass domain: policy, calendars, billing, fair use, bookings, SLA clocks, alert rules. Never imports handlers/ or Slack."""
