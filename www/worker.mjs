// The worker: boots Pyodide, hands every request to py/bridge.py, and drives training one
// step at a time so that messages from the page (Pause, Stop, ...) get through between steps.
// A module worker (Pyodide needs one) with no static imports. A file:// page starts it from a
// data: URL (app/worker-source.js), so it must not import anything by a relative URL either.

// The learner's code runs in this worker and can reach every JavaScript global (Python's `js`
// module). So what the protocol needs is taken before any Python runs and kept where Python
// cannot reach: its JSON functions, and the page's private MessagePort (handed over in boot).
// Anything Python posts with js.postMessage goes to the worker's public channel, which the page ignores.
const {parse: parseJSON, stringify: toJSON} = JSON;
let send = null;                // postMessage bound to the page's port, once boot hands it over

// Nor may that code talk to another origin: fetch and XMLHttpRequest reach this origin only
// (and the runtime's files in memory); sockets, event streams, caches and nested workers are gone.
// Served by the project's own server (scripts/site_server.py), the worker is also held to the page's CSP by a header.
(function guardNetwork() {
  const sameOrigin = (url) => {
    const target = new URL(String(url), self.location.href);
    return ['blob:', 'data:'].includes(target.protocol) || target.origin === self.location.origin;
  };
  const refuse = (url) => new TypeError(`microgpt-viz lets code in this page reach its own files only, not ${String(url).slice(0, 100)}`);
  const pageFetch = self.fetch.bind(self);
  const guardedFetch = (resource, init) => {
    const url = resource instanceof Request ? resource.url : resource;
    return sameOrigin(url) ? pageFetch(resource, init) : Promise.reject(refuse(url));
  };
  Object.defineProperty(self, 'fetch', {value: guardedFetch, writable: true, configurable: true});
  if (self.XMLHttpRequest) {
    const open = XMLHttpRequest.prototype.open;
    Object.defineProperty(XMLHttpRequest.prototype, 'open', {value: function (method, url, ...rest) {
      if (!sameOrigin(url)) throw refuse(url);
      return open.call(this, method, url, ...rest);
    }});
  }
  for (const name of ['WebSocket', 'WebSocketStream', 'EventSource', 'WebTransport', 'Worker', 'SharedWorker', 'caches']) {
    try { Object.defineProperty(self, name, {value: undefined, configurable: false, writable: false}); } catch { /* not here */ }
  }
})();

const HOME = '/home/pyodide';
let pyodide = null;
let bridge = null;
let state = 'loading';          // loading | ready | training | paused | error
let runId = 0;
let stepsDone = 0;              // in the current run
let wheels = [];
let pygmentsLoaded = false;
let indexURL = null;            // where Pyodide's files are (served from memory, see loadRuntime)

// Messages about a run carry its number (given by the page), so the page can drop late ones.
const post = (type, payload = {}) => send({type, run: runId, ...payload});
const setState = (next) => { state = next; post('state', {state}); };

// One request to the bridge: JSON in, JSON out, never a Python proxy. handle() never raises and
// always answers JSON, so anything else means Python itself broke (a fatal error, its stack exhausted): this worker
// is done for, and the page replaces it.
function call(request) {
  try {
    const reply = handle(toJSON(request));
    if (typeof reply !== 'string') throw new Error('the bridge gave no answer');   // e.g. after a fatal error
    return parseJSON(reply);
  } catch (err) {
    throw Object.assign(new Error(`Python failed and cannot go on (${String(err && err.message || err).slice(0, 200)})`), {fatal: true});
  }
}
let handle = null;              // bridge.handle, taken once (edited code could replace the module's attribute)

// Yield to the event loop between steps without setTimeout's 4 ms clamp.
// Each tick carries its run's number, so a tick left over from an earlier run does nothing.
const tickChannel = new MessageChannel();
tickChannel.port1.onmessage = (event) => {
  if (event.data !== runId) return;
  try { tick(); } catch (err) { post('error', {message: err.message, fatal: Boolean(err.fatal), line: null}); }
};
const scheduleTick = () => tickChannel.port2.postMessage(runId);

async function fetchBytes(url) {
  const response = await fetch(url);
  if (!response.ok) throw Object.assign(new Error(`${url}: HTTP ${response.status}`), {file: url});
  return new Uint8Array(await response.arrayBuffer());
}

// Pyodide's start, the longest wait: a served worker begins it the moment it exists (the page
// makes it before parsing the rest, see app/start.js); a file:// one once the page hands over the files.
function startPython(runtime) {
  return loadRuntime(runtime).then(({loadPyodide, createPyodideModule, indexURL}) => loadPyodide({
    indexURL,
    createPyodideModule,         // pyodide.asm.mjs, already imported from memory
    stdout: () => {},            // microgpt.py's prints are captured by the bridge
    stderr: (line) => console.warn('[python]', line),
  }).catch((err) => {
    throw Object.assign(new Error(`Pyodide failed to start: ${err.message}`), {file: guessRuntimeFile(err.message) || 'app/runtime-files.js'});
  }));
}
let starting = null;              // Pyodide's start, if it began before boot (served pages)

async function boot({files, runtime, wheels: wheelList, lifeLock, run, port}) {
  const postMessage = MessagePort.prototype.postMessage.bind(port);   // taken before any Python runs
  wheels = wheelList || [];
  runId = run || 0;
  // Held until this worker dies: the page waits on the same lock to notice a crash at once.
  // Nothing is posted (not even "heard") before the lock is ours, so the page's request always queues behind it.
  if (lifeLock && self.navigator.locks) {
    await new Promise((held) => self.navigator.locks.request(lifeLock, () => { held(); return new Promise(() => {}); }));
  }
  send = postMessage;
  port.onmessage = receive;
  try {
    post('progress', {stage: 'Loading the Python runtime'});
    pyodide = await (starting || startPython(runtime));
    starting = null;

    post('progress', {stage: 'Loading microgpt.py'});
    for (const [path, text] of Object.entries(files)) {
      const full = `${HOME}/${path}`;
      pyodide.FS.mkdirTree(full.slice(0, full.lastIndexOf('/')));
      pyodide.FS.writeFile(full, text);
    }
    await unpackPyCache();
    pyodide.runPython(`import os, sys; os.chdir(${JSON.stringify(HOME)}); sys.path.insert(0, ${JSON.stringify(HOME + '/py')})`);
    bridge = pyodide.pyimport('bridge');
    handle = bridge.handle;
    post('ready', {python: pyodide.runPython('import sys; sys.version.split()[0]')});
    setState('ready');
    prefetchWheels();
  } catch (err) {
    post('error', {message: err.message, file: err.file || null, boot: true});
    setState('error');
  }
}

// py/ compiled at build time (scripts/py_pyc.mjs): Python checks each against its source and
// compiles only what differs, so without it the start is slower, never wrong.
async function unpackPyCache() {
  try {
    pyodide.unpackArchive(await fetchBytes(indexURL + 'py_cache.zip'), 'zip', {extractDir: `${HOME}/py/__pycache__`});
  } catch (err) {
    console.error('py/ compiles from source (py_cache.zip unusable):', err.message);
  }
}

// --- the runtime's files, from memory ------------------------------------------------------
// They live in app/runtime-files.js (see scripts/pack.py), the site's only copy: a file:// page
// loads it as a classic script and hands it over (nothing can be fetched there); a served page
// lets this worker fetch it. Either way Pyodide then gets them from a fetch() that knows their URLs.
async function runtimePack(runtime) {
  if (runtime.pack) return runtime.pack;
  const response = await fetch(runtime.packURL).catch(() => ({ok: false, status: 'unreachable'}));
  if (!response.ok) throw Object.assign(new Error(`app/runtime-files.js: HTTP ${response.status}`), {file: 'app/runtime-files.js'});
  const text = await response.text();
  try {
    return JSON.parse(text.slice(text.indexOf('{', text.indexOf('MGV.runtimeFiles = ')), text.lastIndexOf('}') + 1));
  } catch (err) {
    throw Object.assign(new Error(`app/runtime-files.js is damaged (${err.message})`), {file: 'app/runtime-files.js'});
  }
}

const fromBase64 = Uint8Array.fromBase64 ? (text) => Uint8Array.fromBase64(text)
  : (text) => Uint8Array.from(atob(text), (c) => c.charCodeAt(0));

// A fresh Response per fetch; gzip files inflate as they are read, so the wasm compiles meanwhile.
function memoryFile({type, gzip, data}) {
  const blob = new Blob([fromBase64(data)]);
  const body = () => gzip ? blob.stream().pipeThrough(new DecompressionStream('gzip')) : blob;
  return () => new Response(body(), {headers: {'Content-Type': type}});
}

async function loadRuntime({base, pack, packURL}) {
  const files = new Map((await runtimePack({pack, packURL})).files
    .map((file) => [new URL(file.path, base).href, memoryFile(file)]));
  const networkFetch = self.fetch.bind(self);
  self.fetch = (resource, init) => {
    const file = files.get(new URL(resource instanceof Request ? resource.url : String(resource), base).href);
    return file ? Promise.resolve(file()) : networkFetch(resource, init);
  };
  indexURL = new URL('pyodide/', base).href;
  // Modules from memory are imported through blob: URLs (a file:// worker can import nothing else).
  const importFromMemory = async (name) => {
    const url = URL.createObjectURL(await (await fetch(indexURL + name)).blob());
    try {
      return await import(url);
    } catch (err) {
      throw Object.assign(new Error(`could not load pyodide/${name}: ${err.message}`), {file: `pyodide/${name}`});
    } finally {
      URL.revokeObjectURL(url);
    }
  };
  const [api, asm] = await Promise.all([importFromMemory('pyodide.mjs'), importFromMemory('pyodide.asm.mjs')]);
  return {loadPyodide: api.loadPyodide, createPyodideModule: asm.default, indexURL};
}

// The worker's memory after a step. heap_bytes: what the heap holds now (malloc's own count, so
// a leak shows as growth). wasm_bytes: the WebAssembly memory reserved for it, which never shrinks
// and grows in steps of about 20% to fit the highest peak so far (two steps' graphs are alive
// while a step runs), so a late peak can grow it once without anything leaking.
// Read every MEMORY_EVERY steps: malloc counts by walking the heap, ~3 ms.
const MEMORY_EVERY = 10;
function memory() {
  try {
    const module = pyodide._module, info = module._malloc(40);
    module._mallinfo(info);
    const inUse = new Uint32Array(module.HEAPU8.buffer, info, 10)[7];   // struct mallinfo's uordblks
    module._free(info);
    return {heap_bytes: inUse, wasm_bytes: module.HEAPU8.length};
  } catch {
    return {heap_bytes: null, wasm_bytes: null};
  }
}

function guessRuntimeFile(message) {
  for (const name of ['pyodide.asm.wasm', 'pyodide.asm.mjs', 'python_stdlib.zip', 'pyodide-lock.json']) {
    if (message.includes(name)) return 'pyodide/' + name;
  }
  return null;
}

// Pygments is only needed to re-highlight edited code: its wheel is fetched once Python is
// ready (so a page that goes offline later still has it) and unpacked on first use.
let wheelBytes = null;
const prefetchWheels = () => { wheelBytes = Promise.all(wheels.map((w) => fetchBytes(w.url))); wheelBytes.catch(() => {}); };

async function ensurePygments() {
  if (pygmentsLoaded) return;
  if (!wheelBytes) prefetchWheels();
  for (const bytes of await wheelBytes) pyodide.unpackArchive(bytes, 'wheel');
  pygmentsLoaded = true;
}

// What microgpt.py printed; the bridge keeps the last lines of a flood and counts the rest.
function postLines(reply) {
  if ((reply.lines && reply.lines.length) || reply.lines_dropped) post('lines', {lines: reply.lines || [], dropped: reply.lines_dropped || 0});
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

// The data a run reads: the page's chosen text becomes input.txt, as microgpt.py expects it.
function writeData(data) {
  if (typeof data === 'string') pyodide.FS.writeFile(`${HOME}/input.txt`, data);
}

// An edit of the code: highlighted always, parsed for its source map or its syntax error.
async function check({source}) {
  if (!bridge) return;
  await ensurePygments();
  const {tokens} = call({op: 'highlight', source});
  const parsed = call({op: 'source_map', source});
  send({type: 'checked', source, tokens: tokens || null, source_map: parsed.source_map || null, error: parsed.error || null});
}

// The form's values written into the source's lines (and shown in the code pane); null on failure.
async function withValues(source, values) {
  if (!values) return source;
  await ensurePygments();
  const edited = call({op: 'set_values', source, values});
  if (edited.error) { reportError(edited); return null; }
  post('source', edited);
  return edited.source;
}

async function train({source, values, run, data}) {
  if (!bridge) return;
  runId = run;
  writeData(data);
  source = await withValues(source, values);
  if (source === null) return;
  stepsDone = 0;
  setState('starting');
  const reply = call({op: 'new_run', source});
  postLines(reply);
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
  postLines(reply);
  if (reply.error && reply.error.numeric) return diverged({...reply.error, step: stepsDone + 1});
  if (reply.error) return reportError(reply);
  if (reply.done) return finish('done');
  stepsDone = reply.step;
  post('snapshot', reply.step % MEMORY_EVERY === 0 ? {...reply, ...memory()} : reply);
  if (reply.finite === false) return diverged({traceback: '', line: null, step: reply.step});
  if (single) return setState('paused');
  scheduleTick();
}

// The loss became NaN or infinite, or a log/exp left the range of floats: say why in plain words.
function diverged(error) {
  const at = error.step ? `at step ${error.step}` : 'during the next step';
  post('error', {...error, diverged: true, message: `Training stopped ${at}: the numbers blew up ` +
    '(a probability reached 0 or a value grew past what a float can hold). This usually means the ' +
    'learning rate is too high; try a smaller learning_rate, like 0.01.'});
  setState('error');
}

function finish(reason) {
  if (reason === 'done') {
    const reply = call({op: 'finish'});
    postLines(reply);
    if (reply.error) return reportError(reply);
  }
  post('finished', {reason});
  setState('ready');
}

async function inspect({id, kind, args}) {
  const reply = call({op: 'inspect', kind, args});
  post('inspection', {id, kind, result: reply.error ? null : reply, error: reply.error || null});
}

// A run made from a saved model: microgpt.py's set-up code, then the file's weights; no steps.
async function loadModel({source, values, run, data, model}) {
  if (!bridge) return;
  runId = run;
  source = await withValues(source, values);
  if (source === null) return;
  const reply = call({op: 'load_model', source, data, model});
  postLines(reply);
  if (reply.error) { post('error', reply.error); return setState('ready'); }
  post('run', {lr_schedule: reply.lr_schedule || null, num_params: reply.num_params ?? null, vocab_size: reply.vocab_size ?? null,
    loaded: {steps: reply.steps, own_data: reply.own_data}});
  setState('ready');
}

const handlers = {
  boot,
  train,
  loadModel,
  setValues,
  inspect,
  check,
  pause: () => { if (state === 'training') setState('paused'); },
  resume: () => { if (state === 'paused') { setState('training'); scheduleTick(); } },
  step: () => { if (state === 'paused') { state = 'stepping'; scheduleTick(); } },
  stop: () => { if (state === 'training' || state === 'paused' || state === 'stepping') finish('stopped'); },
  reset: ({run}) => { runId = run; if (bridge) call({op: 'stop'}); if (state !== 'loading') setState('ready'); },
};

// Messages are handled one at a time, in order: a handler that awaits (booting, loading pygments)
// finishes before the next begins, so two quick Trains cannot interleave. Each is acknowledged
// the moment it arrives ("heard"): a page that hears nothing knows Python is stuck in a long
// call (an endless loop in edited code) and replaces this worker.
let queue = Promise.resolve();
function receive(event) {
  const message = event.data || {};
  const handler = handlers[message.type];
  if (message.seq && send) send({type: 'heard', seq: message.seq});
  if (!handler) return;
  queue = queue.then(() => handler(message)).catch((err) => {
    if (err && err.fatal) return post('error', {message: err.message, fatal: true, line: null});
    post('error', {message: String(err && err.message || err), traceback: String(err && err.stack || ''), line: null});
    if (bridge) setState('error');
  });
}
// The worker's public channel carries one message: boot, which brings the page's private port.
self.onmessage = (event) => {
  if (send || !event.data || event.data.type !== 'boot' || !(event.data.port instanceof MessagePort)) return;
  receive(event);
};

// Served (app/worker.mjs, not a data: URL): the runtime's files are beside this worker, so
// Python can start now; a file:// page hands them over in boot.
if (self.location.protocol !== 'data:') {
  starting = startPython({base: new URL('../', self.location.href).href, packURL: new URL('runtime-files.js', self.location.href).href});
  starting.catch(() => {});   // boot() reports a failure, once the page listens
}
