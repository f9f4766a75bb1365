// "Attention Is All You Need" beside microgpt, with microgpt's live values; each row links to code.
window.MGV = window.MGV || {};
MGV.paperView = (() => {
  const {el} = MGV.util;
  const store = MGV.store;

  // [paper term, paper value, microgpt term, microgpt value(values), code lines(map)]
  const rows = [
    ['d_model', '512', 'n_embd', (v) => v.n_embd, (m) => [hp(m, 'n_embd')]],
    ['h (heads)', '8', 'n_head', (v) => v.n_head, (m) => [hp(m, 'n_head')]],
    ['d_k = d_model / h', '64', 'head_dim', (v) => v.n_embd / v.n_head, (m) => [def(m, 'head_dim')]],
    ['d_ff', '2048 (4 × d_model)', '4 · n_embd', (v) => 4 * v.n_embd, (m) => [anchor(m, 'mlp_fc1')]],
    ['N (layers)', '6 encoder + 6 decoder', 'n_layer', (v) => v.n_layer, (m) => [hp(m, 'n_layer')]],
    ['LayerNorm', 'mean and variance, gain and bias', 'rmsnorm', () => 'root mean square only, no gain', (m) => [def(m, 'rmsnorm')]],
    ['ReLU', 'max(0, x)', 'ReLU²', () => 'max(0, x)²', (m) => [anchor(m, 'relu2')]],
    ['Post-norm', 'normalize after the residual add', 'pre-norm', () => 'normalize before each block (as GPT-2)', (m) => [anchor(m, 'attn_norm'), anchor(m, 'mlp_norm')]],
    ['Encoder–decoder', 'translation', 'decoder only', () => 'each position sees only earlier ones', (m) => [anchor(m, 'kv_cache')]],
    ['Biases', 'in every linear layer', 'no biases', () => 'linear() is a plain dot product', (m) => [def(m, 'linear')]],
    ['Positional encoding', 'fixed sinusoids: sin and cos of the position, nothing learned', 'wpe',
      (v) => `learned: a block_size × n_embd table (${v.block_size} × ${v.n_embd}), trained like the other weights`,
      (m) => [made(m, 'wpe'), anchor(m, 'position_embedding')]],
    ['Optimizer', 'Adam, β1 0.9, β2 0.98, ε 1e-9', 'Adam', (v) => `beta1 ${v.beta1}, beta2 ${v.beta2}, eps_adam ${v.eps_adam ?? '—'}`,
      (m) => [hp(m, 'beta1'), phase(m, 'Adam update')]],
    ['Warmup and schedule', 'lr rises for 4,000 warmup steps, then falls as 1/√step', 'lr_t',
      (v) => `no warmup: cosine decay from learning_rate ${v.learning_rate} to 0 over ${v.num_steps} steps`,
      (m) => [phase(m, 'Adam update')]],
    ['Scale', '65 M parameters', 'params', (v) => v.params ? `${v.params.toLocaleString('en-US')} parameters` : '—', (m) => [def(m, 'params')]],
  ];
  const hp = (m, name) => m.hyperparams && m.hyperparams[name] ? [m.hyperparams[name].line, m.hyperparams[name].line] : null;
  const def = (m, name) => (m.defs && m.defs[name]) || (m.names && m.names[name]) || null;
  const anchor = (m, name) => (m.anchors && m.anchors[name]) || null;
  const made = (m, key) => {
    const line = m.state_dict && m.state_dict[key] && m.state_dict[key].created[0];
    return line ? [line, line] : null;
  };
  const phase = (m, name) => ((m.loop && m.loop.phases) || []).find((p) => p.name === name)?.lines || null;

  let body;
  function mount(container) {
    body = el('tbody');
    container.append(el('table', {class: 'paper'},
      el('caption', {}, 'Attention Is All You Need (2017) beside microgpt, with the values in use now'),
      el('thead', {}, el('tr', {}, ...['Paper', 'Paper value', 'microgpt', 'Now', 'Code'].map((h) => el('th', {scope: 'col'}, h)))),
      body));
    store.subscribe((state, keys) => { if (['texts', 'lastParams', 'sourceMap'].some((k) => keys.includes(k))) render(state); });
    render(store.state);
  }

  function render(state) {
    const {values} = store.checkAll(state.texts);
    const inCode = (state.sourceMap && state.sourceMap.hyperparams) || {};
    const v = {...values, params: state.lastParams, eps_adam: inCode.eps_adam && inCode.eps_adam.text};
    body.replaceChildren(...rows.map(([term, paperValue, ours, now, lines]) => {
      let shown;
      try { shown = now(v); } catch { shown = '—'; }
      return el('tr', {}, el('td', {}, term), el('td', {}, paperValue), el('td', {}, el('code', {}, ours)),
        el('td', {}, shown == null || Number.isNaN(shown) ? '—' : String(shown)),
        el('td', {}, MGV.codeView.linkButton(ours, lines, 'small')));
    }));
  }

  return {mount};
})();
