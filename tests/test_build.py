"""scripts/build.py: layout of dist/site, the zip, offline rebuilds, checksums.

Builds go to tmp folders with MGV_CACHE_DIR pointing at a tmp copy of the download cache, so
neither dist/ nor the real .cache/ is touched (the real cache is filled once if empty: the
only step that may use the network).
"""
import json
import pathlib
import shutil
import socket
import sys
import tarfile
import urllib.request
import zipfile

import pytest

ROOT = pathlib.Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # so `pytest` works from any folder, not only `python -m pytest`
from scripts import build, fetch  # noqa: E402


@pytest.fixture(scope="session")
def sources(tmp_path_factory):
    """Snapshots of www/ and py/, so edits made while the tests run cannot race them."""
    snap = tmp_path_factory.mktemp("src")
    for name in ("www", "py"):
        shutil.copytree(ROOT / name, snap / name, ignore=shutil.ignore_patterns("__pycache__"))
    return snap


@pytest.fixture(scope="session")
def py_dir(sources):
    return sources / "py"


@pytest.fixture(scope="session")
def www_dir(sources):
    return sources / "www"


@pytest.fixture(scope="session")
def seeded_cache(tmp_path_factory):
    """A tmp cache root holding verified copies of every pinned download."""
    root = tmp_path_factory.mktemp("cache")
    (root / "downloads").mkdir()
    for name in fetch.PINS:
        shutil.copy(fetch.fetch(name), root / "downloads")  # real cache; may download once
    return root


def copy_cache(seeded, dest):
    shutil.copytree(seeded / "downloads", dest / "downloads")
    return dest


def block_network(monkeypatch):
    def refuse(*a, **kw):
        raise AssertionError("network used")
    monkeypatch.setattr(urllib.request, "urlopen", refuse)
    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)


@pytest.fixture(scope="module")
def built(seeded_cache, py_dir, www_dir, tmp_path_factory):
    mp = pytest.MonkeyPatch()
    mp.setenv("MGV_CACHE_DIR", str(seeded_cache))
    block_network(mp)  # the seeded cache must satisfy the whole build
    try:
        out = tmp_path_factory.mktemp("dist")
        build.build(out, www=www_dir, py=py_dir, verbose=False)
    finally:
        mp.undo()
    return out


def load_bundle(path):
    text = path.read_text(encoding="utf-8")
    head, rest = text.split("MGV.bundle = ", 1)
    assert head == "window.MGV = window.MGV || {};\n"
    assert "</" not in rest and "\u2028" not in rest and "\u2029" not in rest
    return json.loads(rest.rstrip().removesuffix(";"))


def test_layout(built, www_dir):
    site = built / "site"
    assert (site / "index.html").read_bytes() == (www_dir / "index.html").read_bytes()
    for p in www_dir.rglob("*"):
        rel = p.relative_to(www_dir)
        if p.is_file() and rel.name != "index.html" and not rel.name.startswith("."):
            assert (site / "app" / rel).read_bytes() == p.read_bytes(), rel
    for name in build.RUNTIME_FILES:
        assert (site / "pyodide" / name).stat().st_size > 0, name
    assert (site / "pyodide" / "pyodide.asm.wasm").read_bytes()[:4] == b"\0asm"
    wheel = site / "wheels" / fetch.PINS["pygments"].file
    assert fetch.sha256_of(wheel) == fetch.PINS["pygments"].sha256
    for name in ("microgpt.py", "input.txt"):
        assert (site / name).read_bytes() == (ROOT / name).read_bytes()


def test_bundle(built, py_dir):
    b = load_bundle(built / "site" / "app" / "bundle.js")
    source = (ROOT / "microgpt.py").read_text(encoding="utf-8")
    assert b["files"]["microgpt.py"] == source
    assert b["files"]["input.txt"] == (ROOT / "input.txt").read_text(encoding="utf-8")
    assert {k for k in b["files"] if k.startswith("py/")} == {f"py/{p.name}" for p in py_dir.glob("*.py")}
    assert isinstance(b["source_map"], dict) and b["source_map"]
    assert len(b["tokens"]) == len(source.splitlines())
    assert all(len(pair) == 2 for line in b["tokens"] for pair in line)
    assert b["wheels"] == [{"name": "pygments", "file": f"wheels/{fetch.PINS['pygments'].file}",
                            "sha256": fetch.PINS["pygments"].sha256}]
    assert len(b["version"]) == 12


def test_zip_matches_site(built):
    site = built / "site"
    with zipfile.ZipFile(built / "microgpt-viz.zip") as zf:
        names = zf.namelist()
        assert {n.split("/")[0] for n in names} == {"microgpt-viz"}
        assert names == sorted(names)
        assert all(i.compress_type == zipfile.ZIP_DEFLATED for i in zf.infolist())
        files = {p.relative_to(site).as_posix(): p for p in site.rglob("*") if p.is_file()}
        assert sorted(n.removeprefix("microgpt-viz/") for n in names) == sorted(files)
        for n in names:
            assert zf.read(n) == files[n.removeprefix("microgpt-viz/")].read_bytes(), n


def test_runtime_dir_matches_tarball(seeded_cache, monkeypatch):
    monkeypatch.setenv("MGV_CACHE_DIR", str(seeded_cache))
    block_network(monkeypatch)
    rt = build.runtime_dir()
    assert rt.is_relative_to(seeded_cache)
    with tarfile.open(seeded_cache / "downloads" / fetch.PINS["pyodide"].file) as tf:
        for name in build.RUNTIME_FILES:
            assert (rt / name).read_bytes() == tf.extractfile(f"package/{name}").read(), name
    assert build.runtime_dir() == rt


def test_second_build_offline_and_reproducible(built, seeded_cache, py_dir, www_dir, tmp_path,
                                               monkeypatch):
    monkeypatch.setenv("MGV_CACHE_DIR", str(seeded_cache))
    block_network(monkeypatch)
    build.build(tmp_path, www=www_dir, py=py_dir, verbose=False)
    assert (tmp_path / "microgpt-viz.zip").read_bytes() == (built / "microgpt-viz.zip").read_bytes()


@pytest.mark.parametrize("name", sorted(fetch.PINS))
def test_corrupt_cache_file_is_caught(name, seeded_cache, py_dir, www_dir, tmp_path, monkeypatch):
    cache = copy_cache(seeded_cache, tmp_path / "cache")
    bad = cache / "downloads" / fetch.PINS[name].file
    data = bytearray(bad.read_bytes())
    data[len(data) // 2] ^= 0xFF
    bad.write_bytes(bytes(data))
    monkeypatch.setenv("MGV_CACHE_DIR", str(cache))
    block_network(monkeypatch)
    assert build.main(["--check"]) == 1
    bad.write_bytes(bytes(data))  # --check deleted it too
    with pytest.raises(fetch.FetchError, match=fetch.PINS[name].file):
        build.build(tmp_path / "out", www=www_dir, py=py_dir, verbose=False)
    assert not bad.exists()  # deleted, so the next run downloads it again
    assert not (tmp_path / "out" / "site").exists()


def test_check_ok(seeded_cache, monkeypatch, capsys):
    monkeypatch.setenv("MGV_CACHE_DIR", str(seeded_cache))
    block_network(monkeypatch)
    assert build.main(["--check"]) == 0
    assert "cache OK" in capsys.readouterr().out


def test_missing_index_html(tmp_path, py_dir):
    (tmp_path / "www").mkdir()
    with pytest.raises(build.BuildError, match="www/index.html missing"):
        build.build(tmp_path / "out", www=tmp_path / "www", py=py_dir, verbose=False)


def test_script_json_is_safe_in_script_tag():
    s = build.script_json({"a": "</script><!-- \u2028\u2029 é"})
    assert "</" not in s and "<!--" not in s and "\u2028" not in s and s.isascii()
    assert json.loads(s) == {"a": "</script><!-- \u2028\u2029 é"}


def test_py_inspect_does_not_shadow_stdlib(tmp_path, seeded_cache, monkeypatch):
    """py/inspect.py exists in the repo; the build must still import the stdlib's inspect."""
    monkeypatch.setenv("MGV_CACHE_DIR", str(seeded_cache))
    (tmp_path / "inspect.py").write_text("raise ImportError('py/inspect.py shadowed the stdlib')\n")
    (tmp_path / "highlight.py").write_text(
        "import pygments\ndef tokens(text):\n    return [[['', l]] for l in text.splitlines()]\n")
    (tmp_path / "source_map.py").write_text(
        "import dataclasses, inspect\ndef source_map(text):\n"
        "    return {'sig': str(inspect.signature(source_map))}\n")
    src = tmp_path / "m.py"
    src.write_text("a = 1\nb = 2\n")
    got = build.analyse(tmp_path, fetch.fetch("pygments"), src)
    assert got == {"tokens": [[["", "a = 1"]], [["", "b = 2"]]], "source_map": {"sig": "(text)"}}
