"""Render the self-contained HTML report."""

from dl_exercises.logs import log_to_file

log_to_file(snakemake.log[0])

from dl_exercises.report import render_report  # noqa: E402

render_report(
    answers_path=snakemake.input.answers,
    figure_paths=list(snakemake.input.figures),
    template_path=snakemake.input.template,
    title=snakemake.params.title,
    exercises=snakemake.params.exercises,
    seeds=snakemake.params.seeds,
    html_path=snakemake.output.html,
    uncertainty_paths=list(snakemake.input.uncertainty),
    benchmark_paths=list(snakemake.input.benchmarks),
    specification_path=snakemake.input.specification,
    run_settings={
        "threads": snakemake.params.threads,
        "weights": snakemake.params.weights,
        "config_sha256": snakemake.params.config_sha256,
    },
)
