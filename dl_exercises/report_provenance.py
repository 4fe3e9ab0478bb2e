"""Provenance tables of the report: commit, checksums, versions, devices, runtimes."""

from dl_exercises import provenance
from dl_exercises.answers import data_source_label
from dl_exercises.files import sha256_file
from dl_exercises.report_format import flatten, format_value, metric_text, seed_order


def provenance_section(answers, seeds, run_settings, specification, specification_path, benchmarks):
    """Return the run-wide provenance: commit, checksums, versions, devices, runtimes."""
    runs = [
        record
        for exercise in answers["provenance"]["exercises"].values()
        for record in exercise.get("runs", {}).values()
    ]
    devices = sorted({str(run["evaluation"].get("device", "unknown")) for run in runs})
    threads = sorted({str(run["evaluation"].get("threads", "unknown")) for run in runs})
    training_versions = {}
    for run in runs:
        for package, version in run["evaluation"].get("versions", {}).items():
            training_versions.setdefault(package, set()).add(version)

    settings = [
        ("git commit", provenance.git_commit()),
        ("config sha256", run_settings.get("config_sha256", "unknown")),
        ("seeds", ", ".join(str(seed) for seed in seeds)),
        ("threads per TensorFlow job (config)", format_value(run_settings.get("threads"))),
        ("threads used by the training jobs", ", ".join(threads)),
        ("device of the training jobs", ", ".join(devices)),
        ("MobileNetV2 weights", format_value((run_settings.get("weights") or {}).get("mobilenet_v2"))),
    ]
    if specification_path is not None:
        settings.append(("specification defaults sha256", sha256_file(specification_path)))
    differing = [
        (key, format_value(run_settings.get(key)), format_value(specification[key]))
        for key in ("threads", "weights")
        if key in specification and key in run_settings and run_settings[key] != specification[key]
    ]
    if "seeds" in specification and list(seeds) != list(specification["seeds"]):
        differing.append(("seeds", format_value(list(seeds)), format_value(specification["seeds"])))
    return {
        "settings": settings,
        "differing": differing,
        "training_versions": [
            (package, ", ".join(sorted(versions)))
            for package, versions in sorted(training_versions.items())
        ],
        "report_versions": sorted(provenance.package_versions().items()),
        "datasets": dataset_rows(answers["provenance"]),
        "benchmarks": [
            {
                **row,
                "seconds_text": metric_text(row["seconds"], 1),
                "memory_text": metric_text(row["max_rss_mb"], 0),
                "cpu_text": metric_text(row["cpu_seconds"], 1),
            }
            for row in provenance.benchmark_rows(benchmarks)
        ],
    }


def dataset_rows(answers_provenance):
    """Return one row per dataset with its source label and archive or file checksums."""
    seen = {}
    for exercise in answers_provenance["exercises"].values():
        subset = exercise.get("subset_manifest")
        if not subset:
            continue
        source = subset["content"]["source"]
        if source["dataset"] in seen:
            continue
        archive = source.get("archive") or {}
        files = source.get("files") or {}
        seen[source["dataset"]] = {
            "dataset": source["dataset"],
            "label": data_source_label(source),
            "checksums": (
                [(f"archive {archive['name']} sha256", archive.get("sha256", ""))] if archive else []
            )
            + [(f"{name} sha256", record.get("sha256", "")) for name, record in sorted(files.items())],
        }
    return [seen[name] for name in sorted(seen)]


def subset_rows(subset):
    """Return (key, value) rows identifying the subset cache and its arrays."""
    content = subset["content"]
    rows = [
        ("manifest", subset["path"]),
        ("manifest sha256", subset["sha256"]),
        ("order", content.get("order", "")),
    ]
    for name, array in sorted(content.get("arrays", {}).items()):
        shape = "x".join(str(size) for size in array["shape"])
        rows.append((f"{name} ({array['dtype']}, {shape}) sha256", array["sha256"]))
    return rows


def source_file_rows(subset):
    """Return (key, value) rows of the raw dataset files and their checksums."""
    source = subset["content"]["source"]
    rows = [("source", source.get("source", ""))]
    if source.get("path"):
        rows.append(("path", source["path"]))
    for url in source.get("urls") or []:
        rows.append(("url", url))
    if source.get("official_check"):
        rows.append(("official check", source["official_check"]))
    for name, record in sorted((source.get("files") or {}).items()):
        rows.append((f"{name} sha256 ({record.get('bytes')} bytes)", record.get("sha256", "")))
    return rows


def run_rows(runs, seeds):
    """Return, per seed, (key, value) rows of the evaluation and MC metrics."""
    return [
        {
            "seed": seed,
            "evaluation": flatten(runs[seed]["evaluation"]),
            "mc_dropout": (
                flatten(runs[seed]["mc_dropout"]) if runs[seed].get("mc_dropout") else []
            ),
        }
        for seed in seed_order(runs, seeds)
    ]
