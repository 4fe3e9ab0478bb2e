"""Copy the MobileNetV2 weights file into data/weights/ with its manifest."""

from dl_exercises.logs import log_to_file
from dl_exercises.weights import fetch_weights

log_to_file(snakemake.log[0])
fetch_weights(
    snakemake.params.weights,
    snakemake.output.weights,
    snakemake.output.manifest,
)
