"""Logging of rule scripts to the rule's log file."""

import logging
import sys


def log_to_file(path):
    """Send the root logger's records, warnings and uncaught errors to `path`.

    Rule scripts call this first, with `snakemake.log[0]`, so that a failed
    job's log contains the error that stopped it.
    """
    handler = logging.FileHandler(path, mode="w", encoding="utf-8")
    handler.setFormatter(
        logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s")
    )
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(logging.INFO)
    logging.captureWarnings(True)

    def log_uncaught(kind, error, traceback):
        logging.getLogger("rule").error("job failed", exc_info=(kind, error, traceback))
        sys.__excepthook__(kind, error, traceback)

    sys.excepthook = log_uncaught
