"""Compute the uncertainty measures of one Monte Carlo exercise and seed."""

from dl_exercises.logs import log_to_file

log_to_file(snakemake.log[0])

from dl_exercises.uncertainty_summary import summarise_uncertainty  # noqa: E402

summarise_uncertainty(
    probabilities_path=snakemake.input.probabilities,
    predictions_path=snakemake.input.predictions,
    exercise=snakemake.wildcards.exercise,
    seed=int(snakemake.wildcards.seed),
    per_sample_path=snakemake.output.per_sample,
    summary_path=snakemake.output.summary,
)
