"""Train one exercise with one seed and evaluate it on the test subset."""

from dl_exercises.logs import log_to_file

log_to_file(snakemake.log[0])

from dl_exercises import runtime, training  # noqa: E402

seed = int(snakemake.wildcards.seed)
runtime.configure_tensorflow(seed, snakemake.threads)
runtime.warn_if_threads_reduced(snakemake.threads, snakemake.params.threads)
training.train_exercise(
    arrays_path=snakemake.input.arrays,
    model_config=snakemake.params.model,
    training_config=snakemake.params.training,
    exercise=snakemake.wildcards.exercise,
    seed=seed,
    model_path=snakemake.output.model,
    history_path=snakemake.output.history,
    evaluation_path=snakemake.output.evaluation,
    predictions_path=snakemake.output.predictions,
)
