// Pyodide's python_stdlib.zip holds only .py sources, so every start of Python compiles the
// ~150 modules it imports (Pyodide's own, asyncio, zipfile, ...): about 1.5 s of a 2.2 s start.
// This compiles, with the very Pyodide that will run them, the modules a start and the app
// import, and writes a copy of the zip where those are .pyc (zipimport prefers them); the rest
// stay sources.
//   node scripts/stdlib_pyc.mjs RUNTIME_DIR WHEEL OUT_ZIP MODULE...
// RUNTIME_DIR: the Pyodide files; WHEEL: pygments, whose imports count too; MODULE: what py/ imports.
import { readFileSync, writeFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';

const [runtimeDir, wheel, outZip, ...modules] = process.argv.slice(2);
const indexURL = runtimeDir.endsWith('/') ? runtimeDir : runtimeDir + '/';
const { loadPyodide } = await import(pathToFileURL(indexURL + 'pyodide.mjs').href);
const pyodide = await loadPyodide({ indexURL });
pyodide.unpackArchive(new Uint8Array(readFileSync(wheel)), 'wheel');
pyodide.globals.set('wanted', pyodide.toPy(modules));
const compiled = pyodide.runPython(`
import importlib, importlib.util, io, sys, zipfile
from importlib._bootstrap_external import _code_to_hash_pyc

for name in list(wanted) + ['pygments.lexers.python', 'pygments.token']:
    importlib.import_module(name)

archive = next(p for p in sys.path if p.endswith('.zip'))
used = sorted({m.__file__[len(archive) + 1:] for m in list(sys.modules.values())
               if (getattr(m, '__file__', None) or '').startswith(archive + '/')})
source = zipfile.ZipFile(archive)
out = io.BytesIO()
with zipfile.ZipFile(out, 'w') as target:
    for info in source.infolist():
        data, name = source.read(info), info.filename
        if name in used:
            code = compile(data, f'{archive}/{name}', 'exec', dont_inherit=True)
            data, name = _code_to_hash_pyc(code, importlib.util.source_hash(data), checked=False), name + 'c'
        target.writestr(zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0)), bytes(data),
                       zipfile.ZIP_DEFLATED, 9)
out.getvalue(), len(used)
`).toJs();
writeFileSync(outZip, compiled[0]);
console.log(`${compiled[1]} modules compiled`);
