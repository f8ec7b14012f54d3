"""1-on-1 sessions: booking, notice and cancellation charges, extras, training, reminders (seed 001). Imports policy, customers, billing, alerts and store."""
