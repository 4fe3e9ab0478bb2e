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
    conda:
        "../envs/workflow.yaml"
    params:
        exercises=config["exercises"],
        seeds=config["seeds"],
        datasets=config["datasets"],
        weights=config["weights"],
    script:
        "../scripts/gather_answers.py"


rule report:
    input:
        answers="results/answers.json",
        figures=report_figures,
        uncertainty=uncertainty_summaries,
        benchmarks=job_benchmarks,
        specification="report/specification_defaults.yaml",
        template="report/report.html.j2",
    output:
        html="results/report.html",
    log:
        "logs/report.log",
    benchmark:
        "benchmarks/report.tsv"
    conda:
        "../envs/workflow.yaml"
    params:
        title=config["report"]["title"],
        exercises=config["exercises"],
        seeds=config["seeds"],
        threads=config["threads"],
        weights=config["weights"],
        config_sha256=config_checksum(),
    script:
        "../scripts/report.py"
