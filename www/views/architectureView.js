// The Architecture tab: microgpt's gpt() as a block diagram of the current configuration. Every
// block is a button that highlights the code computing it (lines from the source map), and the
// forward animation (MGV.forwardView) lights the blocks up with the numbers of a real pass.
window.MGV = window.MGV || {};
MGV.architectureView = (() => {
  const {el} = MGV.util;
  const store = MGV.store;
  let diagram, note, inputChar, inputPos;
  let blocks = new Map();      // block key -> element, for the animation
  let shown = '';              // config the diagram was drawn for
  let pinned = null;           // a trained model's config, when it differs from the form

  const anchor = (name) => (m) => (m.anchors || {})[name] || null;
  const def = (name) => (m) => (m.defs || {})[name] || null;
  // codeView wants [[start, end], ...]: one range per function of the source map
  const ranges = (...fns) => (m) => fns.map((f) => f(m));

  // Blocks that may repeat share a key prefix; keyOf() maps a forward step to its block.
  function keyOf(step) {
    if (step.block === 'attn_softmax' || step.block === 'head_out') return `head:${step.layer}:${step.head}`;
    return step.layer == null ? step.block : `${step.block}:${step.layer}`;
  }

  function mount(panel, {inspect}) {
    diagram = el('div', {class: 'arch', role: 'group', 'aria-label': 'The model, block by block'});
    note = el('p', {class: 'arch-note muted'});
    const forwardBox = el('div', {class: 'forward'});
    panel.append(
      el('h3', {}, 'The model, block by block'),
      el('p', {class: 'muted arch-help'}, 'Click a block to see its code. A character goes in at the top; the odds of the next one come out at the bottom.'),
      note, diagram,
      el('h3', {}, 'Animate forward'), forwardBox);
    MGV.forwardView.mount(forwardBox, {inspect, diagram: {highlight, setModelConfig, clear: () => highlight(null)}});
    store.subscribe((state, keys) => {
      if (keys.includes('texts')) { pinned = null; render(); }
    });
    render();
  }

  function formConfig() {
    const {values} = store.checkAll(store.state.texts);
    return {n_layer: values.n_layer, n_head: values.n_head};
  }

  // While an animation shows a trained model whose shape differs from the form, draw that one.
  function setModelConfig(config) {
    const form = formConfig();
    pinned = config && (config.n_layer !== form.n_layer || config.n_head !== form.n_head) ? config : null;
    render();
  }

  function render() {
    const form = formConfig();
    const config = pinned || form;
    if (!config.n_layer || !config.n_head) return;   // an invalid form keeps the last diagram
    note.textContent = pinned
      ? `Showing the trained model (n_layer ${pinned.n_layer}, n_head ${pinned.n_head}); the form's values take effect when you press Train.`
      : '';
    note.hidden = !pinned;
    const key = `${config.n_layer}/${config.n_head}`;
    if (key === shown) return;
    shown = key;
    blocks = new Map();
    diagram.replaceChildren(...build(config));
  }

  // A code-link button registered under `key` for the animation.
  function block(key, label, lines, cls = '') {
    const button = MGV.codeView.linkButton(label, lines, `arch-block ${cls}`.trim());
    blocks.set(key, button);
    return button;
  }
  const arrow = (dir = 'right') => el('span', {class: `arch-arrow is-${dir}`, 'aria-hidden': 'true'}, dir === 'down' ? '↓' : '→');
  const row = (...children) => el('div', {class: 'arch-row'}, ...children);

  function build({n_layer, n_head}) {
    inputChar = el('span', {class: 'arch-char'}, 'one character');
    inputPos = el('span', {}, ' at its position');
    const plus = el('span', {class: 'arch-plus', title: 'tok_emb + pos_emb, number by number'}, '+');
    blocks.set('embed_add', plus);
    const rows = [
      row(el('span', {class: 'arch-io'}, 'Input: ', inputChar, inputPos)),
      arrow('down'),
      row(block('token_embedding', 'Token embedding', ranges(anchor('token_embedding'), (m) => rows0(m, 'wte')), 'is-embed'),
        plus,
        block('position_embedding', 'Position embedding', ranges(anchor('position_embedding'), (m) => rows0(m, 'wpe')), 'is-embed'),
        arrow(), block('embed_norm', 'RMSNorm', ranges(def('rmsnorm'), anchor('embed_norm')), 'is-norm')),
      arrow('down'),
    ];
    for (let li = 0; li < n_layer; li++) {
      rows.push(layer(li, n_layer, n_head), arrow('down'));
    }
    rows.push(row(
      block('lm_head', 'LM head', ranges(anchor('lm_head')), 'is-linear'), arrow(),
      block('softmax', 'Softmax', ranges(def('softmax')), 'is-softmax'), arrow(),
      el('span', {class: 'arch-io'}, 'next-character probabilities')));
    return rows;
  }

  function rows0(m, name) {
    const entry = (m.state_dict || {})[name];
    return entry && entry.created.length ? [entry.created[0], entry.created[0]] : null;
  }

  function layer(li, n_layer, n_head) {
    const heads = el('div', {class: 'arch-heads' + (n_head > 6 ? ' is-many' : '')});
    for (let h = 0; h < n_head; h++) {
      heads.append(block(`head:${li}:${h}`, `Attention head ${h + 1}`, ranges(anchor('attention_heads')), 'is-head'));
    }
    const attention = el('div', {class: 'arch-group is-attention'},
      MGV.codeView.linkButton('Attention', ranges(anchor('attention')), 'arch-group-title'),
      el('div', {class: 'arch-row'},
        block(`qkv:${li}`, 'q, k, v', ranges(anchor('qkv'), anchor('kv_cache')), 'is-linear'), arrow(),
        heads, arrow(),
        block(`attn_out:${li}`, 'attn_wo', ranges(anchor('attn_out')), 'is-linear')));
    const mlp = el('div', {class: 'arch-group is-mlp'},
      MGV.codeView.linkButton('MLP', ranges(anchor('mlp')), 'arch-group-title'),
      el('div', {class: 'arch-row'},
        block(`mlp_fc1:${li}`, 'mlp_fc1', ranges(anchor('mlp_fc1')), 'is-linear'), arrow(),
        block(`relu2:${li}`, 'ReLU²', ranges(anchor('relu2'))), arrow(),
        block(`mlp_fc2:${li}`, 'mlp_fc2', ranges(anchor('mlp_fc2')), 'is-linear')));
    const residual = (name) => block(`${name}:${li}`, 'Residual', ranges(anchor(name)), 'is-residual');
    const title = n_layer > 1 ? `Layer ${li + 1} of ${n_layer}` : 'Layer 1 (the only one)';
    return el('section', {class: 'arch-layer', 'aria-label': `Layer ${li + 1}`},
      el('div', {class: 'arch-layer-title'}, MGV.codeView.linkButton(title, ranges(anchor('layer')), 'small arch-layer-link')),
      el('div', {class: 'arch-row'},
        block(`attn_norm:${li}`, 'RMSNorm', ranges(def('rmsnorm'), anchor('attn_norm')), 'is-norm'), arrow(),
        attention, arrow(), residual('attn_residual')),
      el('div', {class: 'arch-row'},
        block(`mlp_norm:${li}`, 'RMSNorm', ranges(def('rmsnorm'), anchor('mlp_norm')), 'is-norm'), arrow(),
        mlp, arrow(), residual('mlp_residual')));
  }

  // Light up the block of a forward step (null: none); returns its element.
  function highlight(step, char, pos) {
    for (const node of diagram.querySelectorAll('.is-current')) node.classList.remove('is-current');
    if (inputChar) inputChar.textContent = step ? (char == null ? '⟨BOS⟩' : `“${char}”`) : 'one character';
    if (inputPos) inputPos.textContent = step ? ` at position ${pos + 1}` : ' at its position';
    if (!step) return null;
    const node = blocks.get(keyOf(step));
    if (node) node.classList.add('is-current');
    return node || null;
  }

  return {mount, keyOf, highlight};   // highlight: also for the code pane's Step through
})();
