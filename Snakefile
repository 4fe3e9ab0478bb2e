# The six deep-learning exercises as one workflow: datasets, training,
# Monte Carlo dropout, figures, answers and an HTML report.

from snakemake.utils import min_version, validate

min_version("9.0")


configfile: "config.yaml"


validate(config, "schemas/config.schema.yaml")


include: "rules/common.smk"
include: "rules/data.smk"
include: "rules/training.smk"
include: "rules/evaluation.smk"
include: "rules/report.smk"


rule all:
    input:
        "results/report.html",
        "results/answers.csv",
        "results/answers.json",
