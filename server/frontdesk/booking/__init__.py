"""Bookings: the slot engine, the booking service, e-mail, .ics files and the manage page."""
