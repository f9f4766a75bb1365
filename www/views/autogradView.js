// The Autograd tab: a small graph built by microgpt.py's own Value class (in the worker, on the
// model's current numbers), drawn left to right, and its backward pass replayed one node at a
// time; plus the table of Value's operations, each linked to its code.
window.MGV = window.MGV || {};
MGV.autogradView = (() => {
  const {el} = MGV.util;
  const store = MGV.store;
  const SVG = 'http://www.w3.org/2000/svg';
  const SLICES = [
    {id: 'rmsnorm', label: 'rmsnorm'},
    {id: 'neuron', label: 'One MLP neuron'},
    {id: 'loss', label: 'Loss at one position'},
  ];
  // Local gradients: d(output)/d(each input), as each method of Value stores them.
  const OPS = [
    ['__add__', 'a + b', '1 and 1'],
    ['__mul__', 'a * b', 'b and a'],
    ['__pow__', 'x ** k', 'k · x^(k−1)'],
    ['log', 'log(x)', '1 / x'],
    ['exp', 'exp(x)', 'exp(x)'],
    ['relu', 'relu(x)', '1 if x > 0, else 0'],
    ['__neg__', '−x', 'made as x * −1'],
    ['__sub__', 'a − b', 'made as a + (−b)'],
    ['__truediv__', 'a / b', 'made as a * b ** −1'],
  ];
  const OP_OF = {__add__: '+', __mul__: '*', __pow__: '**', log: 'log', exp: 'exp', relu: 'relu'};
  const COL_W = 204, ROW_H = 62, BOX_W = 128, BOX_H = 48, PAD = 10;
  const STRAIGHT = 50;   // each arrow ends straight, with its local gradient written on that part
  const PLAY_MS = 450;
  const LEGEND = [
    ['ag-key-leaf', 'a parameter or input (a leaf)'],
    ['ag-key-const', 'a constant'],
    ['ag-key-current', 'the Value whose chain rule runs now'],
    ['ag-key-changed', 'the Values whose grad it just changed'],
    ['ag-key-edge', 'its arrows, with their local gradients'],
    ['ag-key-grad', '= d root / d this Value'],
  ];

  let inspect, status, buildButton, graphBox, controls, stepNote, orderList, opsBody, sliceRadios;
  let graph = null;   // the last result of inspect('graph')
  let at = 0;         // replay position: 0 = all grads zero, 1 = root's grad set, 1 + k = k chain-rule steps
  let grads = [];     // the grad of each node at position `at`
  let nodeEls = [], playTimer = null;
  let zoom;   // MGV.graphZoom on the graph's box
  const {enable} = MGV.util;

  const sig = (x, digits = 4) => {
    if (x == null || !Number.isFinite(x)) return '–';
    if (x === 0) return '0';
    const s = x.toPrecision(digits);
    return s.includes('e') ? s.replace(/\.?0+e/, 'e') : s.replace(/(\.\d*?)0+$/, '$1').replace(/\.$/, '');
  };

  function mount(panel, opts) {
    inspect = opts.inspect;
    sliceRadios = el('fieldset', {class: 'ag-slices'}, el('legend', {}, 'Slice of the model'),
      SLICES.map((s, i) => el('label', {}, el('input', {type: 'radio', name: 'ag-slice', value: s.id, checked: i === 0}), ' ', s.label)));
    buildButton = el('button', {type: 'button', class: 'primary', onclick: build}, 'Build graph');
    status = el('p', {class: 'ag-status', role: 'status'});
    graphBox = el('div', {class: 'ag-graph', tabindex: '0', 'aria-label': 'Computation graph (drag or use the arrow keys to pan, + and − to zoom)'});
    zoom = MGV.graphZoom.attach(graphBox);
    const btn = (text, fn) => el('button', {type: 'button', onclick: fn}, text);
    controls = {
      step: btn('Step backward', () => { stop(); go(at + 1); }),
      prev: btn('Previous', () => { stop(); go(at - 1); }),
      play: btn('Play backward', togglePlay),
      end: btn('To the end', () => { stop(); go(graph.steps.length + 1); }),
      reset: btn('Reset grads', () => { stop(); go(0); }),
    };
    stepNote = el('span', {class: 'ag-step-note', 'aria-live': 'polite'});
    orderList = el('ol', {class: 'ag-order', start: '0', 'aria-label': 'Backward order', tabindex: '0'});
    opsBody = el('tbody');
    panel.append(
      el('h3', {}, 'Autograd: a small graph, built by Value'),
      el('p', {class: 'muted ag-intro'}, 'Pick a slice of the model and build it from the current numbers. ' +
        'Each box is one Value: the operation that made it, its data, and its grad (d root / d this). ' +
        'Each arrow carries its local gradient.'),
      el('div', {class: 'row'}, sliceRadios, buildButton), status,
      el('div', {class: 'row ag-controls', role: 'group', 'aria-label': 'Backward, step by step'},
        controls.step, controls.prev, controls.play, controls.end, controls.reset, stepNote),
      zoom.controls, graphBox,
      el('ul', {class: 'ag-legend', 'aria-label': 'Colours in the graph'},
        LEGEND.map(([cls, text]) => el('li', {}, el('span', {class: `ag-key ${cls}`, 'aria-hidden': 'true'}), text))),
      el('h3', {}, 'Backward order (reversed topological order)'), orderList,
      el('h3', {}, 'Value operations'),
      el('table', {class: 'paper ag-ops', 'aria-label': 'Value operations'},
        el('thead', {}, el('tr', {}, ['method', 'computes', 'local gradient', 'in this graph'].map((h) => el('th', {scope: 'col'}, h)))),
        opsBody));
    drawOps();
    store.subscribe((state, keys) => {
      if (keys.includes('hasModel') && !state.hasModel && graph) clearGraph();   // its model is gone
      if (keys.includes('hasModel') || keys.includes('runState')) showStatus();
      if (keys.includes('tab') && state.tab !== 'autograd') stop();
    });
    showStatus();
    showControls();
  }

  function clearGraph() {
    stop();
    graph = null;
    nodeEls = [];
    graphBox.replaceChildren();
    zoom.reset(null);
    orderList.replaceChildren();
    stepNote.textContent = '';
    drawOps();
    showControls();
  }

  function showStatus(text) {
    const ready = store.state.hasModel;
    enable(buildButton, ready);
    if (text) status.textContent = text;
    else if (!ready) status.textContent = 'Press Train first (or Train then Stop) so there is a model to take the graph from.';
    else if (!graph) status.textContent = 'Pick a slice, then press Build graph.';
  }

  async function build() {
    const slice = sliceRadios.querySelector('input:checked').value;
    stop();
    enable(buildButton, false);   // keeps focus while it builds
    status.textContent = 'Building…';
    const {result, error} = await inspect('graph', {slice});
    enable(buildButton, store.state.hasModel);
    if (error || !result) {
      showStatus(`Could not build the graph: ${error ? error.message : 'no answer'}`);
      return;
    }
    graph = result;
    status.textContent = `${result.description} Built after step ${result.step}: ${result.nodes.length} Values. ` +
      (result.replay_matches ? 'The replay below ends with the same grads as backward().' : 'Warning: the replay differs from backward().');
    drawGraph();
    drawOrder();
    drawOps();
    zoom.reset(graph.size);
    go(1, false);   // the replay starts where backward() does: the root's grad is 1, every other 0
  }

  // --- the graph ---------------------------------------------------------------------------
  function svg(tag, attrs, ...children) {
    const node = document.createElementNS(SVG, tag);
    for (const [k, v] of Object.entries(attrs || {})) node.setAttribute(k, v);
    for (const c of children) node.append(c instanceof Node ? c : document.createTextNode(String(c)));
    return node;
  }

  function nodeName(n) {
    if (n.label) return n.label;
    if (n.op === 'const') return `const ${sig(n.data)}`;
    return `${n.op} #${n.id}`;
  }

  function opText(n) {
    if (n.op === 'leaf') return n.label;
    if (n.op === 'const') return 'constant';
    const op = n.op === '**' && n.k != null ? `** ${sig(n.k)}` : n.op;
    return n.via ? `${op}  (from ${n.via})` : op;
  }

  // Columns count back from the root (a node sits one column left of its leftmost user), rows follow
  // the users' rows so each small branch stays next to where it is used.
  function layout(g) {
    const col = new Array(g.nodes.length).fill(0);
    const parents = g.nodes.map(() => []);
    for (const e of g.edges) parents[e.from].push(e.to);
    for (let i = g.nodes.length - 1; i >= 0; i--) {
      for (const p of parents[i]) col[i] = Math.max(col[i], col[p] + 1);
    }
    const maxCol = Math.max(...col);
    const y = new Array(g.nodes.length).fill(0);
    for (let c = 0; c <= maxCol; c++) {
      const ids = g.nodes.map((n) => n.id).filter((i) => col[i] === c);
      const want = (i) => parents[i].length ? parents[i].reduce((s, p) => s + y[p], 0) / parents[i].length : 0;
      ids.sort((a, b) => want(a) - want(b) || a - b);
      let last = -Infinity;
      for (const i of ids) { y[i] = Math.max(want(i), last + ROW_H); last = y[i]; }
    }
    return g.nodes.map((n) => ({x: PAD + (maxCol - col[n.id]) * COL_W, y: PAD + 14 + y[n.id]}));
  }

  function drawGraph() {
    const pos = graph.pos = layout(graph);
    const width = Math.max(...pos.map((p) => p.x)) + BOX_W + PAD;
    const height = Math.max(...pos.map((p) => p.y)) + BOX_H + PAD;
    const edges = svg('g', {class: 'ag-edges'}), labels = svg('g', {class: 'ag-edge-labels'}), boxes = svg('g');
    graph.edgeEls = graph.edges.map((e) => {
      const a = pos[e.from], b = pos[e.to];
      const x1 = a.x + BOX_W, y1 = a.y + BOX_H / 2, x2 = b.x, y2 = b.y + BOX_H / 2 + (e.arg ? 8 : -8);
      const xs = x2 - STRAIGHT, mid = (x1 + xs) / 2;
      const path = svg('path', {d: `M${x1},${y1} C${mid},${y1} ${mid},${y2} ${xs},${y2} L${x2},${y2}`, 'marker-end': 'url(#ag-arrow)'});
      edges.append(path);
      // the label sits on the arrow, just before it enters its node (two inputs: 16 px apart)
      const text = svg('text', {x: x2 - 9, y: y2 - 3, 'text-anchor': 'end'}, sig(e.local_grad, 3));
      labels.append(text);
      return {e, path, text};
    });
    nodeEls = graph.nodes.map((n) => {
      const p = pos[n.id];
      const group = svg('g', {class: `ag-node ag-${n.op === 'leaf' || n.op === 'const' ? n.op : 'op'}`, transform: `translate(${p.x},${p.y})`,
        'data-id': n.id, 'data-op': n.op, 'data-data': n.data, 'data-grad': n.grad},
      svg('title', {}, `${nodeName(n)}: data ${n.data}, grad ${n.grad}`),
      svg('rect', {width: BOX_W, height: BOX_H, rx: 5}),
      svg('text', {x: 6, y: 14, class: 'ag-op'}, opText(n)),
      svg('text', {x: 6, y: 29}, `data ${sig(n.data)}`),
      svg('text', {x: 6, y: 43, class: 'ag-grad'}, ''),
      svg('text', {x: BOX_W - 4, y: 14, 'text-anchor': 'end', class: 'ag-id'}, `#${n.id}`));
      if (n.label && n.op !== 'leaf') group.append(svg('text', {x: 0, y: -4, class: 'ag-label'}, n.label));
      boxes.append(group);
      return group;
    });
    const defs = svg('defs', {}, svg('marker', {id: 'ag-arrow', viewBox: '0 0 8 8', refX: '8', refY: '4', markerWidth: '7', markerHeight: '7', orient: 'auto'},
      svg('path', {d: 'M0,0 L8,4 L0,8 z', class: 'ag-arrowhead'})));
    graph.size = {width, height};
    graphBox.replaceChildren(svg('svg', {width, height, viewBox: `0 0 ${width} ${height}`, role: 'img',
      'aria-label': `Computation graph of ${graph.nodes.length} Values; the backward order is listed below`}, defs, edges, labels, boxes));
  }

  function drawOrder() {
    const name = (id) => nodeName(graph.nodes[id]);
    const items = [el('li', {'data-step': 1}, `${name(graph.root)}.grad = 1.0 (the root: d root / d root)`)];
    graph.steps.forEach((s, k) => {
      const kids = s.changes.map((c) => `${name(c.id)} += ${sig(c.local_grad)} × ${sig(s.grad)}`).join('; ');
      items.push(el('li', {'data-step': k + 2, 'data-node': s.node}, `${name(s.node)}: ${kids}`));
    });
    orderList.replaceChildren(...items);
  }

  // --- the replay --------------------------------------------------------------------------
  function go(to, highlightCode = true) {
    if (!graph) return;
    const total = graph.steps.length + 1;
    at = Math.max(0, Math.min(total, to));
    grads = graph.nodes.map(() => 0);
    if (at >= 1) grads[graph.root] = 1;
    for (const s of graph.steps.slice(0, Math.max(0, at - 1))) for (const c of s.changes) grads[c.id] = c.to;
    const current = at >= 2 ? graph.steps[at - 2] : null;
    const changed = new Set(current ? current.changes.map((c) => c.id) : at === 1 ? [graph.root] : []);
    nodeEls.forEach((g, i) => {
      g.setAttribute('data-grad', grads[i]);
      g.querySelector('.ag-grad').textContent = `grad ${sig(grads[i])}`;
      g.classList.toggle('is-changed', changed.has(i));
      g.classList.toggle('is-current', Boolean(current && current.node === i));
    });
    for (const {e, path, text} of graph.edgeEls) {
      const on = Boolean(current && current.node === e.to);
      path.classList.toggle('is-active', on);
      text.classList.toggle('is-active', on);
    }
    for (const li of orderList.children) {
      const n = Number(li.dataset.step);
      li.classList.toggle('is-current', n === at);
      li.classList.toggle('is-done', n < at);
      if (n === at) li.setAttribute('aria-current', 'step'); else li.removeAttribute('aria-current');
    }
    const focus = current ? current.node : at <= 1 || at === total ? graph.root : null;
    if (focus != null) reveal(graph.pos[focus]);
    stepNote.textContent = at === 0 ? 'All grads are 0. Step backward to start.'
      : at === 1 ? `Step 1 of ${total}: the root's grad is 1. Step backward to apply the chain rule.`
      : at === total ? `All ${total} steps done: these are backward()'s grads.`
      : `Step ${at} of ${total}`;
    showControls();
    if (highlightCode) showCode(at === 0 ? 'order' : at === 1 ? 'seed' : 'chain');
  }

  // Scroll the graph (only the graph's own box) so a node is in sight.
  // Coordinates are the graph's own; the label above a box (14 px) counts as part of it.
  function reveal(p) {
    const z = zoom.zoom, box = graphBox, x = p.x * z, y = (p.y - 14) * z, w = BOX_W * z, h = (BOX_H + 14) * z;
    if (x < box.scrollLeft || x + w > box.scrollLeft + box.clientWidth) {
      box.scrollLeft = Math.max(0, x + w / 2 - box.clientWidth / 2);
    }
    if (y < box.scrollTop || y + h > box.scrollTop + box.clientHeight) {
      box.scrollTop = Math.max(0, y + h / 2 - box.clientHeight / 2);
    }
  }

  function showCode(part) {
    const map = store.state.sourceMap || {};
    const def = (map.defs || {})['Value.backward'];
    const rel = graph && graph.backward_parts && graph.backward_parts[part];
    if (!def) return;
    const lines = rel ? [[def[0] + rel[0], Math.min(def[1], def[0] + rel[1])]] : [def];
    MGV.codeView.show(`Value.backward: ${part}`, lines);
  }

  function showControls() {
    const total = graph ? graph.steps.length + 1 : 0;
    enable(controls.step, graph && at < total);
    enable(controls.prev, graph && at > 0);
    enable(controls.end, graph && at < total);
    enable(controls.reset, Boolean(graph));
    enable(controls.play, Boolean(graph));
    controls.play.textContent = playTimer ? 'Pause replay' : 'Play backward';
  }

  function togglePlay() {
    if (playTimer) return stop();
    if (at >= graph.steps.length + 1) go(1);   // again from the root
    playTimer = setInterval(() => {
      if (!graph || at >= graph.steps.length + 1) return stop();
      go(at + 1);
    }, PLAY_MS);
    showControls();
  }

  function stop() {
    if (playTimer) clearInterval(playTimer);
    playTimer = null;
    if (controls) showControls();
  }

  // --- Value's operations, linked to their code --------------------------------------------
  function drawOps() {
    const counts = graph ? graph.op_counts : {};
    opsBody.replaceChildren(...OPS.map(([method, computes, local]) => {
      const key = `Value.${method}`;
      const n = OP_OF[method] ? counts[OP_OF[method]] || 0 : null;
      return el('tr', {},
        el('td', {}, MGV.codeView.linkButton(method, (map) => [(map.defs || {})[key]], 'small')),
        el('td', {}, el('code', {}, computes)), el('td', {}, local),
        el('td', {}, graph && n != null ? String(n) : ''));
    }));
  }

  return {mount};
})();
