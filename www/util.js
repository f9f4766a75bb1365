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

  const fmt = (x, digits = 4) => (x == null || !Number.isFinite(x)) ? '–' : x.toFixed(digits);

  return {el, perFrame, fmt};
})();
