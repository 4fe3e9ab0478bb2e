"""Run Monte Carlo dropout on one saved model over its test subset."""

from dl_exercises.logs import log_to_file

log_to_file(snakemake.log[0])

from dl_exercises import mc_dropout, runtime  # noqa: E402

seed = int(snakemake.wildcards.seed)
runtime.configure_tensorflow(seed, snakemake.threads)
runtime.warn_if_threads_reduced(snakemake.threads, snakemake.params.threads)
mc_dropout.run_mc_dropout(
    model_path=snakemake.input.model,
    arrays_path=snakemake.input.arrays,
    mc_config=snakemake.params.mc_dropout,
    exercise=snakemake.wildcards.exercise,
    seed=seed,
    probabilities_path=snakemake.output.probabilities,
    metrics_path=snakemake.output.metrics,
)
