// Python's start is the page's longest wait, so a served page makes its worker first, before the
// browser parses the rest; the worker begins loading Pyodide at once. runtime.js adopts it.
// (A page opened from disk starts its worker later, from app/worker-source.js.)
window.MGV = window.MGV || {};
if (location.protocol !== 'file:') {   // as runtime.js tells the two ways apart
  const worker = new Worker('app/worker.mjs', {type: 'module'});
  // an error before anyone listens (e.g. the file is missing) must not be lost; the worker itself
  // is marked, since runtime.js may have adopted it (and cleared MGV.earlyWorker) by then
  worker.addEventListener('error', () => { worker.failed = true; }, {once: true});
  MGV.earlyWorker = worker;
}
