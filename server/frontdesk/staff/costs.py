"""Estimated LLM spend from token counts, by a per-model price table (US dollars per 1M tokens)."""

from __future__ import annotations

from decimal import Decimal

# (input, output) dollars per million tokens. Estimates for the dashboard, not an invoice.
PRICES: dict[str, tuple[Decimal, Decimal]] = {
    "gpt-4o-mini": (Decimal("0.15"), Decimal("0.60")),
    "gpt-4o": (Decimal("2.50"), Decimal("10.00")),
    "gpt-4.1": (Decimal("2.00"), Decimal("8.00")),
    "gpt-4.1-mini": (Decimal("0.40"), Decimal("1.60")),
    "gpt-4.1-nano": (Decimal("0.10"), Decimal("0.40")),
    "gpt-3.5-turbo": (Decimal("0.50"), Decimal("1.50")),
}
MILLION = Decimal(1_000_000)


def price_for(model: str | None) -> tuple[Decimal, Decimal] | None:
    """The model's (input, output) price; dated snapshots ("gpt-4o-2024-08-06") use their base."""
    if not model:
        return None
    name = model.strip().lower()
    if name in PRICES:
        return PRICES[name]
    # Longest base first, so "gpt-4o-mini-2024-07-18" is not priced as "gpt-4o".
    for base in sorted(PRICES, key=len, reverse=True):
        if name.startswith(base + "-") and name[len(base) + 1 : len(base) + 2].isdigit():
            return PRICES[base]
    return None


def estimate(model: str | None, prompt_tokens: int, completion_tokens: int) -> Decimal | None:
    """Dollars for these tokens, or None when the model's price is unknown."""
    price = price_for(model)
    if price is None:
        return None
    cost_in, cost_out = price
    return (cost_in * prompt_tokens + cost_out * completion_tokens) / MILLION


def format_cost(amount: Decimal | None) -> str:
    """ "$0.0123" for display; "n/a" for an unknown price."""
    if amount is None:
        return "n/a"
    if amount and amount < Decimal("0.01"):
        return f"${amount:.4f}"
    return f"${amount:.2f}"
