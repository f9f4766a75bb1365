// Wires the page together: the store's first state, the views, the worker and the run controls.
(() => {
  const {store, protocol, bundle} = MGV;
  const hp = bundle.source_map.hyperparams;

  // The Console keeps the last CONSOLE_KEEP lines of a run (a loop printing a flood must not
  // make the page crawl) and counts the rest, including those the worker already left out.
  const CONSOLE_KEEP = 5000;
  function addLines(lines, dropped = 0) {
    const all = store.state.consoleLines.concat(lines);
    const over = Math.max(0, all.length - CONSOLE_KEEP);
    store.set({consoleLines: over ? all.slice(over) : all, consoleDropped: store.state.consoleDropped + dropped + over});
  }
  const CLEAR_CONSOLE = {consoleLines: [], consoleDropped: 0};

  // The form starts at microgpt.py's own values; saved settings are restored over them if valid.
  const defaults = Object.fromEntries(store.hyperNames.filter((n) => hp[n]).map((n) => [n, hp[n].value]));
  store.state.texts = Object.fromEntries(Object.entries(defaults).map(([n, v]) => [n, String(v)]));
  const notes = store.restore();
  store.readHash(location.hash);   // a link's values win over saved ones; refused ones are listed
  // msPerUnit: the first speed estimate (~105 ms a step at the defaults, measured on 2 cores by
  // scripts/bench.py); each run replaces it with this machine's own (calibrate below).
  store.set({defaults, source: bundle.files['microgpt.py'], original: bundle.files['microgpt.py'],
    tokens: bundle.tokens, sourceMap: bundle.source_map, msPerUnit: 0.0033});

  const panel = () => MGV.util.el('div');
  const panels = {architecture: panel(), autograd: panel(), attention: panel(), training: panel(), data: panel(), runs: panel()};
  MGV.codeView.mount(document.getElementById('code'), document.getElementById('code-note'));
  MGV.stepView.mount(document.getElementById('code-step'), {inspect});
  MGV.editView.mount(document.getElementById('code-edit'), {check: (source) => worker && protocol.send(worker, 'check', {source})});
  MGV.codePaneView.mount(document.getElementById('code-modes'), {code: document.getElementById('code'),
    step: document.getElementById('code-step'), edit: document.getElementById('code-edit')});
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
    {id: 'data', label: 'Data', panel: panels.data},
    {id: 'runs', label: 'Runs', panel: panels.runs},
  ]);
  MGV.dataView.mount(panels.data);
  MGV.shareView.mount(document.getElementById('share'));
  MGV.modelFileView.mount(panels.runs, {onSave: saveModel, onLoad: loadModel});
  MGV.runsView.mount(panels.runs);
  if (location.hash) store.writeHash();   // a link opened: the address now says what is in force
  // A link pasted into this tab's address bar is read like one opened fresh.
  window.addEventListener('hashchange', () => {
    if (location.hash === store.hashFor()) return;
    store.readHash(location.hash);
    store.set({texts: store.state.texts, tab: store.state.tab, dataId: store.state.dataId, linkNotes: store.state.linkNotes});
    MGV.hyperparamsView.validate();
    scheduleRewrite();
  });
  MGV.splitView.mount(document.getElementById('split'), document.getElementById('divider'));
  MGV.layoutView.mount();
  for (const text of notes) note(text);

  // --- the worker -------------------------------------------------------------------------
  let worker = null;
  let inspections = new Map(), nextId = 1;
  let currentRun = 0;   // messages about older runs (still in flight after Train or Reset) are dropped
  const RUN_MESSAGES = new Set(['run', 'lines', 'snapshot', 'finished', 'source', 'state']);

  function note(text, kind = 'note') {
    addLines([{text, kind}]);
  }

  const handlers = {
    heard: ({seq}) => { clearTimeout((unheard.get(seq) || {}).timer); unheard.delete(seq); },
    progress: ({stage}) => store.set({bootStage: stage}),
    checked: (msg) => MGV.editView.checked(msg),
    ready: () => {
      failedBoots = 0;
      store.set({bootStage: 'Ready'});
      if (formDiffersFromCode()) scheduleRewrite();   // saved settings or a link's: the code shows them now
    },
    state: ({state}) => store.set({runState: state}),
    source: ({source, tokens, source_map}) => store.set({source, tokens, sourceMap: source_map}),
    run: ({lr_schedule, num_params, vocab_size, loaded}) => {
      store.set({lrSchedule: lr_schedule, lastParams: num_params, vocabSize: vocab_size, hasModel: true});
      if (loaded) modelLoaded(loaded);
    },
    lines: ({lines, dropped}) => addLines(lines.map((text) => ({text, kind: 'out'})), dropped || 0),
    snapshot: ({breakdown, ...snap}) => {
      store.state.snapshots.push(snap);   // what the step did is kept for the latest step only
      store.set({snapshots: store.state.snapshots, stepBreakdown: breakdown ? {...breakdown, step: snap.step} : null});
    },
    finished: ({reason}) => {
      if (reason === 'stopped') {
        const last = store.state.snapshots.at(-1);
        note(`Stopped${last ? ` after step ${last.step}` : ''}. The model so far stays for the views.`);
      }
      calibrate();
    },
    error: (error) => {
      if (error.fatal) return workerDied(`Python stopped working: ${error.message}.`);
      if (error.model_file) return store.set({modelMessage: {kind: 'error', text: error.message}, loaded: null});
      const summary = error.refused ? error.message
        : error.boot
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
    worker = MGV.runtime.start(() => workerDied('The Python worker stopped unexpectedly (it may have run out of memory).'), currentRun,
      (advice) => { handlers.error({boot: true, refused: true, message: advice}); store.set({runState: 'error'}); });
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
    for (const {timer} of unheard.values()) clearTimeout(timer);
    unheard.clear();
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

  function formDiffersFromCode() {
    const {values} = store.checkAll(store.state.texts);
    const inCode = (store.state.sourceMap || {}).hyperparams || {};
    return Object.entries(values).some(([name, value]) => inCode[name] && inCode[name].value !== value);
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

  // Stop, Train and Reset must work even while Python is stuck in one long call (an endless
  // loop in edited code): the worker acknowledges each message the moment it gets it, which it
  // cannot while Python runs. Unheard within STUCK_MS, the worker is replaced by a fresh one
  // (what is on screen stays; the model in it is lost), and each unheard request's then() goes
  // on with the new one, in order (a Train pressed after a stuck Stop still trains).
  // send() sends the message and returns its number.
  const STUCK_MS = 700;
  const unheard = new Map();   // message number -> {timer, then}
  function urgent(send, then) {
    const seq = send();
    if (store.state.bootStage !== 'Ready') return;   // a worker still starting Python answers once it has
    unheard.set(seq, {then, timer: setTimeout(replaceStuckWorker, STUCK_MS)});
  }
  function replaceStuckWorker() {
    const pending = [...unheard.values()];
    note('Python did not answer within a second (it may be in an endless loop), so it was stopped and a new ' +
      'one is starting. What is on screen stays; the model itself is gone.', 'error');
    restartWorker();
    for (const {then} of pending) if (then) then();
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
      const data = store.data();
      store.set({...CLEAR_CONSOLE, snapshots: [], samples: null, error: null, lrSchedule: null, hasModel: false,
        loaded: null, modelMessage: null, runConfig: {values, data: {id: data.id, name: data.name, docs: store.checkData(data.text).docs.length}}});
      // said at once (the worker confirms it); a worker stuck in a loop is replaced, and the new one trains once booted
      const begin = () => {
        store.set({runState: 'starting'});
        return protocol.send(worker, 'train', {source: store.state.source, values, run: ++currentRun, data: data.text});
      };
      urgent(begin, begin);
    },
    pause: () => protocol.send(worker, 'pause'),
    resume: () => protocol.send(worker, 'resume'),
    step: () => protocol.send(worker, 'step'),
    stop() {
      store.set({runState: 'stopping'});
      urgent(() => protocol.send(worker, 'stop'));
    },
    reset() {
      store.set({...CLEAR_CONSOLE, snapshots: [], samples: null, error: null, lrSchedule: null, hasModel: false});
      urgent(() => protocol.send(worker, 'reset', {run: ++currentRun}));
    },
  };
  MGV.controlsView.mount(actions);

  // --- saving and loading the model -------------------------------------------------------
  async function saveModel() {
    const data = store.state.loaded ? store.state.loaded.dataRef : store.state.runConfig && store.state.runConfig.data;
    const {result, error} = await inspect('export_model', {data: data ? {id: data.id, name: data.name} : null});
    if (error) return store.set({modelMessage: {kind: 'error', text: error.message}});
    MGV.downloads.saveJSON(`microgpt-model-${MGV.downloads.slug(data ? data.name : 'data')}-${result.steps}-steps.json`, result, {compact: true});
    store.set({modelMessage: {kind: 'note', text: `Saved: ${result.steps} steps, vocab_size ${result.vocab_size}, n_embd ${result.config.n_embd}.`}});
  }

  // A saved model becomes the current one: its settings go into the editor (checked like a
  // link's), its data set is chosen if it is a bundled one, and the worker copies its weights in.
  let loading = null;
  function loadModel(text, fileName) {
    const checked = MGV.modelFileCheck.read(text, fileName);
    if (checked.error) return store.set({modelMessage: {kind: 'error', text: checked.error}});
    const {model} = checked, {config} = model;
    text = checked.text;
    const texts = {...store.state.texts}, partial = {}, problems = [];
    for (const name of store.hyperNames) {
      if (!(name in config)) continue;
      const r = store.check(name, config[name], partial);
      if (r.error) problems.push(`its ${name}: ${r.error}`); else { partial[name] = r.value; texts[name] = String(r.value); }
    }
    if (problems.length) return store.set({modelMessage: {kind: 'error', text: `${fileName} cannot be used here, ${problems.join('; ')}`}});
    const bundled = model.data && store.dataSets().find((d) => d.id === model.data.id);
    const {values} = store.checkAll(texts);
    store.set({texts, ...(bundled ? {dataId: bundled.id} : {}), ...CLEAR_CONSOLE, snapshots: [], samples: null, error: null,
      lrSchedule: null, hasModel: false, loaded: null, modelMessage: {kind: 'note', text: `Loading ${fileName}…`}});
    MGV.hyperparamsView.validate();
    const data = store.data();
    loading = {fileName, data: model.data && typeof model.data.name === 'string' ? model.data.name : null,
      dataRef: model.data && typeof model.data.id === 'string' ? {id: model.data.id, name: String(model.data.name)} : null};
    protocol.send(worker, 'loadModel', {source: store.state.source, values, run: ++currentRun, data: data.text, model: text});
  }

  function modelLoaded({steps, own_data}) {
    store.set({loaded: {...loading, steps}, modelMessage: {kind: 'note', text: `Loaded ${loading.fileName}: ${steps} steps of training.` +
      (own_data ? '' : ' Its data was not at hand, so input.txt holds just its characters, one per line.')}});
    note(`Loaded the model in ${loading.fileName} (${steps} steps). Generate samples or inspect it; Train starts a new run.`);
  }
  startWorker();
  // For tests and the curious: the live objects, read-only by convention.
  MGV.debug = {get worker() { return worker; }, restartWorker};
})();
