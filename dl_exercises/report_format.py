"""Text formatting of the report's table cells."""

import json


def seed_order(by_seed, seeds):
    """Return the seed keys (strings) of `by_seed`: configured seeds first, in order."""
    configured = [str(seed) for seed in seeds if str(seed) in by_seed]
    return configured + sorted(set(by_seed) - set(configured), key=int)


def flatten(value, prefix=""):
    """Return (dotted key, text) rows of a nested mapping, leaves formatted as YAML-like text."""
    if isinstance(value, dict) and value:
        rows = []
        for key, item in value.items():
            rows.extend(flatten(item, f"{prefix}.{key}" if prefix else str(key)))
        return rows
    return [(prefix, format_value(value))]


def format_value(value):
    """Return a leaf value as text: strings as they are, the rest as JSON."""
    if isinstance(value, str):
        return value
    return json.dumps(value)


def metric_text(value, decimals):
    return "n/a" if value is None else f"{value:.{decimals}f}"
