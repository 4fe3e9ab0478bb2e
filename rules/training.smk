# Frozen-backbone features (exercise 4) and the training of every exercise.


rule extract_features:
    input:
        unpack(feature_inputs),
    output:
        features="results/features/{exercise}.npz",
        manifest="results/features/{exercise}.json",
    log:
        "logs/extract_features/{exercise}.log",
    benchmark:
        "benchmarks/extract_features/{exercise}.tsv"
    priority: 2
    conda:
        "../envs/workflow.yaml"
    threads: config["threads"]
    resources:
        gpu=1,
    params:
        model=model_params,
        weights=weights_params(),
        threads=config["threads"],
    script:
        "../scripts/extract_features.py"


rule train:
    input:
        unpack(training_data),
    output:
        model="results/training/{exercise}/seed{seed}/model.keras",
        history="results/training/{exercise}/seed{seed}/history.csv",
        evaluation="results/training/{exercise}/seed{seed}/evaluation.json",
        predictions="results/training/{exercise}/seed{seed}/predictions.npz",
    log:
        "logs/train/{exercise}/seed{seed}.log",
    benchmark:
        "benchmarks/train/{exercise}/seed{seed}.tsv"
    conda:
        "../envs/workflow.yaml"
    threads: config["threads"]
    resources:
        gpu=1,
    params:
        model=model_params,
        training=training_params,
        threads=config["threads"],
    script:
        "../scripts/train.py"
