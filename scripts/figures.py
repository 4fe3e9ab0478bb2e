"""Draw the confusion matrix and loss curves of one trained model."""

from dl_exercises.logs import log_to_file

log_to_file(snakemake.log[0])

from dl_exercises.figures import draw_training_figures  # noqa: E402

draw_training_figures(
    history_path=snakemake.input.history,
    predictions_path=snakemake.input.predictions,
    confusion_matrix_path=snakemake.output.confusion_matrix,
    loss_curves_path=snakemake.output.loss_curves,
    title=snakemake.params.title,
    validation_label=snakemake.params.validation_label,
)
