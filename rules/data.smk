# Datasets, subsets and the MobileNetV2 weights. Download rules are local
# rules: on a cluster they run on the submit host, which has internet, and
# compute nodes only read the caches.


# `snakemake --cores 1 fetch_all` downloads (or copies) every dataset and the
# weights that the configuration needs, so that a later run touches no network.
rule fetch_all:
    input:
        **download_targets(),


rule fetch_dataset:
    output:
        raw=directory("data/raw/{dataset}"),
    log:
        "logs/fetch_dataset/{dataset}.log",
    benchmark:
        "benchmarks/fetch_dataset/{dataset}.tsv"
    priority: 3
    conda:
        "../envs/workflow.yaml"
    params:
        source=dataset_params,
    script:
        "../scripts/fetch_dataset.py"


rule extract_subset:
    input:
        raw="data/raw/{dataset}",
    output:
        arrays="data/subsets/{dataset}/train{n_train}_test{n_test}.npz",
        manifest="data/subsets/{dataset}/train{n_train}_test{n_test}.json",
    log:
        "logs/extract_subset/{dataset}/train{n_train}_test{n_test}.log",
    benchmark:
        "benchmarks/extract_subset/{dataset}/train{n_train}_test{n_test}.tsv"
    priority: 3
    conda:
        "../envs/workflow.yaml"
    script:
        "../scripts/extract_subset.py"


rule fetch_weights:
    output:
        weights="data/weights/mobilenet_v2.h5",
        manifest="data/weights/mobilenet_v2.json",
    log:
        "logs/fetch_weights/mobilenet_v2.log",
    benchmark:
        "benchmarks/fetch_weights/mobilenet_v2.tsv"
    priority: 3
    conda:
        "../envs/workflow.yaml"
    params:
        weights=weights_params(),
    script:
        "../scripts/fetch_weights.py"
