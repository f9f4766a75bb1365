// Parameter cards: one small card per state_dict matrix (shape, size, init std, and while training
// its mean, std, histogram and last gradient norm, all read from the run in the worker). Each
// card's name is a button that highlights where the matrix is created and where gpt() uses it.
window.MGV = window.MGV || {};
MGV.paramCardsView = (() => {
  const {el, fmt} = MGV.util;
  const store = MGV.store;
  const EVERY_MS = 1000;   // at most one request a second, only while the Architecture tab shows

  let inspect, grid, note;
  let inFlight = false, again = false, lastAt = 0, timer = null;
  let cards = new Map();   // name -> {card, fields}

  function mount(container, opts) {
    inspect = opts.inspect;
    grid = el('div', {class: 'pc-grid', role: 'list', 'aria-label': 'Parameter matrices'});
    note = el('p', {class: 'muted pc-note'});
    container.append(el('section', {class: 'pc', 'aria-label': 'Parameters'},
      el('h3', {}, 'Parameters: the matrices in state_dict'), note, grid));
    store.subscribe((state, keys) => {
      if (keys.includes('hasModel') && !state.hasModel) clear();
      if (keys.some((k) => k === 'snapshots' || k === 'hasModel' || k === 'tab')) want();
    });
    clear();
    want();
  }

  function clear() {
    cards = new Map();
    grid.replaceChildren();
    note.textContent = 'Press Train to fill these cards from the model. Click a name to see where it is made and used.';
  }

  // Ask for fresh numbers: not while a request is out, not more than once a second, only if seen.
  function want() {
    if (store.state.tab !== 'architecture' || !store.state.hasModel) return;
    if (inFlight) { again = true; return; }
    const wait = lastAt + EVERY_MS - Date.now();
    if (wait > 0) {
      if (!timer) timer = setTimeout(() => { timer = null; want(); }, wait);
      return;
    }
    inFlight = true;
    again = false;
    lastAt = Date.now();
    inspect('params', {bins: 16}).then(({result, error}) => {
      inFlight = false;
      if (result && store.state.hasModel) draw(result);
      else if (error) note.textContent = `Could not read the parameters: ${error.message}`;
      if (again) want();
    });
  }

  // "layer{i}.attn_wq" in the source map names layer0.attn_wq, layer1.attn_wq, ...
  function sourceKey(map, name) {
    const keys = Object.keys((map && map.state_dict) || {});
    if (keys.includes(name)) return name;
    const escape = (s) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    return keys.find((k) => new RegExp('^' + k.split(/\{[^}]*\}/).map(escape).join('.+') + '$').test(name)) || null;
  }

  function linesOf(map, name) {
    const key = sourceKey(map, name);
    if (!key) return [];
    const {created = [], used = []} = map.state_dict[key];
    return [...created, ...used].map((n) => [n, n]);
  }

  function makeCard(name) {
    const button = MGV.codeView.linkButton(name, (map) => linesOf(map, name), 'pc-name');
    const f = {
      shape: el('span', {class: 'pc-shape'}),
      count: el('span', {class: 'pc-count'}),
      init: el('span'),
      mean: el('span'),
      std: el('span'),
      hist: el('div', {class: 'pc-hist', role: 'img'}),
      range: el('span', {class: 'pc-range'}),
      grad: el('span'),
    };
    const card = el('div', {class: 'pc-card', role: 'listitem'},
      button,
      el('div', {class: 'pc-line'}, f.shape, f.count),
      el('div', {class: 'pc-line'}, f.init),
      el('div', {class: 'pc-line'}, f.mean, f.std),
      f.hist, f.range,
      el('div', {class: 'pc-line'}, f.grad));
    for (let i = 0; i < 16; i++) f.hist.append(el('span', {class: 'pc-bar'}));
    return {card, f};
  }

  function draw(stats) {
    const names = Object.keys(stats);
    if (names.join('|') !== [...cards.keys()].join('|')) {
      cards = new Map(names.map((n) => [n, makeCard(n)]));
      grid.replaceChildren(...[...cards.values()].map((c) => c.card));
    }
    const step = (store.state.snapshots.at(-1) || {}).step || 0;
    const gradStep = (Object.values(stats)[0] || {}).grad_step;
    note.textContent = `${names.length} matrices, as of step ${step}` +
      (gradStep ? `; gradient norms from step ${gradStep}'s backward()` : '') + '. Click a name to see where it is made and used.';
    for (const name of names) {
      const s = stats[name], {f} = cards.get(name);
      f.shape.textContent = `${s.shape[0]} × ${s.shape[1]}`;
      f.count.textContent = `${s.count.toLocaleString('en-US')} params`;
      f.init.textContent = s.init_std == null ? '' : `init std ${s.init_std}`;
      f.mean.textContent = `mean ${fmt(s.mean, 4)}`;
      f.std.textContent = `std ${fmt(s.std, 4)}`;
      drawHistogram(f, s);
      f.grad.textContent = s.grad_norm == null ? 'grad norm: after step 1' : `grad norm ${s.grad_norm.toPrecision(3)}`;
    }
  }

  function drawHistogram(f, s) {
    const hist = s.histogram || [];
    const top = Math.max(1, ...hist);
    while (f.hist.children.length < hist.length) f.hist.append(el('span', {class: 'pc-bar'}));
    [...f.hist.children].forEach((bar, i) => {
      bar.hidden = i >= hist.length;
      bar.style.height = `${hist[i] ? Math.max(4, (100 * hist[i]) / top) : 0}%`;
    });
    const same = s.min === s.max;
    f.hist.setAttribute('aria-label', same ? `all ${s.count} values are ${fmt(s.min, 4)}`
      : `histogram of ${s.count} values from ${fmt(s.min, 3)} to ${fmt(s.max, 3)}`);
    f.range.textContent = same ? `all ${fmt(s.min, 3)}` : `${fmt(s.min, 3)} … ${fmt(s.max, 3)}`;
  }

  return {mount};
})();
