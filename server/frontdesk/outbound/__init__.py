"""Outbound HTTP to addresses someone else chose: one guard, and connections pinned to it."""
