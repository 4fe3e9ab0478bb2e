"""Text formatting of the report's table cells."""

import json


def seed_order(by_seed, seeds):
    """Return the seed keys (strings) of `by_seed`: configured seeds first, in order."""
    configured = [str(seed) for seed in seeds if str(seed) in by_seed]
    return configured + sorted(set(by_seed) - set(configured), key=int)


def leaves(value, prefix=""):
    """Return (dotted key, raw value) pairs of the leaves of a nested mapping."""
    if isinstance(value, dict) and value:
        pairs = []
        for key, item in value.items():
            pairs.extend(leaves(item, f"{prefix}.{key}" if prefix else str(key)))
        return pairs
    return [(prefix, value)]


def flatten(value, prefix=""):
    """Return (dotted key, text) rows of a nested mapping, leaves formatted by `format_value`."""
    return [(key, format_value(leaf)) for key, leaf in leaves(value, prefix)]


def format_value(value):
    """Return a leaf value as text: strings as they are, the rest as JSON."""
    if isinstance(value, str):
        return value
    return json.dumps(value)


def metric_text(value, decimals):
    return "n/a" if value is None else f"{value:.{decimals}f}"
