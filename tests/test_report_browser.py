"""The HTML report in headless Chromium: answers visible, images decoded, fits a laptop.

The report itself contains no script. Each test renders a report from
synthetic results with real PNG figures, copies it to a probe page with one
inline script that records what the browser laid out, and reads that record
back from Chromium's `--dump-dom` output.
"""

import html as html_module
import json
import os
import re
import shutil
import struct
import subprocess
from pathlib import Path

import numpy as np
import pytest
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.image import imread

from dl_exercises.answers import gather_answers
from dl_exercises.report import render_report
from synthetic_results import (
    REPOSITORY,
    write_benchmarks,
    write_inputs,
    write_uncertainty_summaries,
)

CHROMIUM = Path("/usr/bin/chromium")
LAPTOP_WINDOW = (1366, 768)
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    # Resolve no host name at all, so the page cannot reach a network.
    "--host-resolver-rules=MAP * ~NOTFOUND",
]
FIGURE_NAMES = {
    "ex1": ["confusion_matrix", "loss_curves"],
    "ex3": ["confusion_matrix", "loss_curves", "mutual_information", "reliability_diagram"],
    "ex6": [
        "confusion_matrix",
        "loss_curves",
        "predictive_variance",
        "mutual_information",
        "reliability_diagram",
        "highest_mutual_information",
    ],
}

# Records, once the page has loaded, each image's decode state and each
# summary answer cell's text, box and visibility, in a <pre id="probe">.
PROBE_SCRIPT = """
<script>
window.addEventListener("load", function () {
  var images = Array.from(document.images).map(function (image) {
    return {alt: image.alt, loaded: image.complete && image.naturalWidth > 0};
  });
  var answers = Array.from(document.querySelectorAll("#summary td.answer")).map(function (cell) {
    var box = cell.getBoundingClientRect();
    var style = window.getComputedStyle(cell);
    return {row: cell.parentElement.id, text: cell.innerText, width: box.width,
            height: box.height, visibility: style.visibility, display: style.display};
  });
  var record = document.createElement("pre");
  record.id = "probe";
  record.textContent = JSON.stringify({
    images: images, answers: answers,
    scrollWidth: document.documentElement.scrollWidth,
    clientWidth: document.documentElement.clientWidth
  });
  document.body.appendChild(record);
});
</script>
"""


@pytest.fixture(scope="module")
def chromium():
    """Return the Chromium binary; fail in CI and skip elsewhere when it is missing."""
    if not CHROMIUM.exists():
        message = f"{CHROMIUM} not found; install Debian's chromium package (.ci/run does)"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    return CHROMIUM


def write_real_figures(root, seeds, broken=None):
    """Write small real PNG figures; write invalid bytes at the figure named `broken`."""
    paths = []
    for exercise, names in FIGURE_NAMES.items():
        for seed in seeds:
            for name in names:
                path = Path(root) / "results" / "figures" / exercise / f"seed{seed}" / f"{name}.png"
                path.parent.mkdir(parents=True, exist_ok=True)
                if name == broken:
                    path.write_bytes(b"\x89PNG\r\n\x1a\nnot an image")
                else:
                    figure = Figure(figsize=(3, 2), dpi=50)
                    FigureCanvasAgg(figure)
                    figure.add_subplot().plot(np.arange(5), np.arange(5) ** 2)
                    figure.savefig(path, format="png")
                paths.append(str(path))
    return paths


def render(tmp_path, broken=None):
    """Render a report of synthetic results with real figures; return its path and answers."""
    inputs = write_inputs(tmp_path)
    gather_answers(**inputs)
    html_path = tmp_path / "results" / "report.html"
    render_report(
        inputs["json_path"],
        write_real_figures(tmp_path, inputs["seeds"], broken),
        REPOSITORY / "report" / "report.html.j2",
        "Deep-learning exercises",
        inputs["exercises"],
        inputs["seeds"],
        html_path,
        uncertainty_paths=write_uncertainty_summaries(tmp_path, inputs["exercises"], inputs["seeds"]),
        benchmark_paths=write_benchmarks(tmp_path),
        specification_path=REPOSITORY / "report" / "specification_defaults.yaml",
        run_settings={"threads": 2, "weights": {"mobilenet_v2": "none"}, "config_sha256": "0" * 64},
    )
    with open(inputs["json_path"], encoding="utf-8") as handle:
        answers = json.load(handle)["answers"]
    return html_path, answers


def run_chromium(chromium, tmp_path, *arguments):
    """Run headless Chromium with a fresh profile folder; return its stdout."""
    profile = tmp_path / "chromium-profile"
    profile.mkdir(exist_ok=True)
    command = [
        str(chromium),
        *CHROMIUM_FLAGS,
        f"--user-data-dir={profile}",
        f"--window-size={LAPTOP_WINDOW[0]},{LAPTOP_WINDOW[1]}",
        *arguments,
    ]
    process = subprocess.run(command, capture_output=True, text=True, timeout=180, check=False)
    assert process.returncode == 0, process.stderr[-3000:]
    return process.stdout


def probe(chromium, tmp_path, html_path):
    """Load the report with the probe script in Chromium and return the probe record."""
    page = html_path.read_text(encoding="utf-8")
    assert "<script" not in page, "the report itself must contain no script"
    probe_path = html_path.with_name("probe.html")
    probe_path.write_text(page.replace("</body>", PROBE_SCRIPT + "</body>"), encoding="utf-8")
    dom = run_chromium(
        chromium, tmp_path, "--virtual-time-budget=10000", "--dump-dom", probe_path.as_uri()
    )
    match = re.search(r'<pre id="probe">(.*?)</pre>', dom, re.DOTALL)
    assert match, f"the probe script left no record; DOM tail: {dom[-2000:]}"
    return json.loads(html_module.unescape(match.group(1)))


def png_size(path):
    """Return (width, height) from a PNG's IHDR chunk."""
    data = Path(path).read_bytes()
    assert data.startswith(b"\x89PNG\r\n\x1a\n")
    return struct.unpack(">II", data[16:24])


@pytest.fixture(scope="module")
def rendered(tmp_path_factory):
    tmp_path = tmp_path_factory.mktemp("browser")
    html_path, answers = render(tmp_path)
    return tmp_path, html_path, answers


def test_browser_loads_every_image(chromium, rendered):
    tmp_path, html_path, _ = rendered
    record = probe(chromium, tmp_path, html_path)
    expected = sum(len(names) for names in FIGURE_NAMES.values()) * 2
    assert len(record["images"]) == expected
    failed = [image["alt"] for image in record["images"] if not image["loaded"]]
    assert failed == []


def test_browser_shows_every_answer(chromium, rendered):
    tmp_path, html_path, answers = rendered
    record = probe(chromium, tmp_path, html_path)
    cells = {cell["row"]: cell for cell in record["answers"]}
    assert len(answers) == 9
    for answer in answers:
        cell = cells[f"question-{answer['question']}"]
        assert cell["text"].startswith(f"{answer['rounded']:.3f}"), cell
        assert cell["width"] > 0, cell
        assert cell["height"] > 0, cell
        assert cell["visibility"] == "visible", cell
        assert cell["display"] != "none", cell


def test_browser_page_fits_laptop_width(chromium, rendered):
    tmp_path, html_path, _ = rendered
    record = probe(chromium, tmp_path, html_path)
    assert record["clientWidth"] <= LAPTOP_WINDOW[0]
    assert record["scrollWidth"] <= record["clientWidth"], record["scrollWidth"]


def test_browser_screenshot(chromium, rendered):
    tmp_path, html_path, _ = rendered
    screenshot = tmp_path / "report.png"
    # Without a virtual-time budget Chromium may capture a large page before
    # its first paint, which gives a blank image.
    run_chromium(
        chromium,
        tmp_path,
        "--virtual-time-budget=10000",
        f"--screenshot={screenshot}",
        html_path.as_uri(),
    )
    assert png_size(screenshot) == LAPTOP_WINDOW
    pixels = imread(screenshot)
    assert pixels.std() > 0.05, "the screenshot is blank"
    # Keep a copy for a person to look at when a path is given.
    destination = os.environ.get("REPORT_SCREENSHOT")
    if destination:
        shutil.copyfile(screenshot, destination)


def test_browser_prints_to_pdf(chromium, rendered):
    tmp_path, html_path, _ = rendered
    pdf = tmp_path / "report.pdf"
    run_chromium(
        chromium, tmp_path, "--no-pdf-header-footer", f"--print-to-pdf={pdf}", html_path.as_uri()
    )
    data = pdf.read_bytes()
    assert data.startswith(b"%PDF-")
    # The summary, each of the six exercise sections and the provenance
    # start a new page in print.
    pages = len(re.findall(rb"/Type\s*/Page(?!s)", data))
    assert pages >= 8, pages


def test_browser_detects_broken_image(chromium, tmp_path):
    html_path, _ = render(tmp_path, broken="reliability_diagram")
    record = probe(chromium, tmp_path, html_path)
    failed = sorted(image["alt"] for image in record["images"] if not image["loaded"])
    assert len(failed) == 4
    assert all(alt.startswith("Reliability diagram") for alt in failed)
