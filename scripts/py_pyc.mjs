// The bridge's own modules (py/*.py), compiled by the Pyodide that will run them, so the worker
// does not compile ~2,700 lines of Python at every start (~80-150 ms of Python's start).
// Written as checked hash-based .pyc: on import Python hashes the source beside it and, should
// they differ, compiles the source instead, so a stale cache can cost time but never change code.
//   node scripts/py_pyc.mjs RUNTIME_DIR OUT_ZIP FILE.py...
// OUT_ZIP holds __pycache__'s files (e.g. bridge.cpython-314.pyc), for py/__pycache__/.
import { readFileSync, writeFileSync } from 'node:fs';
import { basename } from 'node:path';
import { pathToFileURL } from 'node:url';

const [runtimeDir, outZip, ...files] = process.argv.slice(2);
const indexURL = runtimeDir.endsWith('/') ? runtimeDir : runtimeDir + '/';
const { loadPyodide } = await import(pathToFileURL(indexURL + 'pyodide.mjs').href);
const pyodide = await loadPyodide({ indexURL });
pyodide.FS.mkdirTree('/sources');
for (const f of files) pyodide.FS.writeFile(`/sources/${basename(f)}`, readFileSync(f));
const zipped = pyodide.runPython(`
import importlib.util, io, os, zipfile
from importlib._bootstrap_external import _code_to_hash_pyc

out = io.BytesIO()
with zipfile.ZipFile(out, 'w') as target:
    for name in sorted(os.listdir('/sources')):
        data = open(f'/sources/{name}', 'rb').read()
        code = compile(data, f'/home/pyodide/py/{name}', 'exec', dont_inherit=True)
        pyc = _code_to_hash_pyc(code, importlib.util.source_hash(data), checked=True)
        cached = importlib.util.cache_from_source(name).split('/')[-1]
        target.writestr(zipfile.ZipInfo(cached, date_time=(1980, 1, 1, 0, 0, 0)), bytes(pyc), zipfile.ZIP_DEFLATED, 9)
out.getvalue()
`).toJs();
writeFileSync(outZip, zipped);
console.log(`${files.length} modules compiled`);
