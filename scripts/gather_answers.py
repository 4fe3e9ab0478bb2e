"""Write answers.csv and answers.json from every evaluation and MC metrics file."""

from dl_exercises.logs import log_to_file

log_to_file(snakemake.log[0])

from dl_exercises.answers import gather_answers  # noqa: E402

gather_answers(
    evaluation_paths=list(snakemake.input.evaluations),
    mc_metric_paths=list(snakemake.input.mc_metrics),
    subset_manifest_paths=list(snakemake.input.subsets),
    feature_manifest_paths=list(snakemake.input.features),
    exercises=snakemake.params.exercises,
    seeds=snakemake.params.seeds,
    datasets=snakemake.params.datasets,
    weights=snakemake.params.weights,
    csv_path=snakemake.output.csv,
    json_path=snakemake.output.json,
)
