// Starts the worker and boots Python in it. Knows how the runtime's files reach the worker;
// everything after boot is the same either way.
//  - Served over http: the worker is app/worker.mjs (made early by app/start.js); it fetches
//    app/runtime-files.js, its neighbour, itself, and starts Python before boot arrives.
//  - Opened from disk (file://), where browsers refuse module files, workers from files and
//    fetch: the page loads app/runtime-files.js as a classic script, starts the worker from a
//    data: URL (its text is app/worker-source.js) and hands the files over in the boot message.
window.MGV = window.MGV || {};
MGV.runtime = (() => {
  const bundle = () => MGV.bundle;
  const fromDisk = location.protocol === 'file:';
  // What a learner whose browser refuses to run the app from a file should do instead.
  const ADVICE = 'This browser will not run the app opened from a file. Serve the folder instead: open a ' +
    'terminal in the unzipped microgpt-viz folder, run "python3 -m http.server", then open ' +
    'http://localhost:8000/ (READ ME FIRST.txt says the same).';
  const ANSWER_WITHIN_MS = 10000;   // a worker that started answers its boot message at once

  let pack = null;                  // the promise of MGV.runtimeFiles, loaded once per page

  // A new worker, booted with every text file the page holds. onDeath() is called if it dies
  // (crash, out of memory, terminated); onRefused(advice) if the browser will not run it from
  // file://. Returns the Worker; worker.port is the page's end of its private channel: every
  // message after boot goes through it (code running in the worker can post on the worker's
  // public channel, never on this one).
  function start(onDeath, run, onRefused) {
    const base = new URL('.', location.href).href;
    const refuse = once(() => { retire(worker); (onRefused || onDeath)(ADVICE); });
    const channel = new MessageChannel();
    const worker = fromDisk ? diskWorker(refuse, channel.port1) : earlyWorker() || new Worker('app/worker.mjs', {type: 'module'});
    worker.port = channel.port1;
    worker.port.start();
    // Locks are per origin and a data: worker's origin is not the page's, so only served pages watch.
    // A name no other tab can pick, even one started in the same millisecond.
    const lifeLock = fromDisk ? null : `microgpt-viz-worker-${uniqueId()}`;
    if (lifeLock) watch(worker, lifeLock, onDeath);
    const boot = (runtime) => MGV.protocol.send(worker, 'boot', {
      lifeLock, run, port: channel.port2,
      files: bundle().files,
      wheels: bundle().wheels.map((w) => ({name: w.name, url: new URL(w.file, base).href})),
      runtime,
    });
    if (!fromDisk) {
      boot(null);   // the worker found its runtime beside itself and is already starting Python
    } else {
      loadPack().then((files) => {
        if (worker.retired) return;
        boot({base, pack: files});
        const timer = setTimeout(refuse, ANSWER_WITHIN_MS);
        worker.port.addEventListener('message', () => clearTimeout(timer), {once: true});
      }, refuse);
    }
    return worker;
  }

  // The worker app/start.js made as the page began, once, unless it has already failed.
  function earlyWorker() {
    const worker = MGV.earlyWorker;
    MGV.earlyWorker = null;
    if (worker && worker.failed) worker.terminate();
    return worker && !worker.failed ? worker : null;
  }

  // A module worker from a data: URL. A browser that refuses it either throws here or fires
  // 'error' before the worker ever answers; both mean "serve the folder", not "restart".
  function diskWorker(refuse, port) {
    let worker;
    try {
      worker = new Worker(`data:text/javascript;charset=utf-8,${encodeURIComponent(MGV.workerSource)}`, {type: 'module'});
    } catch {
      worker = Object.assign(new EventTarget(), {postMessage() {}, terminate() {}});
      setTimeout(refuse);
      return worker;
    }
    let answered = false;
    port.addEventListener('message', () => { answered = true; }, {once: true});
    worker.addEventListener('error', (event) => {
      if (answered) return;
      event.preventDefault();
      event.stopImmediatePropagation();   // the page's own handler would restart it, in vain
      refuse();
    });
    return worker;
  }

  // app/runtime-files.js as a classic script: the one way a file:// page can read bytes from its folder.
  function loadPack() {
    pack = pack || new Promise((resolve, reject) => {
      const script = document.createElement('script');
      script.src = 'app/runtime-files.js';
      script.onload = () => (MGV.runtimeFiles ? resolve(MGV.runtimeFiles) : reject(new Error('empty')));
      script.onerror = () => { pack = null; reject(new Error('app/runtime-files.js did not load')); };
      document.head.append(script);
    });
    return pack;
  }

  // randomUUID needs a secure context (https, localhost); a page served over plain http on a
  // network address has only getRandomValues.
  function uniqueId() {
    if (crypto.randomUUID) return crypto.randomUUID();
    return Array.from(crypto.getRandomValues(new Uint8Array(16)), (b) => b.toString(16).padStart(2, '0')).join('');
  }

  const once = (fn) => { let done = false; return (...args) => { if (!done) { done = true; fn(...args); } }; };

  // The worker takes its life lock before it answers anything; once it has answered, asking
  // for the same lock is granted only when the worker is gone.
  function watch(worker, lifeLock, onDeath) {
    if (!navigator.locks) return;
    const first = () => {
      worker.port.removeEventListener('message', first);
      navigator.locks.request(lifeLock, () => { if (!worker.retired) onDeath(); });
    };
    worker.port.addEventListener('message', first);
  }

  // A worker the page ends on purpose is not a death to report.
  function retire(worker) {
    worker.retired = true;
    worker.terminate();
    if (worker.port) worker.port.close();
  }

  return {start, retire, fromDisk};
})();
