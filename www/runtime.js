// Starts the worker and boots Python in it. The only place that knows where runtime files live.
window.MGV = window.MGV || {};
MGV.runtime = (() => {
  const bundle = () => MGV.bundle;

  // A new worker, booted with every text file the page holds. Returns the Worker.
  function start() {
    const worker = new Worker('app/worker.mjs', {type: 'module'});
    const base = new URL('.', location.href);
    MGV.protocol.send(worker, 'boot', {
      files: bundle().files,
      wheels: bundle().wheels.map((w) => ({name: w.name, url: new URL(w.file, base).href})),
      runtime: {indexURL: new URL('pyodide/', base).href},
    });
    return worker;
  }

  return {start};
})();
