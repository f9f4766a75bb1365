// All UI state in one place. `fields` is the declarative table of what the learner sets
// (name, type, range, where it persists); the rest is live state that the worker reports.
// This is the only module that reads or writes storage.
window.MGV = window.MGV || {};
MGV.store = (() => {
  const STORAGE_KEY = 'microgpt-viz';
  const VERSION = 1;

  // The hyperparameters are microgpt.py's own names; their defaults are read from its source.
  const fields = {
    n_embd:        {type: 'int', min: 4, max: 64, help: 'width of every vector'},
    n_head:        {type: 'int', min: 1, max: 16, help: 'attention heads; must divide n_embd'},
    n_layer:       {type: 'int', min: 1, max: 4, help: 'transformer layers'},
    block_size:    {type: 'int', min: 2, max: 32, help: 'longest context, in tokens'},
    learning_rate: {type: 'float', min: 0, max: 1, minOpen: true, help: 'Adam step size, in (0, 1]'},
    beta1:         {type: 'float', min: 0, max: 1, maxOpen: true, help: 'momentum, in [0, 1)'},
    beta2:         {type: 'float', min: 0, max: 1, maxOpen: true, help: 'mean-square decay, in [0, 1)'},
    num_steps:     {type: 'int', min: 1, max: 100000, help: 'training steps'},
    temperature:   {type: 'float', min: 0, max: 2, minOpen: true, help: 'sampling randomness, in (0, 2]'},
    seed:          {type: 'int', min: 0, max: 2 ** 32 - 1, help: 'the value in random.seed(...)'},
  };
  const hyperNames = Object.keys(fields);
  const ui = {
    tab:   {type: 'enum', values: ['architecture', 'autograd', 'attention', 'training'], default: 'training'},
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
    runState: 'loading',     // loading | ready | training | paused | error
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
    consoleLines: [],        // [{text, kind}] kind: out | note | error
    samples: null,
    error: null,
    notes: [],
    tab: ui.tab.default,
    split: ui.split.default,
  };
  const listeners = new Set();

  function set(patch) {
    Object.assign(state, patch);
    const keys = Object.keys(patch);
    for (const fn of listeners) fn(state, keys);
    if (keys.some((k) => k === 'tab' || k === 'split' || k === 'texts')) save();
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
      s.setItem(STORAGE_KEY, JSON.stringify({version: VERSION, tab: state.tab, split: state.split, values}));
    } catch { /* full or refused: settings simply do not persist */ }
  }

  // Restore saved settings, trusting nothing: each value is checked like typed input.
  function restore() {
    const s = storage();
    if (!s) return ['Settings cannot be saved in this browser mode; they will reset on reload.'];
    let saved;
    try { saved = JSON.parse(s.getItem(STORAGE_KEY) || 'null'); } catch { saved = 'bad'; }
    if (saved === null) return [];
    if (!saved || typeof saved !== 'object' || saved.version !== VERSION) {
      return ['Saved settings were from another version or damaged, so they were ignored.'];
    }
    const notes = [], texts = {...state.texts};
    if (ui.tab.values.includes(saved.tab)) state.tab = saved.tab;
    if (typeof saved.split === 'number' && saved.split >= ui.split.min && saved.split <= ui.split.max) state.split = saved.split;
    const values = saved.values && typeof saved.values === 'object' ? saved.values : {};
    const partial = {};
    for (const name of hyperNames) {
      if (!(name in values)) continue;
      const r = check(name, values[name], partial);
      if (r.error) notes.push(`Ignored a saved ${name}: ${r.error}`);
      else { partial[name] = r.value; texts[name] = String(r.value); }
    }
    state.texts = texts;
    return notes;
  }

  return {fields, hyperNames, ui, state, set, subscribe, check, checkAll, restore};
})();
