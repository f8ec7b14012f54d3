"""Business calendars: open hours, holidays, closures (whole or part days), special hours, business time across DST and business days. Pure; imports nothing from bot but the kernel."""
