"""Download or copy one dataset into data/raw/{dataset}/ with its manifest."""

from dl_exercises.logs import log_to_file
from dl_exercises.sources import fetch_dataset

log_to_file(snakemake.log[0])
fetch_dataset(
    snakemake.wildcards.dataset,
    snakemake.params.source,
    snakemake.output.raw,
)
