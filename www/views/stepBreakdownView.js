// What one training step did, phase by phase, drawn under each phase of the Training tab: the
// document and its tokens, each position's target with its probability and loss, the size of
// every matrix's gradient, how far Adam moved each matrix. The numbers come from the step's
// report (py/step_report.py), read from microgpt.py's own variables; nothing is computed here.
window.MGV = window.MGV || {};
MGV.stepBreakdown = (() => {
  const {el, fmt} = MGV.util;

  // A token as a learner reads it: its character, or BOS for the token that marks both ends.
  const tokenText = (t) => (t == null ? '?' : t.text == null ? 'BOS' : t.text);
  const sci = (x) => (x == null || !Number.isFinite(x) ? '–' : x === 0 ? '0' : Math.abs(x) >= 0.01 ? x.toPrecision(3) : x.toExponential(2));
  const pct = (p) => (p == null ? '–' : p >= 0.1 ? `${(100 * p).toFixed(0)}%` : `${(100 * p).toFixed(1)}%`);

  // A bar filled to `fraction` (0..1); width set through CSSOM, which the CSP allows (a style
  // attribute it would refuse).
  function bar(fraction) {
    const fill = el('span');
    fill.style.width = `${Math.max(0, Math.min(1, fraction || 0)) * 100}%`;
    return el('span', {class: 'sb-bar', 'aria-hidden': 'true'}, fill);
  }

  function missing(report, part, what) {
    const why = report.notes && report.notes[part];
    return el('p', {class: 'sb-missing'}, `${what} is not available${why ? `: ${why}` : ''}.`);
  }

  function tokens(report) {
    if (!report.tokens) return missing(report, 'tokens', 'The tokens');
    const cut = report.token_count > report.tokens.length ? ` (the first ${report.tokens.length} shown)` : '';
    const chips = report.tokens.map((t) => el('span', {class: `sb-token${t.text == null ? ' is-bos' : ''}`},
      el('span', {class: 'sb-char'}, tokenText(t)), el('span', {class: 'sb-id'}, String(t.id))));
    return el('div', {},
      el('p', {}, report.doc == null ? `${report.token_count} tokens${cut}:` :
        [`The document `, el('q', {class: 'sb-doc'}, report.doc), ` becomes ${report.token_count} token ids${cut}, with BOS on both sides:`]),
      el('div', {class: 'sb-tokens', role: 'list', 'aria-label': 'Tokens of this step'}, chips.map((c) => { c.setAttribute('role', 'listitem'); return c; })));
  }

  function forwardOnly(report, vocabSize) {
    const n = report.positions ? report.positions.length : null;
    return el('p', {}, n == null
      ? 'The model reads the tokens one by one, each position scoring every possible next token.'
      : `The model reads ${n} position${n === 1 ? '' : 's'} one token at a time; at each it gives ` +
        `${vocabSize ? vocabSize + ' ' : ''}scores (logits), one per possible next token. The Loss below turns them into probabilities.`);
  }

  function positions(report) {
    if (!report.positions) return missing(report, 'positions', 'The loss per position');
    const rows = report.positions.map((p) => el('tr', {},
      el('td', {}, String(p.pos)),
      el('td', {class: 'sb-mono'}, tokenText(p.input)),
      el('td', {class: 'sb-mono'}, tokenText(p.target)),
      el('td', {}, bar(Math.max(0.01, p.p || 0)), ' ', pct(p.p)),
      el('td', {}, fmt(p.loss, 3))));
    const losses = report.positions.map((p) => p.loss).filter(Number.isFinite);
    const mean = losses.length ? losses.reduce((a, b) => a + b, 0) / losses.length : null;
    return el('div', {},
      el('p', {}, 'At each position the model gives a probability to the real next token; the loss is −log of it: near 0 when it was sure and right, large when surprised.'),
      el('table', {class: 'sb-table', 'aria-label': 'Loss at each position'},
        el('thead', {}, el('tr', {}, ['pos', 'reads', 'next token', 'its probability', 'loss'].map((h) => el('th', {scope: 'col'}, h)))),
        el('tbody', {}, rows),
        el('tfoot', {}, el('tr', {}, el('td', {colspan: '4'}, `loss = the mean of ${losses.length}`), el('td', {}, fmt(mean, 3))))));
  }

  // One bar per matrix, its length relative to the largest.
  function bars(items, value, label) {
    const top = Math.max(0, ...items.map(value).filter(Number.isFinite));
    return el('table', {class: 'sb-bars', 'aria-label': label},
      el('tbody', {}, items.map((m) => {
        const v = value(m);
        return el('tr', {},
          el('th', {scope: 'row', class: 'sb-mono'}, m.name),
          el('td', {class: 'sb-bar-cell'}, bar(top > 0 && Number.isFinite(v) ? Math.max(0.005, v / top) : 0)),
          el('td', {}, sci(v)));
      })));
  }

  function grads(report) {
    if (!report.grads) return missing(report, 'grads', 'The gradient sizes');
    return el('div', {},
      el('p', {}, 'backward() filled in every parameter\'s .grad. The size of each matrix\'s gradient (‖grad‖, the square root of the sum of grad²):'),
      bars(report.grads, (m) => m.norm, 'Gradient size per matrix'));
  }

  function updates(report) {
    const lr = el('p', {}, `This step's learning rate lr_t = ${sci(report.lr_t)}. `,
      report.updates ? 'How far Adam moved each matrix (the mean of |change| of its numbers). Adam divides by ' +
        'each gradient\'s running size, so even matrices with tiny gradients move by amounts near lr_t:' : '');
    if (!report.updates) return el('div', {}, lr, missing(report, 'updates', 'The update sizes'));
    return el('div', {}, lr, bars(report.updates, (m) => m.mean_abs, 'Update size per matrix'));
  }

  // The detail under a phase of this job (tokenize, forward, loss, backward, adam), or null.
  // hasLoss: the loop has a Loss phase of its own, where the per-position table then goes.
  function render(job, report, {hasLoss, vocabSize}) {
    if (!report) return null;
    switch (job) {
      case 'tokenize': return tokens(report);
      case 'forward': return hasLoss ? forwardOnly(report, vocabSize) : positions(report);
      case 'loss': return positions(report);
      case 'backward': return grads(report);
      case 'adam': return updates(report);
      default: return null;
    }
  }

  // Show `fresh` in `box`, reusing the nodes already there where the shape is the same (same
  // tags, same number of children): only texts, classes and bar widths change, so a step's
  // redraw restyles and lays out little (measured: rebuilding tripled the tab's layout time).
  function show(box, fresh) {
    const old = box.firstChild;
    if (!fresh) box.replaceChildren();
    else if (!old || !same(old, fresh)) box.replaceChildren(fresh);
    else copy(old, fresh);
  }

  function same(a, b) {
    if (a.nodeName !== b.nodeName || a.childNodes.length !== b.childNodes.length) return false;
    for (let i = 0; i < a.childNodes.length; i++) if (!same(a.childNodes[i], b.childNodes[i])) return false;
    return true;
  }

  function copy(a, b) {
    if (a.nodeType === Node.TEXT_NODE) { if (a.data !== b.data) a.data = b.data; return; }
    if (a.nodeType !== Node.ELEMENT_NODE) return;
    if (a.className !== b.className) a.className = b.className;
    if (a.style.width !== b.style.width) a.style.width = b.style.width;
    for (let i = 0; i < a.childNodes.length; i++) copy(a.childNodes[i], b.childNodes[i]);
  }

  return {render, show};
})();
