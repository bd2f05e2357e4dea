"""Calendar connections: hosts' external calendars as busy times, and bookings written back."""
