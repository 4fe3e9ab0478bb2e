"""Cache the frozen backbone's pooled features of one exercise's subset."""

from dl_exercises.logs import log_to_file

log_to_file(snakemake.log[0])

from dl_exercises import features, runtime  # noqa: E402

# The rule has no seed wildcard. The frozen backbone in inference mode draws
# no random numbers, and with weights `none` the random initial weights come
# from this fixed seed.
FEATURE_SEED = 0

runtime.configure_tensorflow(FEATURE_SEED, snakemake.threads)
runtime.warn_if_threads_reduced(snakemake.threads, snakemake.params.threads)
features.extract_features(
    subset_path=snakemake.input.subset,
    weights_path=snakemake.input.get("weights"),
    weights_setting=snakemake.params.weights,
    model_config=snakemake.params.model,
    features_path=snakemake.output.features,
    manifest_path=snakemake.output.manifest,
)
