// The code pane: microgpt.py as highlighted text, one element per line (data-line="N"),
// with the lines that a clicked block links to marked, and edited lines marked as changed.
window.MGV = window.MGV || {};
MGV.codeView = (() => {
  const {el} = MGV.util;
  let root, note;
  let shownTokens = null;

  function mount(pre, noteEl) {
    root = pre;
    note = noteEl;
    MGV.store.subscribe((state, keys) => {
      if (keys.includes('tokens') || keys.includes('source')) render(state);
      if (keys.includes('highlight')) mark(state.highlight);
    });
    render(MGV.store.state);
  }

  function render(state) {
    if (state.tokens === shownTokens) return;
    shownTokens = state.tokens;
    const original = state.original.split('\n');
    const current = state.source.split('\n');
    const lines = state.tokens.map((tokens, i) => {
      const changed = current[i] !== original[i];
      const line = el('span', {class: 'line' + (changed ? ' is-changed' : ''), 'data-line': i + 1},
        tokens.map(([cls, text]) => cls ? el('span', {class: 'tok-' + cls}, text) : text), '\n');
      if (changed) line.title = 'changed from the original microgpt.py';
      return line;
    });
    root.replaceChildren(...lines);
    const changedCount = root.querySelectorAll('.is-changed').length;
    note.textContent = changedCount ? `${changedCount} line${changedCount > 1 ? 's' : ''} changed` : '';
    mark(state.highlight);
  }

  // Mark lines in [[start, end], ...] and bring the first into view.
  function mark(highlight) {
    for (const line of root.querySelectorAll('.is-highlighted')) line.classList.remove('is-highlighted');
    if (!highlight || !highlight.lines.length) return;
    let first = null;
    for (const [start, end] of highlight.lines) {
      for (let n = start; n <= end; n++) {
        const line = root.querySelector(`[data-line="${n}"]`);
        if (!line) continue;
        line.classList.add('is-highlighted');
        first = first || line;
      }
    }
    if (first) {
      const smooth = !matchMedia('(prefers-reduced-motion: reduce)').matches;
      first.scrollIntoView({block: 'center', behavior: smooth ? 'smooth' : 'auto'});
    }
  }

  // A button that highlights code. Its accessible name is the text it shows; `lines` is a
  // function of the current source map, so links follow any edit of the file.
  function linkButton(label, lines, extraClass = '') {
    const button = el('button', {type: 'button', class: `code-link ${extraClass}`.trim()}, label);
    button.addEventListener('click', () => show(label, lines(MGV.store.state.sourceMap || {})));
    return button;
  }

  function show(label, lines) {
    MGV.store.set({highlight: {label, lines: (lines || []).filter(Boolean)}});
  }

  return {mount, linkButton, show};
})();
