"""Call timers, phone calls and the per-caller fair-use allowance (seed 000). Imports policy, customers, billing's units, alerts and store."""
