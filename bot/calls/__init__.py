"""Call timers, phone calls and the per-caller fair-use allowance (seed 000). May import the kernel, policy, calendar, customers, roles, billing, alerts and store; not bookings or sla."""
