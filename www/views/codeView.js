// The code pane: microgpt.py as highlighted text, one element per line (data-line="N"),
// with the lines that a clicked block links to marked, and edited lines marked as changed.
// When a link marks several places, "1 of 2" and its buttons jump between them.
window.MGV = window.MGV || {};
MGV.codeView = (() => {
  const {el} = MGV.util;
  let root, note;
  let shownTokens = null, shownSource = null;
  let stepLine = null, onLineClick = null;
  let jump, jumpCount, places = [], placeAt = 0;

  function mount(pre, noteEl) {
    root = pre;
    note = noteEl;
    jumpCount = el('span', {class: 'code-jump-count', 'aria-live': 'polite'});
    jump = el('div', {class: 'code-jump', role: 'group', 'aria-label': 'Highlighted places', hidden: true},
      el('button', {type: 'button', class: 'small', title: 'the highlighted place before this one', onclick: () => goTo(placeAt - 1)}, 'Previous'),
      jumpCount,
      el('button', {type: 'button', class: 'small', title: 'the next highlighted place', onclick: () => goTo(placeAt + 1)}, 'Next'));
    note.after(jump);
    MGV.store.subscribe((state, keys) => {
      if (keys.includes('tokens') || keys.includes('source')) render(state);
      if (keys.includes('highlight')) mark(state.highlight);
    });
    root.addEventListener('click', (e) => {
      const line = onLineClick && e.target.closest('[data-line]');
      if (line) onLineClick(Number(line.dataset.line));
    });
    render(MGV.store.state);
  }

  function render(state) {
    const current = state.source.split('\n');
    if (current.length > 1 && current.at(-1) === '') current.pop();   // a final newline ends a line, not starts one
    // tokens of another text (an edit whose highlighting is on its way): plain lines meanwhile
    const tokens = state.tokens.length === current.length ? state.tokens : current.map((text) => [['', text]]);
    if (tokens === shownTokens || (tokens !== state.tokens && shownSource === state.source)) return;
    shownTokens = tokens;
    shownSource = state.source;
    const changedSet = MGV.lineDiff.changed(state.original, state.source);
    const lines = tokens.map((tokens, i) => {
      const changed = changedSet.has(i + 1);
      const line = el('span', {class: 'line' + (changed ? ' is-changed' : ''), 'data-line': i + 1},
        tokens.map(([cls, text]) => cls ? el('span', {class: 'tok-' + cls}, text) : text), '\n');
      if (changed) line.title = 'changed from the original microgpt.py';
      // a wrapped long line continues under its own code, not under the line numbers (see style.css)
      const indent = current[i].length - current[i].trimStart().length;
      if (indent) line.style.setProperty('--indent', String(indent));
      return line;
    });
    root.replaceChildren(...lines);
    step(stepLine, false);
    const changedCount = root.querySelectorAll('.is-changed').length;
    note.textContent = changedCount ? `${changedCount} line${changedCount > 1 ? 's' : ''} changed` : '';
    mark(state.highlight);
  }

  // Mark lines in [[start, end], ...] and bring the first range's place into view. Places are
  // the ranges in the order of the file, touching ones joined.
  function mark(highlight) {
    for (const line of root.querySelectorAll('.is-highlighted')) line.classList.remove('is-highlighted');
    places = [];
    for (const [start, end] of (highlight ? highlight.lines : []).slice().sort((a, b) => a[0] - b[0])) {
      const lines = [];
      for (let n = start; n <= end; n++) {
        const line = root.querySelector(`[data-line="${n}"]`);
        if (!line) continue;
        line.classList.add('is-highlighted');
        lines.push(line);
      }
      if (!lines.length) continue;
      const last = places.at(-1);
      if (last && start <= last.end + 1) { last.end = Math.max(last.end, end); last.lines.push(...lines); }
      else places.push({start, end, lines});
    }
    jump.hidden = places.length < 2;
    // shown first: the place of the link's own first range (what the link is mostly about)
    const first = highlight && highlight.lines.length ? highlight.lines[0][0] : null;
    if (places.length) goTo(Math.max(0, places.findIndex((p) => p.start <= first && first <= p.end)));
  }

  function goTo(i) {
    if (!places.length) return;
    placeAt = (i + places.length) % places.length;
    const place = places[placeAt];
    jumpCount.textContent = `${placeAt + 1} of ${places.length}: line ${place.start}${place.end > place.start ? `–${place.end}` : ''}`;
    const smooth = !matchMedia('(prefers-reduced-motion: reduce)').matches;
    place.lines[0].scrollIntoView({block: 'center', behavior: smooth ? 'smooth' : 'auto'});
  }

  // A button that highlights code. Its accessible name is the text it shows; `lines` is a
  // function of the current source map, so links follow any edit of the file.
  function linkButton(label, lines, extraClass = '') {
    const button = el('button', {type: 'button', class: `code-link ${extraClass}`.trim()}, label);
    button.addEventListener('click', () => show(label, lines(MGV.store.state.sourceMap || {})));
    return button;
  }

  // Step through: mark the line being run (null: none); clicks on lines go to onLineClick.
  function step(line, scroll = true) {
    stepLine = line;
    for (const node of root.querySelectorAll('.is-step')) node.classList.remove('is-step');
    const node = line && root.querySelector(`[data-line="${line}"]`);
    if (!node) return;
    node.classList.add('is-step');
    if (scroll) node.scrollIntoView({block: 'nearest'});
  }
  function setLineClick(fn) {
    onLineClick = fn;
    root.classList.toggle('is-clickable', Boolean(fn));
  }

  function show(label, lines) {
    MGV.store.set({highlight: {label, lines: (lines || []).filter(Boolean)}});
  }

  return {mount, linkButton, show, step, setLineClick};
})();
