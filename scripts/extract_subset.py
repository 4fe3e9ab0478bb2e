"""Write the cached subset of one dataset and its manifest."""

from dl_exercises.logs import log_to_file
from dl_exercises.subsets import extract_subset

log_to_file(snakemake.log[0])
extract_subset(
    snakemake.input.raw,
    int(snakemake.wildcards.n_train),
    int(snakemake.wildcards.n_test),
    snakemake.output.arrays,
    snakemake.output.manifest,
    dataset=snakemake.wildcards.dataset,
)
