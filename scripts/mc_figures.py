"""Draw the per-sample predictive-variance histogram of the Monte Carlo passes."""

from dl_exercises.logs import log_to_file

log_to_file(snakemake.log[0])

from dl_exercises.figures import draw_predictive_variance  # noqa: E402

draw_predictive_variance(
    probabilities_path=snakemake.input.probabilities,
    predictive_variance_path=snakemake.output.predictive_variance,
    title=snakemake.params.title,
)
