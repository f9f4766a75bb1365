"""Build microgpt-viz: dist/site/ (see docs/ARCHITECTURE.md) and dist/microgpt-viz.zip.

    python3 scripts/build.py                 # build (downloads once into .cache/downloads/)
    python3 scripts/build.py --serve [PORT]  # build, then serve dist/site on 127.0.0.1:PORT (8000)
    python3 scripts/build.py --check         # only verify the download cache (no network)

Stdlib only. Pygments (for build-time highlighting) comes from the pinned wheel, put on
sys.path of a child `python -I -S` so no installed copy is ever used.
Env: MGV_CACHE_DIR (cache root instead of .cache/), MGV_WWW_DIR, MGV_PY_DIR (alternate
www/ and py/ folders, for testing).
"""
import argparse
import hashlib
import http.server
import json
import os
import pathlib
import shutil
import subprocess
import sys
import tarfile
import time
import zipfile

try:
    from . import fetch, pack
except ImportError:  # run as a script: python3 scripts/build.py
    sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent.parent))
    from scripts import fetch, pack
from scripts import datasets
from scripts.site_server import handler

ROOT = fetch.ROOT
RUNTIME_FILES = ("pyodide.mjs", "pyodide.asm.mjs", "pyodide.asm.wasm",
                 "python_stdlib.zip", "pyodide-lock.json")
ZIP_TOP = "microgpt-viz"
TOP_LEVEL = ("index.html", "READ ME FIRST.txt")  # www/ files that sit beside index.html, not in app/
ZIP_TIME = (1980, 1, 1, 0, 0, 0)
GENERATED = ("bundle.js", "runtime-files.js", "worker-source.js")  # written into app/ by the build


class BuildError(Exception):
    pass


def runtime_dir() -> pathlib.Path:
    """Folder holding the five Pyodide boot files, extracted from the verified npm tarball."""
    tgz = fetch.fetch("pyodide")  # verifies sha256 every call (~20 ms)
    sha = fetch.PINS["pyodide"].sha256
    dest = fetch.cache_root() / "runtime" / f"pyodide-{fetch.PYODIDE_VERSION}"

    def ready(d):
        stamp = d / ".tarball-sha256"
        return (stamp.exists() and stamp.read_text().strip() == sha
                and all((d / n).is_file() for n in RUNTIME_FILES))

    if ready(dest):
        return dest
    tmp = dest.with_name(f"{dest.name}.{os.getpid()}.tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    with tarfile.open(tgz, "r:gz") as tf:
        for name in RUNTIME_FILES:
            src = tf.extractfile(f"package/{name}")
            if src is None:
                raise BuildError(f"{tgz.name} has no package/{name}")
            (tmp / name).write_bytes(src.read())
    (tmp / ".tarball-sha256").write_text(sha + "\n")
    if ready(dest):  # another process finished first
        shutil.rmtree(tmp)
    else:
        shutil.rmtree(dest, ignore_errors=True)
        os.replace(tmp, dest)
    return dest


# Runs in a child `python -I -S` (no site-packages, no cwd on sys.path): the wheel first on
# sys.path, py/ last (py/inspect.py must not shadow the stdlib's inspect).
_HELPER = r"""
import json, sys
wheel, pydir, path = sys.argv[1:4]
sys.path.insert(0, wheel)
sys.path.append(pydir)
import pygments, highlight, source_map
assert pygments.__file__.startswith(wheel), pygments.__file__
text = open(path, encoding="utf-8", newline="").read()
json.dump({"tokens": highlight.tokens(text), "source_map": source_map.source_map(text)},
          sys.stdout)
"""


def imported_modules(py_dir: pathlib.Path) -> list:
    """The top-level modules py/*.py import, other than py/'s own and pygments."""
    import ast
    own = {p.stem for p in py_dir.glob("*.py")} | {"pygments"}
    names = set()
    for p in py_dir.glob("*.py"):
        for node in ast.walk(ast.parse(p.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                names.update(a.name.split(".")[0] for a in node.names)
            elif isinstance(node, ast.ImportFrom) and node.level == 0:
                names.add(node.module.split(".")[0])
    return sorted(names - own)


def stdlib_zip(runtime: pathlib.Path, wheel: pathlib.Path, py_dir: pathlib.Path) -> bytes:
    """python_stdlib.zip with the modules Python's start and the app import precompiled
    (scripts/stdlib_pyc.mjs, run once per input under Node; cached beside the runtime)."""
    script = ROOT / "scripts" / "stdlib_pyc.mjs"
    modules = imported_modules(py_dir)
    key = hashlib.sha256(json.dumps([fetch.PINS["pyodide"].sha256, fetch.PINS["pygments"].sha256,
                                     script.read_text(), modules]).encode()).hexdigest()[:16]
    return _node_cached(runtime / f"python_stdlib.pyc-{key}.zip", script, [str(runtime), str(wheel)], modules,
                        "compiling the standard library")


def py_cache_zip(runtime: pathlib.Path, py_dir: pathlib.Path) -> bytes:
    """py/*.py compiled by Pyodide (scripts/py_pyc.mjs), the files of py/__pycache__/ in a zip;
    cached beside the runtime by the sources' text."""
    script = ROOT / "scripts" / "py_pyc.mjs"
    sources = sorted(py_dir.glob("*.py"))
    key = hashlib.sha256(json.dumps([fetch.PINS["pyodide"].sha256, script.read_text(),
                                     [(p.name, p.read_text(encoding="utf-8")) for p in sources]]).encode()).hexdigest()[:16]
    return _node_cached(runtime / f"py_cache-{key}.zip", script, [str(runtime)], [str(p) for p in sources],
                        "compiling py/ for Pyodide")


def _node_cached(cached: pathlib.Path, script: pathlib.Path, before: list, after: list, what: str) -> bytes:
    """The bytes `node script *before OUT *after` writes to OUT, kept at `cached`."""
    if cached.is_file():
        return cached.read_bytes()
    node = shutil.which("node")
    if not node:
        raise BuildError("node not found: the build compiles Python modules with Pyodide "
                         "under Node.js (install it: apt-get install nodejs)")
    tmp = cached.with_name(f"{cached.name}.{os.getpid()}.tmp")
    proc = subprocess.run([node, str(script), *before, str(tmp), *after], capture_output=True, text=True)
    if proc.returncode != 0:
        raise BuildError(f"{what} failed:\n{proc.stderr[-2000:]}")
    os.replace(tmp, cached)
    return cached.read_bytes()


def analyse(py_dir: pathlib.Path, wheel: pathlib.Path, source: pathlib.Path) -> dict:
    """tokens and source_map of `source`, from py/highlight.py and py/source_map.py."""
    for mod in ("highlight.py", "source_map.py"):
        if not (py_dir / mod).exists():
            raise BuildError(f"{py_dir / mod} missing")
    proc = subprocess.run([sys.executable, "-I", "-S", "-c", _HELPER,
                           str(wheel), str(py_dir), str(source)],
                          capture_output=True, text=True)
    if proc.returncode != 0:
        raise BuildError(f"highlight/source_map failed:\n{proc.stderr}")
    return json.loads(proc.stdout)


def script_json(obj) -> str:
    """JSON that is safe inside a <script> (and valid JS)."""
    s = json.dumps(obj, ensure_ascii=True, separators=(",", ":"))
    return (s.replace("</", "<\\/").replace("<!--", "<\\u0021--")
             .replace("\u2028", "\\u2028").replace("\u2029", "\\u2029"))


def make_bundle(py_dir: pathlib.Path, wheel: pathlib.Path, program: pathlib.Path = ROOT) -> dict:
    read = lambda p: p.read_bytes().decode("utf-8")
    files = {"microgpt.py": read(program / "microgpt.py"), "input.txt": read(program / "input.txt")}
    for p in sorted(py_dir.glob("*.py")):
        files[f"py/{p.name}"] = read(p)
    bundle = {"files": files, **analyse(py_dir, wheel, program / "microgpt.py"),
              "datasets": datasets.datasets(),
              "wheels": [{"name": "pygments", "file": f"wheels/{wheel.name}",
                          "sha256": fetch.PINS["pygments"].sha256}]}
    canon = json.dumps(bundle, sort_keys=True).encode()
    bundle["version"] = hashlib.sha256(canon).hexdigest()[:12]
    return bundle


def bundle_js(bundle: dict) -> str:
    return f"window.MGV = window.MGV || {{}};\nMGV.bundle = {script_json(bundle)};\n"


# The code pane's first contents, written into index.html so microgpt.py is readable at the
# first paint, before any script runs; codeView renders the same elements over it.
CODE_PANE = '<pre id="code" class="code" aria-label="microgpt.py source"></pre>'


def code_pane_html(tokens) -> str:
    """The highlighted lines as codeView.render makes them: escaped text in class-named spans."""
    from html import escape
    lines = []
    for i, line in enumerate(tokens, 1):
        parts = "".join(f'<span class="tok-{escape(cls)}">{escape(text)}</span>' if cls else escape(text)
                        for cls, text in line)
        lines.append(f'<span class="line" data-line="{i}">{parts}\n</span>')
    return CODE_PANE.replace("></pre>", ">" + "".join(lines) + "</pre>")


def index_html(text: str, tokens) -> str:
    if text.count(CODE_PANE) != 1:
        raise BuildError(f"www/index.html must hold exactly one empty {CODE_PANE}")
    return text.replace(CODE_PANE, code_pane_html(tokens))


def site_files(site: pathlib.Path) -> list:
    return sorted((p for p in site.rglob("*") if p.is_file()),
                  key=lambda p: p.relative_to(site).as_posix())


def write_zip(site: pathlib.Path, dest: pathlib.Path) -> None:
    """Deflated, sorted, fixed timestamps and modes: the same inputs give the same bytes."""
    tmp = dest.with_name(dest.name + ".tmp")
    with zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED) as zf:
        for p in site_files(site):
            info = zipfile.ZipInfo(f"{ZIP_TOP}/{p.relative_to(site).as_posix()}", ZIP_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            info.create_system = 3
            zf.writestr(info, p.read_bytes())
    os.replace(tmp, dest)


def build(out: pathlib.Path = None, www: pathlib.Path = None, py: pathlib.Path = None,
          verbose: bool = True, program: pathlib.Path = None) -> dict:
    """Build <out>/site and <out>/microgpt-viz.zip. Returns sizes in bytes.
    program: the folder with microgpt.py and input.txt (tests build edited copies)."""
    program = pathlib.Path(program or ROOT)
    out = pathlib.Path(out or ROOT / "dist")
    www = pathlib.Path(www or os.environ.get("MGV_WWW_DIR") or ROOT / "www")
    py = pathlib.Path(py or os.environ.get("MGV_PY_DIR") or ROOT / "py")
    if not (www / "index.html").is_file():
        raise BuildError(f"www/index.html missing (looked for {www / 'index.html'})")
    wheel, runtime = fetch.fetch("pygments"), runtime_dir()
    fetch.fetch("axe-core")   # for the accessibility test, so a fresh clone has it before pytest; not shipped

    site = out / "site"
    tmp = out / "site.tmp"
    shutil.rmtree(tmp, ignore_errors=True)
    (tmp / "app").mkdir(parents=True)
    for name in TOP_LEVEL:
        if (www / name).is_file():
            shutil.copyfile(www / name, tmp / name)
    for p in sorted(www.rglob("*")):
        rel = p.relative_to(www)
        if (not p.is_file() or rel.as_posix() in TOP_LEVEL
                or any(part.startswith(".") or part == "__pycache__" for part in rel.parts)):
            continue
        if rel.as_posix() in GENERATED:
            raise BuildError(f"www/{rel.as_posix()} would clash with the generated app/{rel.as_posix()}")
        (tmp / "app" / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(p, tmp / "app" / rel)
    bundle = make_bundle(py, wheel, program)
    (tmp / "app" / "bundle.js").write_text(bundle_js(bundle), encoding="utf-8")
    (tmp / "index.html").write_text(index_html((www / "index.html").read_text(encoding="utf-8"), bundle["tokens"]),
                                    encoding="utf-8")
    # The runtime's only copy, as a classic script both served and file:// pages can use.
    runtime_files = [(f"pyodide/{name}", (runtime / name).read_bytes()) for name in RUNTIME_FILES]
    runtime_files[RUNTIME_FILES.index("python_stdlib.zip")] = ("pyodide/python_stdlib.zip", stdlib_zip(runtime, wheel, py))
    runtime_files.append(("pyodide/py_cache.zip", py_cache_zip(runtime, py)))
    runtime_files.append((f"wheels/{wheel.name}", wheel.read_bytes()))
    (tmp / "app" / "runtime-files.js").write_text(pack.runtime_files_js(runtime_files), encoding="utf-8")
    (tmp / "app" / "worker-source.js").write_text(
        pack.worker_source_js((www / "worker.mjs").read_bytes().decode("utf-8")), encoding="utf-8")
    for name in ("microgpt.py", "input.txt"):
        shutil.copyfile(program / name, tmp / name)
    shutil.rmtree(site, ignore_errors=True)
    os.replace(tmp, site)

    write_zip(site, out / f"{ZIP_TOP}.zip")
    size = lambda d: sum(p.stat().st_size for p in site_files(d))
    app_file = lambda name: (site / "app" / name).stat().st_size
    sizes = {"site": size(site), "zip": (out / f"{ZIP_TOP}.zip").stat().st_size,
             "app": size(site / "app"),
             "  of which app/runtime-files.js (Pyodide + wheels)": app_file("runtime-files.js"),
             "  of which app/bundle.js": app_file("bundle.js")}
    sizes["other (index.html, microgpt.py, input.txt, READ ME FIRST.txt)"] = sizes["site"] - sizes["app"]
    if verbose:
        print(f"built {site}")
        for k, v in sizes.items():
            print(f"  {k:<62} {v / 1e6:8.2f} MB")
    return sizes


def serve(site: pathlib.Path, port: int) -> None:
    with http.server.ThreadingHTTPServer(("127.0.0.1", port), handler(site)) as httpd:
        print(f"serving {site} at http://127.0.0.1:{httpd.server_address[1]}/  (Ctrl-C stops)",
              flush=True)
        try:
            httpd.serve_forever()
        except KeyboardInterrupt:
            pass


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--serve", nargs="?", type=int, const=8000, metavar="PORT",
                    help="build, then serve dist/site on 127.0.0.1 (default port 8000)")
    ap.add_argument("--check", action="store_true", help="only verify the download cache")
    ap.add_argument("--out", type=pathlib.Path, help="output folder (default dist/)")
    args = ap.parse_args(argv)
    try:
        if args.check:
            problems = fetch.check()
            for p in problems:
                print(p, file=sys.stderr)
            print("cache OK" if not problems else f"{len(problems)} problem(s)")
            return 1 if problems else 0
        t0 = time.perf_counter()
        build(args.out)
        print(f"  build time {time.perf_counter() - t0:.2f} s")
    except (BuildError, fetch.FetchError) as e:
        print(f"build failed: {e}", file=sys.stderr)
        return 1
    if args.serve is not None:
        serve((args.out or ROOT / "dist") / "site", args.serve)
    return 0


if __name__ == "__main__":
    sys.exit(main())
