# Monte Carlo dropout on the saved models, its uncertainty measures, and the
# figures of every exercise. Uncertainty and figures jobs do not import
# TensorFlow.


rule mc_dropout:
    input:
        unpack(training_data),
        model="results/training/{exercise}/seed{seed}/model.keras",
    output:
        probabilities="results/mc_dropout/{exercise}/seed{seed}/probabilities.npz",
        metrics="results/mc_dropout/{exercise}/seed{seed}/metrics.json",
    log:
        "logs/mc_dropout/{exercise}/seed{seed}.log",
    benchmark:
        "benchmarks/mc_dropout/{exercise}/seed{seed}.tsv"
    priority: 1
    conda:
        "../envs/workflow.yaml"
    threads: config["threads"]
    resources:
        gpu=1,
    params:
        mc_dropout=mc_dropout_params,
        threads=config["threads"],
    script:
        "../scripts/mc_dropout.py"


rule figures:
    input:
        history="results/training/{exercise}/seed{seed}/history.csv",
        predictions="results/training/{exercise}/seed{seed}/predictions.npz",
    output:
        confusion_matrix=report(
            "results/figures/{exercise}/seed{seed}/confusion_matrix.png",
            caption="../report/captions/confusion_matrix.rst",
            category="{exercise}",
            subcategory="seed {seed}",
        ),
        loss_curves=report(
            "results/figures/{exercise}/seed{seed}/loss_curves.png",
            caption="../report/captions/loss_curves.rst",
            category="{exercise}",
            subcategory="seed {seed}",
        ),
    log:
        "logs/figures/{exercise}/seed{seed}.log",
    benchmark:
        "benchmarks/figures/{exercise}/seed{seed}.tsv"
    conda:
        "../envs/workflow.yaml"
    params:
        title=exercise_title,
        validation_label=validation_label,
    script:
        "../scripts/figures.py"


rule uncertainty:
    input:
        probabilities="results/mc_dropout/{exercise}/seed{seed}/probabilities.npz",
        predictions="results/training/{exercise}/seed{seed}/predictions.npz",
    output:
        per_sample="results/uncertainty/{exercise}/seed{seed}/per_sample.csv",
        summary="results/uncertainty/{exercise}/seed{seed}/summary.json",
    log:
        "logs/uncertainty/{exercise}/seed{seed}.log",
    benchmark:
        "benchmarks/uncertainty/{exercise}/seed{seed}.tsv"
    conda:
        "../envs/workflow.yaml"
    script:
        "../scripts/uncertainty.py"


rule mc_figures:
    input:
        per_sample="results/uncertainty/{exercise}/seed{seed}/per_sample.csv",
        summary="results/uncertainty/{exercise}/seed{seed}/summary.json",
        subset=test_images,
    output:
        predictive_variance=report(
            "results/figures/{exercise}/seed{seed}/predictive_variance.png",
            caption="../report/captions/predictive_variance.rst",
            category="{exercise}",
            subcategory="seed {seed}",
        ),
        mutual_information=report(
            "results/figures/{exercise}/seed{seed}/mutual_information.png",
            caption="../report/captions/mutual_information.rst",
            category="{exercise}",
            subcategory="seed {seed}",
        ),
        reliability_diagram=report(
            "results/figures/{exercise}/seed{seed}/reliability_diagram.png",
            caption="../report/captions/reliability_diagram.rst",
            category="{exercise}",
            subcategory="seed {seed}",
        ),
        highest_mutual_information=report(
            "results/figures/{exercise}/seed{seed}/highest_mutual_information.png",
            caption="../report/captions/highest_mutual_information.rst",
            category="{exercise}",
            subcategory="seed {seed}",
        ),
    log:
        "logs/mc_figures/{exercise}/seed{seed}.log",
    benchmark:
        "benchmarks/mc_figures/{exercise}/seed{seed}.tsv"
    conda:
        "../envs/workflow.yaml"
    params:
        title=exercise_title,
    script:
        "../scripts/mc_figures.py"
