// The Attention tab: how much each position of a name attends to each earlier one, for every
// layer and head of the current model (gpt()'s own attn_weights, read by a real forward pass).
// The chosen head is a table whose cells are coloured by weight (so screen readers and tests read
// the same numbers); all heads also appear as small canvases. Updates live while training.
window.MGV = window.MGV || {};
MGV.attentionView = (() => {
  const {el} = MGV.util;
  const store = MGV.store;
  const MIN_INTERVAL = 700;   // ms between live requests, at least; more if a pass is slow,
  let interval = MIN_INTERVAL; // so that training keeps most of the worker's time
  let ui = {}, inspect;
  let data = null, layer = 0, head = 0;
  let inFlight = false, lastAsked = 0, seenSnapshots = 0, wanted = false, timer = null;
  let refused = null;   // a name Python refused: not asked again until it is changed

  const charLabel = (ch) => ch == null ? '⟨BOS⟩' : ch === ' ' ? '␠' : ch;

  function mount(panel, deps) {
    ({inspect} = deps);
    ui.text = MGV.util.exampleInput({id: 'att-text'});
    ui.layer = el('select', {id: 'att-layer'});
    ui.head = el('select', {id: 'att-head'});
    ui.message = el('p', {class: 'att-message', role: 'status'});
    ui.readout = el('p', {class: 'att-readout', 'aria-hidden': 'true'}, ' ');
    ui.main = el('div', {class: 'att-main'});
    ui.grid = el('div', {class: 'att-grid', role: 'group', 'aria-label': 'All heads'});
    ui.code = MGV.codeView.linkButton('attn_weights = softmax(...)', (m) => [(m.anchors || {}).attn_logits, (m.anchors || {}).attn_softmax], 'small');
    panel.append(
      el('h3', {}, 'Attention: where each position looks'),
      el('p', {class: 'muted att-help'}, 'Row: the position being computed (query). Column: an earlier position it can look at (key). Each row sums to 1; later positions are hidden from it. ', ui.code),
      el('form', {class: 'row att-form', onsubmit: (e) => { e.preventDefault(); request(true); }},
        el('label', {for: 'att-text'}, 'Name to read'), ui.text,
        ui.show = el('button', {type: 'submit'}, 'Show'),
        el('label', {for: 'att-layer'}, 'Layer'), ui.layer,
        el('label', {for: 'att-head'}, 'Head'), ui.head),
      ui.message, ui.main, ui.readout,
      ui.gridTitle = el('h3', {}, 'Every head'), ui.grid);

    ui.layer.addEventListener('change', () => { layer = Number(ui.layer.value) - 1; drawMain(); markGrid(); });
    ui.head.addEventListener('change', () => { head = Number(ui.head.value) - 1; drawMain(); markGrid(); });
    ui.main.addEventListener('mouseover', (e) => {
      const cell = e.target.closest('td[data-value]');
      ui.readout.textContent = cell ? cell.title : ' ';
    });
    ui.main.addEventListener('mouseleave', () => { ui.readout.textContent = ' '; });

    store.subscribe((state, keys) => {
      if (keys.includes('hasModel') && !state.hasModel) { data = null; seenSnapshots = 0; refused = null; render(); }
      if (keys.includes('hasModel') || keys.includes('runState')) availability();
      if (keys.includes('snapshots') || keys.includes('tab') || keys.includes('hasModel')) maybeRequest();
    });
    availability();
    render();
  }

  // Show asks Python about the current model: there is none before a run, nor while Python starts.
  function availability() {
    ui.show.disabled = !store.state.hasModel || store.state.runState === 'loading';
  }

  const visible = () => store.state.tab === 'attention';

  // Live: at most one request in flight, and at most one per MIN_INTERVAL, only while shown.
  function maybeRequest() {
    const state = store.state;
    if (!visible() || !state.hasModel) return;
    if (refused !== null && refused === ui.text.value) return;
    const fresh = !data || state.snapshots.length !== seenSnapshots;
    if (!fresh) return;
    const wait = lastAsked + interval - performance.now();
    if (inFlight) { wanted = true; return; }
    if (wait > 0) {
      if (!timer) timer = setTimeout(() => { timer = null; maybeRequest(); }, wait);
      return;
    }
    request(false);
  }

  async function request(byUser) {
    if (!store.state.hasModel) { render(); return; }
    if (inFlight) { wanted = byUser ? 'now' : wanted || true; return; }
    inFlight = true;
    wanted = false;
    lastAsked = performance.now();
    const snapshots = store.state.snapshots.length;
    const {result, error} = await inspect('attention', {text: ui.text.value});
    inFlight = false;
    interval = Math.max(MIN_INTERVAL, 3 * (performance.now() - lastAsked));
    if (!store.state.hasModel) { render(); return; }
    if (error || !result) {
      // the weights shown were of another name: they go, so nothing on screen contradicts the message
      data = null;
      refused = ui.text.value;   // do not retry a bad name on every step
      seenSnapshots = snapshots;
      render();
      const why = error ? String(error.message || error).replace(/^\w+(Error)?: /, '') : 'No answer from Python.';
      ui.message.textContent = `“${refused}” cannot be shown: ${why}`;
      ui.message.classList.add('is-error');
    } else {
      refused = null;
      ui.message.classList.remove('is-error');
      seenSnapshots = snapshots;
      data = result;
      render();
    }
    if (wanted) { const now = wanted === 'now'; wanted = false; retry(now); }
  }

  // Ask again once the interval has passed (a name typed, or steps made, while a request ran).
  function retry(now) {
    clearTimeout(timer);
    const wait = now ? 0 : Math.max(0, lastAsked + interval - performance.now());
    timer = setTimeout(() => { timer = null; if (store.state.hasModel && visible()) request(false); }, wait);
  }

  function render() {
    ui.gridTitle.textContent = data ? `Every head, reading “${data.text}”` : 'Every head';
    if (!store.state.hasModel) {
      ui.message.classList.remove('is-error');
      ui.message.textContent = 'Press Train (or Train then Stop) to create the model first; the weights here are its own.';
    }
    ui.layer.disabled = ui.head.disabled = !data;
    if (!data) {
      ui.main.replaceChildren();
      ui.grid.replaceChildren();
      ui.layer.replaceChildren();
      ui.head.replaceChildren();
      return;
    }
    const step = store.state.snapshots.length ? `after step ${store.state.snapshots.at(-1).step}` : 'before training';
    ui.message.textContent = `${data.text}: ${data.chars.length} positions, ${data.n_layer} layer${data.n_layer > 1 ? 's' : ''} × ${data.n_head} heads, ${step}.`;
    layer = Math.min(layer, data.n_layer - 1);
    head = Math.min(head, data.n_head - 1);
    fillSelect(ui.layer, data.n_layer, layer);
    fillSelect(ui.head, data.n_head, head);
    drawMain();
    drawGrid();
  }

  function fillSelect(select, count, chosen) {
    if (select.options.length !== count) {
      select.replaceChildren(...Array.from({length: count}, (_, i) => el('option', {value: String(i + 1)}, String(i + 1))));
    }
    select.value = String(chosen + 1);
  }

  // A cell's colour is --heat mixed into --panel by its weight; its number is white on a dark mix
  // and black on a light one, which keeps 4.5:1 contrast at every weight, in both themes.
  function darkCells() {
    const css = getComputedStyle(document.documentElement);
    const rgb = (name) => {
      const m = css.getPropertyValue(name).trim().match(/^#([0-9a-f]{2})([0-9a-f]{2})([0-9a-f]{2})$/i);
      return m && m.slice(1).map((h) => parseInt(h, 16));
    };
    const heat = rgb('--heat'), panel = rgb('--panel');
    if (!heat || !panel) return (w) => w > 0.55;
    const lin = (c) => (c /= 255) <= 0.04045 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
    return (w) => {
      const p = Math.round(w * 100) / 100;   // as the cell's color-mix() has it
      const [r, g, b] = heat.map((c, i) => lin(p * c + (1 - p) * panel[i]));
      return 0.2126 * r + 0.7152 * g + 0.0722 * b < 0.18;
    };
  }

  // The chosen head as a table: rows are queries, columns keys; empty cells for future keys.
  function drawMain() {
    if (!data) return;
    const rows = data.weights[layer][head];
    const chars = data.chars;
    const dense = chars.length > 12;
    const onDark = darkCells();
    const head_ = el('tr', {}, el('th', {scope: 'col', class: 'att-corner'}, 'query ↓ key →'),
      ...chars.map((ch, k) => el('th', {scope: 'col'}, charLabel(ch), el('span', {class: 'att-pos'}, String(k + 1)))));
    const body = rows.map((row, q) => el('tr', {},
      el('th', {scope: 'row'}, charLabel(chars[q]), el('span', {class: 'att-pos'}, String(q + 1))),
      ...chars.map((_, k) => {
        if (k >= row.length) return el('td', {class: 'is-masked'});
        const w = row[k];
        const cell = el('td', {'data-value': String(w),
          title: `query ${charLabel(chars[q])} (position ${q + 1}) → key ${charLabel(chars[k])} (position ${k + 1}): ${w}`},
        w.toFixed(2));
        cell.style.background = `color-mix(in srgb, var(--heat) ${Math.round(w * 100)}%, var(--panel))`;
        if (onDark(w)) cell.classList.add('is-strong');
        return cell;
      })));
    ui.main.replaceChildren(el('table', {class: 'att-table' + (dense ? ' is-dense' : '')},
      el('caption', {}, `Layer ${layer + 1}, head ${head + 1} attention weights, reading “${data.text}”`),
      el('thead', {}, head_), el('tbody', {}, body)));
  }

  // Small multiples: one canvas per head, drawn from the same weights.
  function drawGrid() {
    const {n_layer, n_head, weights, chars} = data;
    if (ui.grid.dataset.shape !== `${n_layer}/${n_head}`) {
      ui.grid.dataset.shape = `${n_layer}/${n_head}`;
      const buttons = [];
      for (let li = 0; li < n_layer; li++) {
        for (let h = 0; h < n_head; h++) {
          const canvas = el('canvas', {width: '72', height: '72', 'aria-hidden': 'true'});
          buttons.push(el('button', {type: 'button', class: 'att-thumb', 'data-layer': li, 'data-head': h,
            onclick: () => choose(li, h)}, canvas, el('span', {}, `Layer ${li + 1}, head ${h + 1}`)));
        }
      }
      ui.grid.replaceChildren(...buttons);
    }
    const css = getComputedStyle(document.documentElement);
    const heat = rgb(css.getPropertyValue('--heat')), panel = rgb(css.getPropertyValue('--panel'));
    const n = chars.length;
    for (const button of ui.grid.children) {
      const rows = weights[Number(button.dataset.layer)][Number(button.dataset.head)];
      const canvas = button.firstChild, ctx = canvas.getContext('2d');
      const size = canvas.width / n;
      ctx.clearRect(0, 0, canvas.width, canvas.height);
      rows.forEach((row, q) => row.forEach((w, k) => {
        ctx.fillStyle = `rgb(${panel.map((p, i) => Math.round(p + (heat[i] - p) * w)).join(',')})`;
        ctx.fillRect(k * size, q * size, Math.ceil(size), Math.ceil(size));
      }));
    }
    markGrid();
  }

  function markGrid() {
    for (const b of ui.grid.children) {
      b.setAttribute('aria-pressed', String(Number(b.dataset.layer) === layer && Number(b.dataset.head) === head));
    }
  }

  function choose(li, h) {
    layer = li; head = h;
    ui.layer.value = String(li + 1);
    ui.head.value = String(h + 1);
    drawMain();
    markGrid();
  }

  // "#2f6fdf" or "rgb(…)" -> [r, g, b]
  function rgb(text) {
    const s = text.trim();
    if (s.startsWith('#')) {
      const hex = s.length === 4 ? s.slice(1).split('').map((c) => c + c).join('') : s.slice(1, 7);
      return [0, 2, 4].map((i) => parseInt(hex.slice(i, i + 2), 16));
    }
    const m = s.match(/\d+(\.\d+)?/g);
    return m ? m.slice(0, 3).map(Number) : [128, 128, 128];
  }

  return {mount};
})();
