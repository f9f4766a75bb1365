// The worker: boots Pyodide, hands every request to py/bridge.py, and drives training one
// step at a time so that messages from the page (Pause, Stop, ...) get through between steps.
// A module worker (Pyodide needs one) with no static imports.

const HOME = '/home/pyodide';
let pyodide = null;
let bridge = null;
let state = 'loading';
let runId = 0;          // loading | ready | training | paused | error
let wheels = [];
let pygmentsLoaded = false;

// Messages about a run carry its number (given by the page), so the page can drop late ones.
const post = (type, payload = {}) => self.postMessage({type, run: runId, ...payload});
const setState = (next) => { state = next; post('state', {state}); };

// One request to the bridge: JSON in, JSON out, never a Python proxy.
function call(request) {
  return JSON.parse(bridge.handle(JSON.stringify(request)));
}

// Yield to the event loop between steps without setTimeout's 4 ms clamp.
// Each tick carries its run's number, so a tick left over from an earlier run does nothing.
const tickChannel = new MessageChannel();
tickChannel.port1.onmessage = (event) => { if (event.data === runId) tick(); };
const scheduleTick = () => tickChannel.port2.postMessage(runId);

async function fetchBytes(url) {
  const response = await fetch(url);
  if (!response.ok) throw Object.assign(new Error(`${url}: HTTP ${response.status}`), {file: url});
  return new Uint8Array(await response.arrayBuffer());
}

async function boot({files, runtime, wheels: wheelList, lifeLock, run}) {
  wheels = wheelList || [];
  runId = run || 0;
  // Held until this worker dies: the page waits on the same lock to notice a crash at once.
  if (lifeLock && self.navigator.locks) self.navigator.locks.request(lifeLock, () => new Promise(() => {}));
  const indexURL = runtime.indexURL;
  try {
    post('progress', {stage: 'Loading the Python runtime'});
    let module;
    try {
      module = await import(indexURL + 'pyodide.mjs');
    } catch (err) {
      throw Object.assign(new Error(`could not load pyodide/pyodide.mjs: ${err.message}`), {file: 'pyodide/pyodide.mjs'});
    }
    pyodide = await module.loadPyodide({
      indexURL,
      stdout: () => {},            // microgpt.py's prints are captured by the bridge
      stderr: (line) => console.warn('[python]', line),
    }).catch((err) => {
      throw Object.assign(new Error(`Pyodide failed to start: ${err.message}`), {file: guessRuntimeFile(err.message)});
    });

    post('progress', {stage: 'Loading microgpt.py'});
    for (const [path, text] of Object.entries(files)) {
      const full = `${HOME}/${path}`;
      pyodide.FS.mkdirTree(full.slice(0, full.lastIndexOf('/')));
      pyodide.FS.writeFile(full, text);
    }
    pyodide.runPython(`import os, sys; os.chdir(${JSON.stringify(HOME)}); sys.path.insert(0, ${JSON.stringify(HOME + '/py')})`);
    bridge = pyodide.pyimport('bridge');
    post('ready', {python: pyodide.runPython('import sys; sys.version.split()[0]')});
    setState('ready');
  } catch (err) {
    post('error', {message: err.message, file: err.file || null, boot: true});
    setState('error');
  }
}

function guessRuntimeFile(message) {
  for (const name of ['pyodide.asm.wasm', 'pyodide.asm.mjs', 'python_stdlib.zip', 'pyodide-lock.json']) {
    if (message.includes(name)) return 'pyodide/' + name;
  }
  return null;
}

// Pygments is only needed to re-highlight edited code, so it loads on first use.
async function ensurePygments() {
  if (pygmentsLoaded) return;
  for (const wheel of wheels) {
    const bytes = await fetchBytes(wheel.url);
    pyodide.unpackArchive(bytes, 'wheel');
  }
  pygmentsLoaded = true;
}

function reportError(reply) {
  post('error', reply.error);
  setState('error');
}

async function setValues({source, values}) {
  await ensurePygments();
  const reply = call({op: 'set_values', source, values});
  if (reply.error) return post('error', reply.error);
  post('source', reply);
}

async function train({source, values, run}) {
  if (!bridge) return;
  runId = run;
  if (values) {
    await ensurePygments();
    const edited = call({op: 'set_values', source, values});
    if (edited.error) return reportError(edited);
    source = edited.source;
    post('source', edited);
  }
  const reply = call({op: 'new_run', source});
  if (reply.lines && reply.lines.length) post('lines', {lines: reply.lines});
  if (reply.error) return reportError(reply);
  post('run', {lr_schedule: reply.lr_schedule || null, num_params: reply.num_params ?? null, vocab_size: reply.vocab_size ?? null});
  setState('training');
  scheduleTick();
}

// One training step; reschedules itself while training.
function tick() {
  if (state !== 'training' && state !== 'stepping') return;
  const single = state === 'stepping';
  const reply = call({op: 'step'});
  if (reply.lines && reply.lines.length) post('lines', {lines: reply.lines});
  if (reply.error) return reportError(reply);
  if (reply.done) return finish('done');
  post('snapshot', reply);
  if (reply.finite === false) {
    post('error', {message: `The loss became ${reply.loss_text || 'not a number'} at step ${reply.step}: ` +
      'the numbers grew too large to represent, usually because the learning rate is too high. ' +
      'Training stopped; try a smaller learning_rate.', traceback: '', line: null, diverged: true});
    return finish('stopped');
  }
  if (single) return setState('paused');
  scheduleTick();
}

function finish(reason) {
  if (reason === 'done') {
    const reply = call({op: 'finish'});
    if (reply.lines && reply.lines.length) post('lines', {lines: reply.lines});
    if (reply.error) return reportError(reply);
  }
  post('finished', {reason});
  setState('ready');
}

async function inspect({id, kind, args}) {
  const reply = call({op: 'inspect', kind, args});
  post('inspection', {id, kind, result: reply.error ? null : reply, error: reply.error || null});
}

const handlers = {
  boot,
  train,
  setValues,
  inspect,
  pause: () => { if (state === 'training') setState('paused'); },
  resume: () => { if (state === 'paused') { setState('training'); scheduleTick(); } },
  step: () => { if (state === 'paused') { state = 'stepping'; scheduleTick(); } },
  stop: () => { if (state === 'training' || state === 'paused' || state === 'stepping') finish('stopped'); },
  reset: ({run}) => { runId = run; if (bridge) call({op: 'stop'}); if (state !== 'loading') setState('ready'); },
};

// Messages are handled one at a time, in order: a handler that awaits (booting, loading pygments)
// finishes before the next begins, so two quick Trains cannot interleave.
let queue = Promise.resolve();
self.onmessage = (event) => {
  const handler = handlers[event.data && event.data.type];
  if (!handler) return;
  queue = queue.then(() => handler(event.data)).catch((err) => {
    post('error', {message: String(err && err.message || err), traceback: String(err && err.stack || ''), line: null});
    if (bridge) setState('error');
  });
};
