"""Draw the uncertainty histograms, reliability diagram and highest-MI images."""

from dl_exercises.logs import log_to_file

log_to_file(snakemake.log[0])

from dl_exercises.figures import draw_mc_figures  # noqa: E402

draw_mc_figures(
    per_sample_path=snakemake.input.per_sample,
    summary_path=snakemake.input.summary,
    subset_path=snakemake.input.subset,
    outputs={
        "predictive_variance": snakemake.output.predictive_variance,
        "mutual_information": snakemake.output.mutual_information,
        "reliability_diagram": snakemake.output.reliability_diagram,
        "highest_mutual_information": snakemake.output.highest_mutual_information,
    },
    title=snakemake.params.title,
)
