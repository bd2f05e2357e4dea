"""Sharing one deployment's live state through Redis: frame fan-out, turn leases, counters."""
