"""Library behind the deep-learning exercises workflow.

The Snakemake rule scripts under `scripts/` are thin wrappers around this
package, so that pytest can call every step directly.
"""
