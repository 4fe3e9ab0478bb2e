# Monte Carlo dropout on the saved models, and the figures of every
# exercise. Figures jobs do not import TensorFlow.


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
        confusion_matrix="results/figures/{exercise}/seed{seed}/confusion_matrix.png",
        loss_curves="results/figures/{exercise}/seed{seed}/loss_curves.png",
    log:
        "logs/figures/{exercise}/seed{seed}.log",
    benchmark:
        "benchmarks/figures/{exercise}/seed{seed}.tsv"
    conda:
        "../envs/workflow.yaml"
    params:
        title=exercise_title,
    script:
        "../scripts/figures.py"


rule mc_figures:
    input:
        probabilities="results/mc_dropout/{exercise}/seed{seed}/probabilities.npz",
    output:
        predictive_variance="results/figures/{exercise}/seed{seed}/predictive_variance.png",
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
