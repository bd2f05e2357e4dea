"""Estimated prices of fine-tuning and of fine-tuned models (US dollars per 1M tokens).

Estimates from the providers' published price lists, for planning, never an invoice. Models
not listed are "unknown" and shown as such.
"""

from __future__ import annotations

from decimal import Decimal

from frontdesk.staff import costs

MILLION = Decimal(1_000_000)
# Supervised fine-tuning: dollars per 1M trained tokens (examples' tokens x epochs).
TRAINING: dict[str, Decimal] = {
    "gpt-4o-mini": Decimal("3.00"),
    "gpt-4o": Decimal("25.00"),
    "gpt-4.1": Decimal("25.00"),
    "gpt-4.1-mini": Decimal("5.00"),
    "gpt-4.1-nano": Decimal("1.50"),
    "gpt-3.5-turbo": Decimal("8.00"),
}
# Using a fine-tuned model: (input, output) per 1M tokens; dearer than the base model.
FINE_TUNED: dict[str, tuple[Decimal, Decimal]] = {
    "gpt-4o-mini": (Decimal("0.30"), Decimal("1.20")),
    "gpt-4o": (Decimal("3.75"), Decimal("15.00")),
    "gpt-4.1": (Decimal("3.00"), Decimal("12.00")),
    "gpt-4.1-mini": (Decimal("0.80"), Decimal("3.20")),
    "gpt-4.1-nano": (Decimal("0.20"), Decimal("0.80")),
    "gpt-3.5-turbo": (Decimal("3.00"), Decimal("6.00")),
}


def base_name(model: str) -> str:
    """The listed base of a model name: dated snapshots and "ft:BASE:org:suffix:id" included."""
    name = (model or "").strip().lower()
    if name.startswith("ft:"):
        name = name.split(":")[1] if ":" in name[3:] else name[3:]
    for base in sorted(TRAINING, key=len, reverse=True):
        if name == base or (name.startswith(base + "-") and name[len(base) + 1 :][:1].isdigit()):
            return base
    return name


def training_cost(model: str, tokens: int, epochs: int) -> Decimal | None:
    """Dollars to train `model` on `tokens` tokens for `epochs` epochs; None when unknown."""
    price = TRAINING.get(base_name(model))
    return None if price is None else price * tokens * epochs / MILLION


def usage_cost(model: str, prompt_tokens: int, completion_tokens: int) -> Decimal | None:
    """Dollars for these tokens on `model` (a fine-tuned one priced as such)."""
    if (model or "").startswith("ft:"):
        price = FINE_TUNED.get(base_name(model))
        if price is None:
            return None
        return (price[0] * prompt_tokens + price[1] * completion_tokens) / MILLION
    return costs.estimate(model, prompt_tokens, completion_tokens)
