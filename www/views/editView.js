// Edit mode of the code pane: microgpt.py itself in a text box, with line numbers, changed lines
// and errors marked at their line. Python (in the worker) parses each edit: a syntax error shows
// before running; a good parse re-highlights the code and updates the hyperparameter form from
// the code's own literals. Show changes lists the edit as a diff; Reset code brings back the original.
window.MGV = window.MGV || {};
MGV.editView = (() => {
  const {el} = MGV.util;
  const store = MGV.store;
  const CHECK_DELAY = 300;   // ms after the last keystroke
  let ui = {}, check, timer = null, checkedSource = null;
  let syntaxError = null;    // {line, message} of the text in the box, from Python's parser

  function mount(container, deps) {
    ({check} = deps);
    ui.gutter = el('div', {class: 'editor-gutter', 'aria-hidden': 'true'});
    ui.text = el('textarea', {class: 'editor-text', 'aria-label': 'microgpt.py source', spellcheck: 'false',
      autocomplete: 'off', autocapitalize: 'off', wrap: 'off', 'aria-describedby': 'editor-message'});
    ui.message = el('p', {class: 'editor-message', id: 'editor-message', role: 'status'});
    ui.diffButton = el('button', {type: 'button', class: 'small', 'aria-expanded': 'false'}, 'Show changes');
    ui.reset = el('button', {type: 'button', class: 'small'}, 'Reset code');
    ui.diff = el('section', {class: 'editor-diff', 'aria-label': 'Changes from the original', hidden: true});
    ui.goTo = el('button', {type: 'button', class: 'small', hidden: true, onclick: () => goToLine(errorLine())}, 'Show the line');
    container.append(
      el('div', {class: 'editor-bar'}, ui.diffButton, ui.reset, ui.message, ui.goTo),
      ui.diff,
      el('div', {class: 'editor-box'}, ui.gutter, ui.text));

    ui.text.addEventListener('input', () => {
      store.set({source: ui.text.value});
      drawGutter();
      if (!ui.diff.hidden) drawDiff();
      clearTimeout(timer);
      timer = setTimeout(() => check(ui.text.value), CHECK_DELAY);
    });
    ui.text.addEventListener('scroll', () => { ui.gutter.scrollTop = ui.text.scrollTop; });
    ui.text.addEventListener('keydown', (e) => {
      if (e.key !== 'Tab' || e.shiftKey || e.ctrlKey || e.altKey || e.metaKey) return;
      e.preventDefault();            // Tab indents (Esc, then Tab, leaves the box)
      document.execCommand('insertText', false, '    ');
    });
    ui.text.addEventListener('keyup', (e) => { if (e.key === 'Escape') ui.text.blur(); });
    ui.diffButton.addEventListener('click', () => {
      ui.diff.hidden = !ui.diff.hidden;
      ui.diffButton.setAttribute('aria-expanded', String(!ui.diff.hidden));
      ui.diffButton.textContent = ui.diff.hidden ? 'Show changes' : 'Hide changes';
      drawDiff();
    });
    ui.reset.addEventListener('click', resetCode);
    store.subscribe((state, keys) => {
      if (keys.includes('source') && ui.text.value !== state.source) { ui.text.value = state.source; drawGutter(); drawDiff(); }
      if (keys.includes('error')) { drawGutter(); say(); if (state.error && state.error.line && !ui.text.hidden) goToLine(state.error.line, false); }
    });
    ui.text.value = store.state.source;
    checkedSource = store.state.source;
    drawGutter();
    say();
  }

  // The worker's answer to check(source): {source, tokens, source_map} or {source, error}.
  function checked({source, tokens, source_map, error}) {
    if (source !== store.state.source) return;       // typed on since: a newer check is coming
    checkedSource = source;
    syntaxError = error ? {line: error.line, message: error.message} : null;
    const patch = {tokens};
    if (source_map) {
      patch.sourceMap = source_map;
      const texts = fromCode(source_map);
      if (texts) patch.texts = texts;
    }
    store.set(patch);
    drawGutter();
    say();
  }

  // The form follows the code: each hyperparameter the code sets as a literal, as text.
  function fromCode(map) {
    const texts = {...store.state.texts};
    let changed = false;
    for (const name of store.hyperNames) {
      const place = (map.hyperparams || {})[name];
      if (!place) continue;
      const text = String(place.value);
      const now = store.check(name, texts[name] || '');
      if (now.value === place.value) continue;     // same number, maybe spelled differently
      texts[name] = text;
      changed = true;
    }
    return changed ? texts : null;
  }

  function resetCode() {
    const {original} = store.state;
    clearTimeout(timer);
    syntaxError = null;
    checkedSource = original;
    const patch = {source: original, tokens: MGV.bundle.tokens, sourceMap: MGV.bundle.source_map};
    const texts = fromCode(MGV.bundle.source_map);
    if (texts) patch.texts = texts;
    store.set(patch);
    if (store.state.error && store.state.error.line) store.set({error: null});
    drawGutter();
    drawDiff();
    say('The original microgpt.py is back.');
  }

  // Before leaving edit mode: the read-only view must not show tokens of an older text.
  function settle() {
    clearTimeout(timer);
    if (checkedSource !== store.state.source) {
      store.set({tokens: store.state.source.replace(/\n$/, '').split('\n').map((text) => [['', text]])});
      check(store.state.source);
    }
  }

  function errorLine() {
    if (syntaxError && syntaxError.line) return syntaxError.line;
    const error = store.state.error;
    return error && error.line && !error.boot ? error.line : null;
  }

  function drawGutter() {
    const count = ui.text.value.split('\n').length;
    const changed = MGV.lineDiff.changed(store.state.original, ui.text.value);
    const bad = errorLine();
    const rows = [];
    for (let n = 1; n <= count; n++) {
      rows.push(el('div', {class: 'editor-num' + (changed.has(n) ? ' is-changed' : '') + (n === bad ? ' is-error' : '')}, String(n)));
    }
    ui.gutter.replaceChildren(...rows);
    ui.gutter.scrollTop = ui.text.scrollTop;
  }

  // Select line n in the box and scroll it into view.
  function goToLine(n, focus = true) {
    if (!n) return;
    const lines = ui.text.value.split('\n');
    const start = lines.slice(0, n - 1).reduce((sum, line) => sum + line.length + 1, 0);
    const lineHeight = parseFloat(getComputedStyle(ui.text).lineHeight) || 18;
    if (focus) ui.text.focus();
    ui.text.setSelectionRange(start, start + (lines[n - 1] || '').length);
    ui.text.scrollTop = Math.max(0, (n - 1) * lineHeight - ui.text.clientHeight / 3);
    ui.gutter.scrollTop = ui.text.scrollTop;
  }

  function say(text) {
    ui.goTo.hidden = !errorLine() || Boolean(text);
    ui.message.classList.remove('is-error');
    if (text) { ui.message.textContent = text; return; }
    if (syntaxError) {
      ui.message.textContent = `Line ${syntaxError.line}: ${syntaxError.message}. Fix it to train.`;
      ui.message.classList.add('is-error');
      return;
    }
    const error = store.state.error;
    if (error && error.line && !error.boot) {
      ui.message.textContent = `Line ${error.line}: ${error.message}`;
      ui.message.classList.add('is-error');
      return;
    }
    ui.message.textContent = store.state.source === store.state.original ? 'Edit the code, then press Train to run it.' : 'Press Train to run your version.';
  }

  function drawDiff() {
    if (ui.diff.hidden) return;
    const lines = MGV.lineDiff.unified(store.state.original, ui.text.value);
    const pre = el('pre', {class: 'diff'}, lines.length ? lines.map((line) => el('span', {
      class: line.startsWith('@@') ? 'diff-hunk' : line[0] === '+' ? 'diff-add' : line[0] === '-' ? 'diff-del' : 'diff-same',
    }, line + '\n')) : 'No changes: this is the original microgpt.py.');
    ui.diff.replaceChildren(el('h3', {}, 'Changes from the original'), pre);
  }

  const focus = () => ui.text.focus();
  const hasSyntaxError = () => Boolean(syntaxError);

  return {mount, checked, settle, focus, hasSyntaxError};
})();
