// Wires the page together: the store's first state, the views, the worker and the run controls.
(() => {
  const {store, protocol, bundle} = MGV;
  const hp = bundle.source_map.hyperparams;

  // The form starts at microgpt.py's own values; saved settings are restored over them if valid.
  const defaults = Object.fromEntries(store.hyperNames.filter((n) => hp[n]).map((n) => [n, hp[n].value]));
  store.state.texts = Object.fromEntries(Object.entries(defaults).map(([n, v]) => [n, String(v)]));
  const notes = store.restore();
  store.set({defaults, source: bundle.files['microgpt.py'], original: bundle.files['microgpt.py'],
    tokens: bundle.tokens, sourceMap: bundle.source_map, msPerUnit: 0.004});

  const panel = () => MGV.util.el('div');
  const panels = {architecture: panel(), autograd: panel(), attention: panel(), training: panel()};
  MGV.codeView.mount(document.getElementById('code'), document.getElementById('code-note'));
  MGV.hyperparamsView.mount(document.getElementById('hyperparams'), {onValid: scheduleRewrite});
  MGV.trainingView.mount(panels.training, {onGenerate: (args) => inspect('samples', args)});
  if (MGV.architectureView) MGV.architectureView.mount(panels.architecture, {inspect});
  if (MGV.autogradView) MGV.autogradView.mount(panels.autograd, {inspect});
  if (MGV.attentionView) MGV.attentionView.mount(panels.attention, {inspect});
  MGV.paperView.mount(panels.architecture);
  MGV.paramCardsView.mount(panels.architecture, {inspect});
  MGV.tabsView.mount(document.getElementById('tabs'), document.getElementById('panels'), [
    {id: 'architecture', label: 'Architecture', panel: panels.architecture},
    {id: 'autograd', label: 'Autograd', panel: panels.autograd},
    {id: 'attention', label: 'Attention', panel: panels.attention},
    {id: 'training', label: 'Training', panel: panels.training},
  ]);
  MGV.splitView.mount(document.getElementById('split'), document.getElementById('divider'));
  for (const text of notes) note(text);

  // --- the worker -------------------------------------------------------------------------
  let worker = null;
  let inspections = new Map(), nextId = 1;
  let currentRun = 0;   // messages about older runs (still in flight after Train or Reset) are dropped
  const RUN_MESSAGES = new Set(['run', 'lines', 'snapshot', 'finished', 'source', 'state']);

  function note(text, kind = 'note') {
    store.set({consoleLines: [...store.state.consoleLines, {text, kind}]});
  }

  const handlers = {
    progress: ({stage}) => store.set({bootStage: stage}),
    ready: () => { failedBoots = 0; store.set({bootStage: 'Ready'}); },
    state: ({state}) => store.set({runState: state}),
    source: ({source, tokens, source_map}) => store.set({source, tokens, sourceMap: source_map}),
    run: ({lr_schedule, num_params, vocab_size}) => store.set({lrSchedule: lr_schedule, lastParams: num_params, vocabSize: vocab_size, hasModel: true}),
    lines: ({lines}) => store.set({consoleLines: store.state.consoleLines.concat(lines.map((text) => ({text, kind: 'out'})))}),
    snapshot: (snap) => {
      store.state.snapshots.push(snap);
      store.set({snapshots: store.state.snapshots});
    },
    finished: ({reason}) => {
      if (reason === 'stopped') {
        const last = store.state.snapshots.at(-1);
        note(`Stopped${last ? ` after step ${last.step}` : ''}. The model so far stays for the views.`);
      }
      calibrate();
    },
    error: (error) => {
      const summary = error.boot
        ? `Python could not start: ${error.message}${error.file ? ` (file: ${error.file})` : ''}. Rebuild the site or download it again, then reload.`
        : error.diverged ? error.message
        : `microgpt.py raised an error${error.line ? ` at line ${error.line}` : ''}: ${error.message}`;
      store.set({error: {...error, summary}});
      if (error.traceback) for (const line of error.traceback.replace(/\n$/, '').split('\n')) note(line, 'error');
      note(summary, 'error');
      if (error.line) MGV.codeView.show('error', [[error.line, error.line]]);
    },
    inspection: ({id, kind, result, error}) => {
      const pending = inspections.get(id);
      inspections.delete(id);
      if (kind === 'samples' && result) store.set({samples: result});
      if (pending) pending({result, error});
    },
  };

  // A worker that dies is replaced, but one that cannot even boot is not retried forever.
  let failedBoots = 0;

  function startWorker() {
    worker = MGV.runtime.start(() => workerDied('The Python worker stopped unexpectedly (it may have run out of memory).'), currentRun);
    const stale = (type, msg) => (RUN_MESSAGES.has(type) || (type === 'error' && !msg.boot)) && msg.run !== currentRun;
    protocol.listen(worker, Object.fromEntries(Object.entries(handlers).map(
      ([type, handle]) => [type, (msg) => { if (!stale(type, msg)) handle(msg); }])));
    worker.addEventListener('error', (e) => {
      e.preventDefault();
      workerDied(`The Python worker failed (${e.message || 'it could not load app/worker.mjs'}).`);
    });
  }

  function workerDied(what) {
    if (store.state.runState === 'loading' && ++failedBoots >= 2) {
      handlers.error({boot: true, message: `${what} It failed while starting, twice`, file: 'app/worker.mjs'});
      store.set({runState: 'error'});
      return;
    }
    note(`${what} A new one is starting; press Train when it is ready.`, 'error');
    restartWorker();
  }

  function restartWorker() {
    if (worker) MGV.runtime.retire(worker);
    currentRun++;
    store.set({runState: 'loading', bootStage: 'Restarting Python', hasModel: false});
    startWorker();
  }

  function inspect(kind, args = {}) {
    const id = nextId++;
    return new Promise((resolve) => {
      inspections.set(id, resolve);
      protocol.send(worker, 'inspect', {id, kind, args});
    });
  }

  // Valid edits of the form rewrite microgpt.py's lines (once Python can do it).
  let rewriteTimer = null;
  function scheduleRewrite() {
    clearTimeout(rewriteTimer);
    rewriteTimer = setTimeout(() => {
      const {values, errors} = store.checkAll(store.state.texts);
      if (Object.keys(errors).length || store.state.runState === 'loading') return;
      protocol.send(worker, 'setValues', {source: store.state.source, values, run: currentRun});
    }, 250);
  }

  // Adjust the per-step time estimate from what this machine just measured.
  function calibrate() {
    const snaps = store.state.snapshots.slice(-20);
    const {values} = store.checkAll(store.state.texts);
    if (!snaps.length || !store.state.lastParams) return;
    const ms = snaps.reduce((s, p) => s + p.ms, 0) / snaps.length;
    const T = values.block_size || 8;
    store.set({msPerUnit: ms / (store.state.lastParams * Math.min(T, 7) * (1 + T / 64))});
  }

  // --- the run controls -------------------------------------------------------------------
  const actions = {
    train() {
      const {values, errors} = MGV.hyperparamsView.validate();
      if (Object.keys(errors).length) {
        const first = store.hyperNames.find((n) => errors[n]);
        document.getElementById(`hp-${first}`).focus();
        return;           // nothing runs; the last run's results stay on screen
      }
      clearTimeout(rewriteTimer);
      store.set({consoleLines: [], snapshots: [], samples: null, error: null, lrSchedule: null, hasModel: false});
      protocol.send(worker, 'train', {source: store.state.source, values, run: ++currentRun});
    },
    pause: () => protocol.send(worker, 'pause'),
    resume: () => protocol.send(worker, 'resume'),
    step: () => protocol.send(worker, 'step'),
    stop: () => protocol.send(worker, 'stop'),
    reset() {
      store.set({consoleLines: [], snapshots: [], samples: null, error: null, lrSchedule: null, hasModel: false});
      protocol.send(worker, 'reset', {run: ++currentRun});
    },
  };
  MGV.controlsView.mount(actions);
  startWorker();
  // For tests and the curious: the live objects, read-only by convention.
  MGV.debug = {get worker() { return worker; }, restartWorker};
})();
