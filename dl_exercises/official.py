"""The official releases: upstream URLs, checksums, and the comparison with them."""

import gzip
import hashlib

# Upstream locations, as TFDS 4.9.10 downloads them. A mirror source serves
# the same file names under its own base URL.
OFFICIAL_BASE_URLS = {
    "mnist": "https://storage.googleapis.com/cvdf-datasets/mnist/",
    "cifar10": "https://www.cs.toronto.edu/~kriz/",
    "svhn": "http://ufldl.stanford.edu/housenumbers/",
}

# SHA-256 of each official download, from TFDS 4.9.10
# (url_checksums/mnist.txt, url_checksums/cifar10.txt and
# datasets/svhn_cropped/checksums.tsv).
OFFICIAL_SHA256 = {
    "mnist": {
        "train-images-idx3-ubyte.gz": "440fcabf73cc546fa21475e81ea370265605f56be210a4024d2ca8f203523609",
        "train-labels-idx1-ubyte.gz": "3552534a0a558bbed6aed32b30c495cca23d567ec52cac8be1a0730e8010255c",
        "t10k-images-idx3-ubyte.gz": "8d422c7b0a1c1c79245a5bcf07fe86e33eeafee792b84584aec276f5a2dbc4e6",
        "t10k-labels-idx1-ubyte.gz": "f7ae60f92e00ec6debd23a6088c31dbd2371eca3ffa0defaefb259924204aec6",
    },
    "cifar10": {
        "cifar-10-binary.tar.gz": "c4a38c50a1bc5f3a1c5537f2155ab9d68f9f25eb1ed8d9ddda3db29a59bca1dd",
    },
    "svhn": {
        "train_32x32.mat": "435e94d69a87fde4fd4d7f3dd208dfc32cb6ae8af2240d066de1df7508d083b8",
        "test_32x32.mat": "cdce80dfb2a2c4c6160906d0bd7c68ec5a99d7ca4831afa54f09182025b6a75b",
    },
}

# SHA-256 of the decompressed official MNIST IDX files, keyed by the `.gz`
# name. A recompressed copy has other `.gz` bytes but the same content.
# NOTE: these come from the SHA256SUMS.uncompressed file published beside a
# recompressed copy. They were not recomputed from an upstream download.
MNIST_IDX_SHA256 = {
    "train-images-idx3-ubyte.gz": "ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db",
    "train-labels-idx1-ubyte.gz": "65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5",
    "t10k-images-idx3-ubyte.gz": "0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7",
    "t10k-labels-idx1-ubyte.gz": "ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2",
}


def compare_with_official(dataset, folder, files, archive):
    """Return whether the files hold the official content, and what was compared.

    Args:
        dataset: the dataset name.
        folder: the folder holding the files.
        files: `{relative name: {"sha256", "bytes"}}` of the files.
        archive: `{"name", "sha256"}` of the source archive, or None.

    Returns:
        `(matches_official, official_check)`: a bool and a sentence.
    """
    if dataset == "mnist":
        return _compare_mnist(folder, files)
    if dataset == "cifar10":
        return _compare_cifar10(archive)
    return _compare_files(dataset, files)


def _compare_mnist(folder, files):
    matched = 0
    for name, expected in OFFICIAL_SHA256["mnist"].items():
        if files[name]["sha256"] == expected or _gunzip_sha256(folder / name) == MNIST_IDX_SHA256[name]:
            matched += 1
    total = len(OFFICIAL_SHA256["mnist"])
    check = (
        f"{matched} of {total} files matched the official content. Each .gz file's "
        "sha256 was compared with the official download and, where it differed, "
        "the sha256 of its decompressed IDX content with that of the official file."
    )
    return matched == total, check


def _gunzip_sha256(path, chunk_size=1 << 20):
    digest = hashlib.sha256()
    with gzip.open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(chunk_size), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _compare_cifar10(archive):
    (name,) = OFFICIAL_SHA256["cifar10"]
    if archive is None:
        return False, (
            f"not compared, because only the archive {name} has an official sha256 "
            "and the source was a folder of extracted .bin files"
        )
    matches = archive["sha256"] == OFFICIAL_SHA256["cifar10"][name]
    outcome = "matched" if matches else "differed from"
    return matches, f"the sha256 of the archive {archive['name']} {outcome} that of the official {name}"


def _compare_files(dataset, files):
    official = OFFICIAL_SHA256[dataset]
    matched = sum(files[name]["sha256"] == sha256 for name, sha256 in official.items())
    check = f"{matched} of {len(official)} files matched the sha256 of the official download"
    return matched == len(official), check
