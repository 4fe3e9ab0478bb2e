"""Command-line option types shared by the benchmark scripts."""

import argparse


def positive_int(text):
    """Return `text` as an integer of at least 1, for argparse's `type`."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"invalid integer {text!r}; give a whole number >= 1")
    if value < 1:
        raise argparse.ArgumentTypeError(f"invalid value {value}; give a whole number >= 1")
    return value
