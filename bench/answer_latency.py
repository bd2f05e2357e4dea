"""Placeholder, replaced below."""


def measure_latency(chunks: int) -> None:
    """Not yet."""
