"""The staff dashboard: sign-in, overview, bookings, conversations, knowledge, settings."""
