"""Tests of dataset sources: local folders and archives, official downloads."""

import functools
import http.server
import io
import shutil
import tarfile
import threading
import zipfile

import pytest

from dl_exercises.files import read_json
from dl_exercises.sources import ChecksumError, DownloadError, fetch_dataset

MNIST_FILES = [
    "t10k-images-idx3-ubyte.gz",
    "t10k-labels-idx1-ubyte.gz",
    "train-images-idx3-ubyte.gz",
    "train-labels-idx1-ubyte.gz",
]
CIFAR10_SUBSET_ARCHIVE_SHA256 = "b57d7190489ca434480d4bcd15c0ee191ceac9a606534d0d48e0377c1544db3f"


def read_sums(path):
    """Return `{file name: sha256}` from a sha256sum listing."""
    sums = {}
    for line in path.read_text().splitlines():
        sha256, name = line.split()
        sums[name] = sha256
    return sums


def local(path, stand_in=False):
    return {"source": "local", "path": str(path), "stand_in": stand_in}


OFFICIAL = {"source": "official", "path": None, "stand_in": False}


@pytest.fixture(autouse=True)
def keras_home(tmp_path, monkeypatch):
    """Point the download cache at a fresh folder, never at ~/.keras."""
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "keras"))
    return tmp_path / "keras"


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format, *args):
        pass


@pytest.fixture
def http_folder(tmp_path):
    """Serve a fresh folder over HTTP on 127.0.0.1; yield (folder, base URL)."""
    folder = tmp_path / "served"
    folder.mkdir()
    handler = functools.partial(QuietHandler, directory=str(folder))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield folder, f"http://127.0.0.1:{server.server_address[1]}/"
    server.shutdown()
    server.server_close()
    thread.join()


def test_local_mnist_folder(shared_data, tmp_path):
    out_dir = tmp_path / "raw" / "mnist"
    fetch_dataset("mnist", local(shared_data / "mnist"), out_dir)

    manifest = read_json(out_dir / "manifest.json")
    sums = read_sums(shared_data / "mnist" / "SHA256SUMS")
    assert sorted(path.name for path in out_dir.iterdir()) == sorted(MNIST_FILES + ["manifest.json"])
    assert manifest["dataset"] == "mnist"
    assert manifest["source"] == "local"
    assert manifest["path"] == str(shared_data / "mnist")
    assert manifest["stand_in"] is False
    assert manifest["archive"] is None
    assert {name: entry["sha256"] for name, entry in manifest["files"].items()} == sums
    assert manifest["files"]["train-labels-idx1-ubyte.gz"]["bytes"] == 28857
    # The shared copy is recompressed: only its decompressed content is official.
    assert manifest["matches_official"] is True
    assert "4 of 4 files matched" in manifest["official_check"]


def test_local_mnist_zip_archive(shared_data, tmp_path):
    archive = tmp_path / "mnist.zip"
    with zipfile.ZipFile(archive, "w") as zip_file:
        for name in MNIST_FILES:
            zip_file.write(shared_data / "mnist" / name, f"mnist/{name}")
    out_dir = tmp_path / "raw" / "mnist"

    with pytest.raises(FileNotFoundError, match="is missing train-images-idx3-ubyte.gz"):
        fetch_dataset("mnist", local(archive), out_dir)

    with zipfile.ZipFile(archive, "w") as zip_file:
        for name in MNIST_FILES:
            zip_file.write(shared_data / "mnist" / name, name)
    manifest = fetch_dataset("mnist", local(archive), out_dir)
    assert manifest["archive"]["name"] == "mnist.zip"
    assert manifest["matches_official"] is True
    assert sorted(manifest["files"]) == MNIST_FILES


def test_local_cifar10_archive(shared_data, tmp_path):
    archive = shared_data / "cifar10" / "cifar-10-binary-subset.tar.gz"
    out_dir = tmp_path / "raw" / "cifar10"
    manifest = fetch_dataset("cifar10", local(archive), out_dir)

    assert manifest == read_json(out_dir / "manifest.json")
    assert manifest["archive"] == {
        "name": "cifar-10-binary-subset.tar.gz",
        "sha256": CIFAR10_SUBSET_ARCHIVE_SHA256,
    }
    assert sorted(manifest["files"]) == [
        "cifar-10-batches-bin/batches.meta.txt",
        "cifar-10-batches-bin/data_batch_1.bin",
        "cifar-10-batches-bin/test_batch.bin",
    ]
    assert manifest["files"]["cifar-10-batches-bin/data_batch_1.bin"]["bytes"] == 5000 * 3073
    assert manifest["files"]["cifar-10-batches-bin/test_batch.bin"]["bytes"] == 1000 * 3073
    assert manifest["matches_official"] is False
    assert "differed" in manifest["official_check"]
    assert not list(tmp_path.glob("raw/.*"))


def test_local_cifar10_folder(shared_data, tmp_path):
    with tarfile.open(shared_data / "cifar10" / "cifar-10-binary-subset.tar.gz") as tar:
        tar.extractall(tmp_path / "extracted", filter="data")

    for folder in (tmp_path / "extracted", tmp_path / "extracted" / "cifar-10-batches-bin"):
        out_dir = tmp_path / "raw" / "cifar10"
        manifest = fetch_dataset("cifar10", local(folder), out_dir)
        assert manifest["archive"] is None
        assert manifest["matches_official"] is False
        assert manifest["official_check"].startswith("not compared")
        assert (out_dir / "cifar-10-batches-bin" / "data_batch_1.bin").stat().st_size == 5000 * 3073


def test_local_svhn_stand_in(shared_data, tmp_path):
    out_dir = tmp_path / "raw" / "svhn"
    manifest = fetch_dataset("svhn", local(shared_data / "svhn-standin", stand_in=True), out_dir)

    assert manifest["stand_in"] is True
    assert manifest["matches_official"] is False
    assert "0 of 2 files matched" in manifest["official_check"]
    assert manifest["files"]["train_32x32.mat"]["sha256"] == (
        "b95ab0903c5f762468e8c13c7d5da1788c8e98f92a1045005c59474240aeb168"
    )
    assert sorted(path.name for path in out_dir.iterdir()) == [
        "manifest.json",
        "test_32x32.mat",
        "train_32x32.mat",
    ]


def test_local_path_missing(tmp_path):
    missing = tmp_path / "no-such-folder"
    with pytest.raises(FileNotFoundError) as error:
        fetch_dataset("svhn", local(missing), tmp_path / "raw" / "svhn")
    assert str(missing) in str(error.value)
    assert "datasets.svhn.path" in str(error.value)
    assert list((tmp_path / "raw").iterdir()) == []


def test_local_folder_missing_file(shared_data, tmp_path):
    folder = tmp_path / "partial"
    folder.mkdir()
    for name in MNIST_FILES[1:]:
        shutil.copy(shared_data / "mnist" / name, folder / name)

    with pytest.raises(FileNotFoundError, match="is missing t10k-images-idx3-ubyte.gz"):
        fetch_dataset("mnist", local(folder), tmp_path / "raw" / "mnist")
    assert list((tmp_path / "raw").iterdir()) == []


def test_local_source_replaces_old_output(shared_data, tmp_path):
    out_dir = tmp_path / "raw" / "svhn"
    out_dir.mkdir(parents=True)
    (out_dir / "stale.txt").write_text("left by an older run")

    fetch_dataset("svhn", local(shared_data / "svhn-standin"), out_dir)
    assert not (out_dir / "stale.txt").exists()
    assert (out_dir / "train_32x32.mat").is_file()


def test_official_mnist_download(shared_data, tmp_path, http_folder):
    served, base_url = http_folder
    for name in MNIST_FILES:
        shutil.copy(shared_data / "mnist" / name, served / name)
    sums = read_sums(shared_data / "mnist" / "SHA256SUMS")
    out_dir = tmp_path / "raw" / "mnist"

    manifest = fetch_dataset(
        "mnist", OFFICIAL, out_dir, base_urls={"mnist": base_url}, checksums={"mnist": sums}
    )
    assert manifest["source"] == "official"
    assert sorted(manifest["urls"]) == sorted(base_url + name for name in MNIST_FILES)
    assert {name: entry["sha256"] for name, entry in manifest["files"].items()} == sums
    assert manifest["matches_official"] is True
    assert sorted(path.name for path in out_dir.iterdir()) == sorted(MNIST_FILES + ["manifest.json"])


def test_official_cifar10_download(shared_data, tmp_path, http_folder):
    served, base_url = http_folder
    shutil.copy(
        shared_data / "cifar10" / "cifar-10-binary-subset.tar.gz",
        served / "cifar-10-binary.tar.gz",
    )
    checksums = {"cifar10": {"cifar-10-binary.tar.gz": CIFAR10_SUBSET_ARCHIVE_SHA256}}
    out_dir = tmp_path / "raw" / "cifar10"

    manifest = fetch_dataset(
        "cifar10", OFFICIAL, out_dir, base_urls={"cifar10": base_url}, checksums=checksums
    )
    assert manifest["urls"] == [base_url + "cifar-10-binary.tar.gz"]
    assert manifest["archive"]["sha256"] == CIFAR10_SUBSET_ARCHIVE_SHA256
    # The truncated archive passed the test's table, not the official checksum.
    assert manifest["matches_official"] is False
    assert sorted(path.name for path in out_dir.iterdir()) == ["cifar-10-batches-bin", "manifest.json"]


def test_official_checksum_mismatch(shared_data, tmp_path, http_folder):
    served, base_url = http_folder
    shutil.copy(shared_data / "svhn-standin" / "train_32x32.mat", served / "train_32x32.mat")
    expected = "0" * 64
    raw = tmp_path / "raw"

    with pytest.raises(ChecksumError) as error:
        fetch_dataset(
            "svhn",
            OFFICIAL,
            raw / "svhn",
            base_urls={"svhn": base_url},
            checksums={"svhn": {"train_32x32.mat": expected}},
        )
    message = str(error.value)
    assert "train_32x32.mat" in message
    assert base_url + "train_32x32.mat" in message
    assert expected in message
    assert "b95ab0903c5f762468e8c13c7d5da1788c8e98f92a1045005c59474240aeb168" in message
    assert "datasets.svhn.source to local" in message
    assert list(raw.iterdir()) == []


def test_official_http_404(tmp_path, http_folder):
    _, base_url = http_folder
    raw = tmp_path / "raw"

    with pytest.raises(DownloadError) as error:
        fetch_dataset("mnist", OFFICIAL, raw / "mnist", base_urls={"mnist": base_url})
    assert "404" in str(error.value)
    assert base_url in str(error.value)
    assert list(raw.iterdir()) == []


def write_tar(path, members):
    """Write a .tar.gz archive of `(TarInfo, bytes or None)` pairs."""
    with tarfile.open(path, "w:gz") as tar:
        for info, content in members:
            if content is None:
                tar.addfile(info)
            else:
                info.size = len(content)
                tar.addfile(info, io.BytesIO(content))


def test_tar_member_outside_folder_rejected(tmp_path):
    archive = tmp_path / "bad.tar.gz"
    write_tar(archive, [(tarfile.TarInfo("../escaped.bin"), b"x")])

    with pytest.raises(ValueError, match=r"member '\.\./escaped\.bin' would be written outside"):
        fetch_dataset("svhn", local(archive), tmp_path / "raw" / "svhn")
    assert not (tmp_path / "raw" / "escaped.bin").exists()
    assert list((tmp_path / "raw").iterdir()) == []


def test_tar_symlink_rejected(tmp_path):
    archive = tmp_path / "link.tar.gz"
    link = tarfile.TarInfo("train_32x32.mat")
    link.type = tarfile.SYMTYPE
    link.linkname = "/etc/hostname"
    write_tar(archive, [(link, None)])

    with pytest.raises(ValueError, match="'train_32x32.mat' is a link or special file"):
        fetch_dataset("svhn", local(archive), tmp_path / "raw" / "svhn")


def test_zip_member_outside_folder_rejected(tmp_path):
    archive = tmp_path / "bad.zip"
    with zipfile.ZipFile(archive, "w") as zip_file:
        zip_file.writestr("../../escaped.bin", b"x")

    with pytest.raises(ValueError, match="would be written outside the extraction folder"):
        fetch_dataset("svhn", local(archive), tmp_path / "raw" / "svhn")


def test_unsupported_archive_rejected(tmp_path):
    archive = tmp_path / "svhn.rar"
    archive.write_bytes(b"not an archive")

    with pytest.raises(ValueError, match="svhn.rar is not a supported archive"):
        fetch_dataset("svhn", local(archive), tmp_path / "raw" / "svhn")
