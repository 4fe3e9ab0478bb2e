# The answers to every question, and the HTML report that shows them with
# their configuration, figures and provenance. Neither imports TensorFlow.


rule gather_answers:
    input:
        unpack(answer_inputs),
    output:
        csv="results/answers.csv",
        json="results/answers.json",
    log:
        "logs/gather_answers.log",
    benchmark:
        "benchmarks/gather_answers.tsv"
    params:
        exercises=config["exercises"],
        seeds=config["seeds"],
        datasets=config["datasets"],
        weights=config["weights"],
        threads=config["threads"],
    conda:
        "../envs/workflow.yaml"
    script:
        "../scripts/gather_answers.py"


rule report:
    input:
        answers="results/answers.json",
        figures=report_figures,
        template="report/report.html.j2",
    output:
        html="results/report.html",
    log:
        "logs/report.log",
    benchmark:
        "benchmarks/report.tsv"
    params:
        title=config["report"]["title"],
        exercises=config["exercises"],
        seeds=config["seeds"],
    conda:
        "../envs/workflow.yaml"
    script:
        "../scripts/report.py"
