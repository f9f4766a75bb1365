// All UI state in one place. `fields` is the declarative table of what the learner sets
// (name, type, range, where it persists); the rest is live state that the worker reports.
// This is the only module that reads or writes storage.
window.MGV = window.MGV || {};
MGV.store = (() => {
  const STORAGE_KEY = 'microgpt-viz';
  const VERSION = 1;

  // The hyperparameters are microgpt.py's own names; their defaults are read from its source.
  const fields = {
    n_embd:        {type: 'int', min: 4, max: 64, help: 'width of each token’s vector'},
    n_head:        {type: 'int', min: 1, max: 16, help: 'attention heads; must divide n_embd'},
    n_layer:       {type: 'int', min: 1, max: 4, help: 'transformer blocks, stacked'},
    block_size:    {type: 'int', min: 2, max: 32, help: 'longest context, in tokens'},
    learning_rate: {type: 'float', min: 0, max: 1, minOpen: true, help: 'Adam’s step size, in (0, 1]'},
    beta1:         {type: 'float', min: 0, max: 1, maxOpen: true, help: 'gradient momentum, in [0, 1)'},
    beta2:         {type: 'float', min: 0, max: 1, maxOpen: true, help: 'squared-gradient decay, in [0, 1)'},
    num_steps:     {type: 'int', min: 1, max: 100000, help: 'training steps, one document each'},
    temperature:   {type: 'float', min: 0, max: 2, minOpen: true, help: 'sampling randomness, in (0, 2]'},
    seed:          {type: 'int', min: 0, max: 2 ** 32 - 1, help: 'random.seed: same seed, same run'},
  };
  const hyperNames = Object.keys(fields);
  const ui = {
    tab:   {type: 'enum', values: ['architecture', 'autograd', 'attention', 'training', 'data', 'runs'], default: 'training'},
    split: {type: 'number', min: 0.2, max: 0.8, default: 0.5},
  };

  const MAX_WIDTH = 128;   // n_embd * n_layer: 64 * 2 already takes ~10 s per step in a browser
  const INT = /^[+-]?\d+$/;
  const FLOAT = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;

  // Parse and check one hyperparameter typed as text. Returns {value} or {error}.
  function check(name, text, others = {}) {
    const f = fields[name];
    const s = String(text).trim();
    if (s === '') return {error: `${name} is empty: enter a number.`};
    if (f.type === 'int' && !INT.test(s)) {
      return {error: FLOAT.test(s) ? `${name} must be a whole number.` : `${name} must be a number, like ${f.min}.`};
    }
    if (f.type === 'float' && !FLOAT.test(s)) return {error: `${name} must be a number, like 0.01.`};
    const value = Number(s);
    if (!Number.isFinite(value)) return {error: `${name} is too large.`};
    const low = f.minOpen ? value <= f.min : value < f.min;
    const high = f.maxOpen ? value >= f.max : value > f.max;
    if (low || high) {
      const range = `${f.minOpen ? '(' : '['}${f.min}, ${f.max}${f.maxOpen ? ')' : ']'}`;
      return {error: f.type === 'int' ? `${name} must be from ${f.min} to ${f.max}.` : `${name} must be in ${range}.`};
    }
    if (name === 'n_head' && Number.isInteger(others.n_embd) && others.n_embd % value !== 0) {
      return {error: `n_head must divide n_embd (${others.n_embd}) evenly.`};
    }
    if (name === 'n_layer' && Number.isInteger(others.n_embd) && others.n_embd * value > MAX_WIDTH) {
      return {error: `n_layer × n_embd must be at most ${MAX_WIDTH}: bigger models take minutes per step here.`};
    }
    return {value};
  }

  // Check a whole form: {values, errors} where errors maps names to messages.
  function checkAll(texts) {
    const values = {}, errors = {};
    for (const name of hyperNames) {
      const r = check(name, texts[name], values);
      if (r.error) errors[name] = r.error; else values[name] = r.value;
    }
    return {values, errors};
  }

  const state = {
    runState: 'loading',     // loading | ready | starting | training | stopping | paused | error
    bootStage: 'Loading',
    texts: {},               // what is typed in the hyperparameter inputs
    errors: {},              // per-field messages
    defaults: {},            // microgpt.py's own values, from its source map
    source: '',              // the text that runs (edits included)
    original: '',            // microgpt.py as shipped
    tokens: [],              // highlighted lines
    sourceMap: null,
    highlight: null,         // {lines: [[start, end], ...], label}
    snapshots: [],           // one per training step
    stepBreakdown: null,     // what the latest step did, phase by phase (py/step_report.py), with its step
    consoleLines: [],        // [{text, kind}] kind: out | note | error
    consoleDropped: 0,       // lines of this run left out before consoleLines (it keeps the last 5,000)
    samples: null,
    error: null,
    notes: [],
    tab: ui.tab.default,
    split: ui.split.default,
    dataId: 'names',         // a bundled data set's id, or 'custom'
    custom: null,            // {text, name, check}: text the learner pasted or chose (this session only)
    runConfig: null,         // {values, data: {id, name}} of the run just started (see runsView)
    runs: [],                // the last few runs of this session (runsView keeps them)
    loaded: null,            // {steps, own_data, fileName, data} when the model came from a file
    modelMessage: null,      // {kind: 'error' | 'note', text} about saving or loading a model
    linkNotes: [],           // one message per link value that was refused
  };
  const listeners = new Set();

  function set(patch) {
    Object.assign(state, patch);
    const keys = Object.keys(patch);
    for (const fn of listeners) fn(state, keys);
    if (keys.some((k) => k === 'tab' || k === 'split' || k === 'texts' || k === 'dataId')) save();
    if (keys.some((k) => k === 'tab' || k === 'texts' || k === 'dataId')) writeHash();
  }
  const subscribe = (fn) => { listeners.add(fn); return () => listeners.delete(fn); };

  function storage() {
    try { return window.localStorage; } catch { return null; }
  }

  function save() {
    const s = storage();
    if (!s) return;
    const {values} = checkAll(state.texts);
    try {
      const data = state.dataId === 'custom' ? undefined : state.dataId;
      s.setItem(STORAGE_KEY, JSON.stringify({version: VERSION, tab: state.tab, split: state.split, values, data}));
    } catch { /* full or refused: settings simply do not persist */ }
  }

  const UNAVAILABLE = 'This browser does not let the page use its storage (it is off or blocked), so settings cannot be saved; they will reset on reload.';

  // Restore saved settings, trusting nothing: each value is checked like typed input.
  function restore() {
    const s = storage();
    if (!s) return [UNAVAILABLE];
    let text, saved;
    try { text = s.getItem(STORAGE_KEY); } catch { return [UNAVAILABLE]; }   // e.g. storage disabled or blocked
    try { saved = JSON.parse(text || 'null'); } catch { saved = 'bad'; }
    if (saved === null) return [];
    if (!saved || typeof saved !== 'object' || saved.version !== VERSION) {
      return ['Saved settings were from another version or damaged, so they were ignored.'];
    }
    const notes = [], texts = {...state.texts};
    if (ui.tab.values.includes(saved.tab)) state.tab = saved.tab;
    if (typeof saved.split === 'number' && saved.split >= ui.split.min && saved.split <= ui.split.max) state.split = saved.split;
    if (dataSets().some((d) => d.id === saved.data)) state.dataId = saved.data;
    const values = saved.values && typeof saved.values === 'object' ? saved.values : {};
    const partial = checkAll(texts).values;   // saved values are checked against the rest
    for (const name of hyperNames) {
      if (!(name in values)) continue;
      const r = check(name, values[name], partial);
      if (r.error) notes.push(`Ignored a saved ${name}: ${r.error}`);
      else { partial[name] = r.value; texts[name] = String(r.value); }
    }
    state.texts = texts;
    return notes;
  }

  // --- data: the bundled sets, and the checks on the learner's own text ----------------------
  // Limits keep a run responsive and every character visible; the text itself is never trusted.
  const dataLimits = {bytes: 1_000_000, docs: 50_000, lineLength: 256, vocab: 200};
  // Control, invisible (format), private-use, unassigned and surrogate characters, and line or
  // paragraph separators: the page cannot show them as text (line ends themselves are fine).
  const HIDDEN = /[\p{Cc}\p{Cf}\p{Co}\p{Cs}\p{Cn}\p{Zl}\p{Zp}]/u;

  // [{id, name, provenance, license, text}]: the names (input.txt) first, then the build's sets.
  function dataSets() {
    const bundle = window.MGV.bundle || {};
    const sets = bundle.datasets || [{id: 'names', name: 'Baby names', provenance: 'input.txt', license: '', file: 'input.txt'}];
    return sets.map((d) => ({...d, text: d.text ?? (bundle.files || {})[d.file || 'input.txt'] ?? ''}));
  }

  // The text the next run writes as input.txt, and its name.
  function data() {
    if (state.dataId === 'custom' && state.custom) return {id: 'custom', name: state.custom.name, text: state.custom.text};
    const set = dataSets().find((d) => d.id === state.dataId) || dataSets()[0];
    return {id: set.id, name: set.name, text: set.text};
  }

  // The first document of the chosen data (the views' example text), at most 40 characters.
  function firstDoc() {
    return ([...(data().text.split(/\r\n|\r|\n/).find((l) => l.trim()) || 'emma').trim()]).slice(0, 40).join('');
  }

  const codePoint = (ch) => 'U+' + ch.codePointAt(0).toString(16).toUpperCase().padStart(4, '0');

  // Check text as microgpt.py will read it: lines split at \n, \r\n or \r (Python's universal
  // newlines), each stripped, empty ones dropped. {docs, chars, longest, errors, notes}.
  function checkData(text, blockSize = 8) {
    const errors = [], notes = [];
    const bytes = new TextEncoder().encode(text).length;
    if (bytes > dataLimits.bytes) {
      return {docs: [], chars: [], longest: 0, notes, errors: [`The text is ${(bytes / 1e6).toFixed(1)} MB; the limit is ${dataLimits.bytes / 1e6} MB.`]};
    }
    const lines = text.split(/\r\n|\r|\n/);
    const bad = lines.findIndex((line) => HIDDEN.test(line));
    if (bad >= 0) {
      const ch = lines[bad].match(HIDDEN)[0];
      const count = lines.filter((line) => HIDDEN.test(line)).length;
      errors.push(`Line ${bad + 1} has a character the page cannot show (${codePoint(ch)}${ch === '\t' ? ', a tab' : ''})` +
        `${count > 1 ? `, and so ${count > 2 ? `do ${count - 1} more lines` : 'does 1 more line'}` : ''}. Remove it to use this text.`);
    }
    const docs = lines.map((line) => line.trim()).filter(Boolean);
    const chars = [...new Set([...docs.join('')])].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    const lengths = docs.map((doc) => [...doc].length);
    const longest = lengths.reduce((a, b) => Math.max(a, b), 0);
    if (!docs.length) errors.push('There is no text: write one document (a name, a word) per line.');
    if (docs.length > dataLimits.docs) errors.push(`There are ${docs.length.toLocaleString('en-US')} lines; the limit is ${dataLimits.docs.toLocaleString('en-US')}.`);
    if (longest > dataLimits.lineLength) {
      errors.push(`Line ${lines.findIndex((line) => [...line.trim()].length === longest) + 1} has ${longest} characters; the limit is ${dataLimits.lineLength}.`);
    }
    if (chars.length > dataLimits.vocab) errors.push(`The text has ${chars.length} different characters; the limit is ${dataLimits.vocab} (each one is a token).`);
    const long = lengths.filter((n) => n >= blockSize).length;
    if (long && !errors.length) {
      notes.push(`${long.toLocaleString('en-US')} of ${docs.length.toLocaleString('en-US')} lines have ${blockSize} or more characters: ` +
        `a step trains on the first block_size (${blockSize}) positions only, so the model never sees how they end, and samples stop at ${blockSize} characters.`);
    }
    return {docs, chars, longest, errors, notes};
  }

  // --- the link: #n_embd=16&...&seed=42&data=pokemon&tab=training ---------------------------
  let hashRead = false, lastHash = null;

  function hashFor() {
    const {values} = checkAll(state.texts);
    const params = new URLSearchParams();
    for (const name of hyperNames) if (name in values) params.set(name, String(values[name]));
    if (state.dataId !== 'custom') params.set('data', state.dataId);
    params.set('tab', state.tab);
    return '#' + params.toString();
  }

  function writeHash() {
    if (!hashRead) return;
    const hash = hashFor();
    if (hash === lastHash) return;
    lastHash = hash;
    try { history.replaceState(null, '', hash); } catch { /* file:// in some browsers: the link is still built on demand */ }
  }

  // Apply a link's values, trusting none: each is checked like typed input, and each refused
  // one gets its own message. Returns the messages (also in state.linkNotes).
  function readHash(hash) {
    hashRead = true;
    const text = String(hash || '').replace(/^#/, '');
    if (!text || text === lastHash?.slice(1)) return [];
    lastHash = '#' + text;
    let params;
    try { params = new URLSearchParams(text); } catch { return ['The link could not be read, so it was ignored.']; }
    const notes = [], texts = {...state.texts}, partial = checkAll(texts).values, patch = {};
    const once = (key) => {
      if (params.getAll(key).length === 1) return params.get(key);
      notes.push(`The link gives ${key} more than once, so it was ignored.`);
      return null;
    };
    for (const name of hyperNames) {
      if (!params.has(name)) continue;
      const value = once(name);
      if (value === null) continue;
      const r = check(name, value, partial);
      if (r.error) notes.push(`The link's ${name} was ignored: ${r.error}`);
      else { partial[name] = r.value; texts[name] = String(r.value); }
    }
    if (params.has('data')) {
      const id = once('data');
      if (id !== null && dataSets().some((d) => d.id === id)) patch.dataId = id;
      else if (id !== null) notes.push(`The link's data was ignored: it is not one of the bundled data sets (${dataSets().map((d) => d.id).join(', ')}).`);
    }
    if (params.has('tab')) {
      const tab = once('tab');
      if (tab !== null && ui.tab.values.includes(tab)) patch.tab = tab;
      else if (tab !== null) notes.push(`The link's tab was ignored: there is no tab by that name.`);
    }
    // Unknown keys: named when few, counted when many (a link can hold thousands).
    const unknown = [...new Set(params.keys())].filter((key) => !hyperNames.includes(key) && key !== 'data' && key !== 'tab');
    if (unknown.length > 3) notes.push(`${unknown.length.toLocaleString('en-US')} unknown keys in the link were ignored (${unknown.slice(0, 3).map((k) => k.slice(0, 30)).join(', ')}, …).`);
    else for (const key of unknown) notes.push(`The link's ${key.slice(0, 30)} is not a setting here, so it was ignored.`);
    Object.assign(state, patch, {texts, linkNotes: notes});
    return notes;
  }

  return {fields, hyperNames, ui, state, set, subscribe, check, checkAll, restore,
    dataLimits, dataSets, data, firstDoc, checkData, hashFor, readHash, writeHash};
})();
