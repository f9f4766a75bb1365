// Starts the worker and boots Python in it. The only place that knows where runtime files live.
window.MGV = window.MGV || {};
MGV.runtime = (() => {
  const bundle = () => MGV.bundle;

  let workers = 0;

  // A new worker, booted with every text file the page holds. onDeath() is called if it dies
  // (crash, out of memory, terminated). Returns the Worker.
  function start(onDeath, run) {
    const worker = new Worker('app/worker.mjs', {type: 'module'});
    const base = new URL('.', location.href);
    const lifeLock = `microgpt-viz-worker-${Date.now()}-${++workers}`;
    watch(worker, lifeLock, onDeath);
    MGV.protocol.send(worker, 'boot', {
      lifeLock, run,
      files: bundle().files,
      wheels: bundle().wheels.map((w) => ({name: w.name, url: new URL(w.file, base).href})),
      runtime: {indexURL: new URL('pyodide/', base).href},
    });
    return worker;
  }

  // The worker takes its life lock before it answers anything; once it has answered, asking
  // for the same lock is granted only when the worker is gone.
  function watch(worker, lifeLock, onDeath) {
    if (!navigator.locks) return;
    const first = () => {
      worker.removeEventListener('message', first);
      navigator.locks.request(lifeLock, () => { if (!worker.retired) onDeath(); });
    };
    worker.addEventListener('message', first);
  }

  // A worker the page ends on purpose is not a death to report.
  function retire(worker) {
    worker.retired = true;
    worker.terminate();
  }

  return {start, retire};
})();
