// Small DOM helpers shared by every view. Text always goes in as text, never as HTML.
window.MGV = window.MGV || {};
MGV.util = (() => {
  // el('button', {class: 'x', onclick: fn, 'aria-label': '...'}, 'text', child, ...)
  function el(tag, attrs, ...children) {
    const node = document.createElement(tag);
    for (const [key, value] of Object.entries(attrs || {})) {
      if (value == null || value === false) continue;
      if (key.startsWith('on')) node.addEventListener(key.slice(2), value);
      else if (key === 'class') node.className = value;
      else if (key === 'text') node.textContent = value;
      else node.setAttribute(key, value === true ? '' : value);
    }
    for (const child of children.flat()) {
      if (child == null || child === false) continue;
      node.append(child instanceof Node ? child : document.createTextNode(String(child)));
    }
    return node;
  }

  // Calls fn at most once per animation frame, with the latest arguments.
  function perFrame(fn) {
    let pending = null;
    return (...args) => {
      const first = pending === null;
      pending = args;
      if (first) requestAnimationFrame(() => { const a = pending; pending = null; fn(...a); });
    };
  }

  // A text input holding an example document: the chosen data's first line, replaced when the
  // data changes unless the learner has typed their own.
  function exampleInput(attrs) {
    let example = MGV.store.firstDoc();
    const input = el('input', {type: 'text', value: example, autocomplete: 'off', spellcheck: 'false', maxlength: '40', ...attrs});
    MGV.store.subscribe((state, keys) => {
      if (!keys.includes('dataId') && !keys.includes('custom')) return;
      if (input.value === example) input.value = MGV.store.firstDoc();
      example = MGV.store.firstDoc();
    });
    return input;
  }

  // Enable or disable a button without losing the keyboard's place: a button disabled while it
  // has focus (Train, Build graph, Step backward at the end...) would send focus to <body>. So a
  // focused one stays focusable and says it is disabled (aria-disabled; its clicks do nothing)
  // until focus leaves it; then it is disabled as usual.
  function enable(button, on) {
    if (!button.dataset.keepsFocus) {
      button.dataset.keepsFocus = '1';
      button.addEventListener('click', (e) => {
        if (button.getAttribute('aria-disabled') === 'true') { e.preventDefault(); e.stopImmediatePropagation(); }
      }, true);
      button.addEventListener('blur', () => {
        if (document.hasFocus() && button.getAttribute('aria-disabled') === 'true') { button.removeAttribute('aria-disabled'); button.disabled = true; }
      });
    }
    if (on) { button.disabled = false; button.removeAttribute('aria-disabled'); }
    else if (document.activeElement === button || button.getAttribute('aria-disabled') === 'true') button.setAttribute('aria-disabled', 'true');
    else button.disabled = true;
  }

  const fmt = (x, digits = 4) => (x == null || !Number.isFinite(x)) ? '–' : x.toFixed(digits);

  return {el, perFrame, fmt, exampleInput, enable};
})();
