"""Pinned, checksummed, cached downloads (stdlib only).

Every file the build needs from a registry is listed in PINS with its URL and sha256.
`fetch(name)` returns the path of the cached file after checking its sha256, downloading
it first if it is not cached. A cached file with the wrong sha256 is deleted and the build
stops (FetchError names the file); the next run downloads it again.

Cache root: `.cache/` at the repo root, or $MGV_CACHE_DIR. Downloads live in
`<cache>/downloads/`, the extracted Pyodide runtime in `<cache>/runtime/` (see build.py).
"""
import hashlib
import os
import pathlib
import urllib.request
from typing import NamedTuple

ROOT = pathlib.Path(__file__).resolve().parent.parent


class Pin(NamedTuple):
    file: str
    url: str
    sha256: str


PYODIDE_VERSION = "314.0.7"
PYGMENTS_VERSION = "2.20.0"
AXE_CORE_VERSION = "4.14.1"

PINS = {
    # npm: `npm view pyodide@314.0.7 dist.tarball`; sha256 of the tarball itself.
    "pyodide": Pin(
        f"pyodide-{PYODIDE_VERSION}.tgz",
        f"https://registry.npmjs.org/pyodide/-/pyodide-{PYODIDE_VERSION}.tgz",
        "66b7949e5a0cba2250b586d7e368bf12fb482800748d182c4618254b685ffaa0"),
    # PyPI: https://pypi.org/pypi/pygments/json, releases["2.20.0"], the py3-none-any wheel.
    "pygments": Pin(
        f"pygments-{PYGMENTS_VERSION}-py3-none-any.whl",
        "https://files.pythonhosted.org/packages/f4/7e/"
        "a72dd26f3b0f4f2bf1dd8923c85f7ceb43172af56d63c7383eb62b332364/"
        f"pygments-{PYGMENTS_VERSION}-py3-none-any.whl",
        "81a9e26dd42fd28a23a2d169d86d7ac03b46e2f8b59ed4698fb4785f946d0176"),
    # Bundled data sets (scripts/datasets.py): Sindre Sorhus's MIT-licensed npm name lists.
    # `npm view NAME@VERSION dist.tarball`; sha256 of the tarball itself.
    "pokemon": Pin(
        "pokemon-3.3.1.tgz", "https://registry.npmjs.org/pokemon/-/pokemon-3.3.1.tgz",
        "da7e5af66fb4de8a6dc6470f69ebb541098d31f2a4ed7b12704fc79b45870e37"),
    "superheroes": Pin(
        "superheroes-4.0.0.tgz", "https://registry.npmjs.org/superheroes/-/superheroes-4.0.0.tgz",
        "0ddf55eb132811bbc4179779ff592522e159c00356a76ea9604771ec9ca802a2"),
    "dog-names": Pin(
        "dog-names-3.0.1.tgz", "https://registry.npmjs.org/dog-names/-/dog-names-3.0.1.tgz",
        "0c1ffae34bebff6b61dd1197904047b09d52d2e103b00f0198036aa20d7c9d0d"),
    # For the tests only (tests/e2e/test_accessibility.py runs its axe.min.js in the page); the
    # build checks it like the others but never copies it into the site or the zip.
    # `npm view axe-core@4.14.1 dist` (its sha512 integrity matches); sha256 of the tarball itself.
    "axe-core": Pin(
        f"axe-core-{AXE_CORE_VERSION}.tgz", f"https://registry.npmjs.org/axe-core/-/axe-core-{AXE_CORE_VERSION}.tgz",
        "e6b0ce02b84d892e2e33e403485e7f3d6c29e2be6df65daf44d89ba564139745"),
}


class FetchError(Exception):
    pass


def cache_root() -> pathlib.Path:
    return pathlib.Path(os.environ.get("MGV_CACHE_DIR") or ROOT / ".cache").resolve()


def downloads_dir() -> pathlib.Path:
    return cache_root() / "downloads"


def sha256_of(path: pathlib.Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def _verify(path: pathlib.Path, pin: Pin, what: str) -> None:
    got = sha256_of(path)
    if got != pin.sha256:
        path.unlink(missing_ok=True)
        raise FetchError(
            f"checksum mismatch for {what} {path}: expected sha256 {pin.sha256}, got {got}. "
            "The file was deleted; run the build again to download it.")


def _download(pin: Pin, dest: pathlib.Path) -> None:
    dest.parent.mkdir(parents=True, exist_ok=True)
    part = dest.with_name(f"{dest.name}.{os.getpid()}.part")
    print(f"  downloading {pin.url}", flush=True)
    req = urllib.request.Request(pin.url, headers={"User-Agent": "microgpt-viz-build"})
    try:
        with urllib.request.urlopen(req, timeout=120) as resp, open(part, "wb") as out:
            while chunk := resp.read(1 << 20):
                out.write(chunk)
    except Exception as e:
        part.unlink(missing_ok=True)
        raise FetchError(f"download of {pin.file} from {pin.url} failed: {e}") from e
    _verify(part, pin, "downloaded file")
    os.replace(part, dest)  # only a verified file ever gets the cached name


def fetch(name: str) -> pathlib.Path:
    """The verified cached file for PINS[name]; downloads it if missing."""
    pin = PINS[name]
    path = downloads_dir() / pin.file
    if path.exists():
        _verify(path, pin, "cached file")
    else:
        _download(pin, path)
    return path


def check() -> list:
    """Verify every pinned file in the cache, without the network. Returns problems."""
    problems = []
    for name, pin in PINS.items():
        path = downloads_dir() / pin.file
        if not path.exists():
            problems.append(f"missing: {path}")
            continue
        try:
            _verify(path, pin, "cached file")
        except FetchError as e:
            problems.append(str(e))
    return problems
