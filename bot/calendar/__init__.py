"""Business calendars: open hours, holidays, closures and business time across DST. Pure; imports nothing from bot but the kernel."""
