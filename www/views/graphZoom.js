// Zoom and pan for a drawn graph: the svg keeps its own coordinates (viewBox) and is scaled by
// its width and height inside a box that scrolls. Drag, the arrow keys or the scroll bars pan;
// + and − (keys or buttons) zoom; Fit shows all of it; 100% is the size its text is meant for.
window.MGV = window.MGV || {};
MGV.graphZoom = (() => {
  const {el, enable} = MGV.util;
  const ZOOMS = [0.35, 0.5, 0.7, 0.85, 1, 1.25, 1.5];

  // box: the scrolling element holding one <svg>. Returns {controls (element), zoom, reset(size)}.
  function attach(box) {
    let zoom = 1, size = null;
    const note = el('span', {class: 'ag-zoom-note muted', 'aria-live': 'polite'});
    const btn = (text, label, fn) => el('button', {type: 'button', class: 'small', 'aria-label': label, onclick: fn}, text);
    const buttons = {
      out: btn('−', 'Zoom out', () => set(next(-1))),
      in: btn('+', 'Zoom in', () => set(next(1))),
      fit: btn('Fit', 'Fit the whole graph', () => set(fit())),
      actual: btn('100%', '100% (actual size)', () => set(1)),
    };
    const controls = el('div', {class: 'row ag-view', role: 'group', 'aria-label': 'Graph size'}, Object.values(buttons), note);

    const next = (dir) => {
      const bigger = ZOOMS.filter((z) => z > zoom + 1e-6), smaller = ZOOMS.filter((z) => z < zoom - 1e-6);
      return dir > 0 ? bigger[0] ?? zoom : smaller.at(-1) ?? zoom;
    };
    const fit = () => Math.min(1, (box.clientWidth - 2) / size.width, Math.max(200, innerHeight * 0.7) / size.height);

    function set(z) {
      if (!size) return;
      const cx = (box.scrollLeft + box.clientWidth / 2) / zoom, cy = (box.scrollTop + box.clientHeight / 2) / zoom;
      zoom = z;
      show();
      box.scrollLeft = Math.max(0, cx * zoom - box.clientWidth / 2);   // the middle stays where it was
      box.scrollTop = Math.max(0, cy * zoom - box.clientHeight / 2);
    }

    function show() {
      const svg = box.querySelector('svg');
      if (svg && size) {
        svg.setAttribute('width', String(Math.round(size.width * zoom)));
        svg.setAttribute('height', String(Math.round(size.height * zoom)));
      }
      note.textContent = size && zoom !== 1 ? `${Math.round(zoom * 100)}%${zoom < 1 ? ': smaller text, 100% reads best' : ''}` : '';
      enable(buttons.out, size && zoom > ZOOMS[0]);
      enable(buttons.in, size && zoom < ZOOMS.at(-1));
      enable(buttons.fit, Boolean(size));
      enable(buttons.actual, size && zoom !== 1);
    }

    let drag = null;
    box.addEventListener('pointerdown', (e) => {
      if (e.button !== 0 || !size) return;
      drag = {x: e.clientX, y: e.clientY, left: box.scrollLeft, top: box.scrollTop};
      box.setPointerCapture(e.pointerId);
      box.classList.add('is-panning');
    });
    box.addEventListener('pointermove', (e) => {
      if (!drag) return;
      box.scrollLeft = drag.left - (e.clientX - drag.x);
      box.scrollTop = drag.top - (e.clientY - drag.y);
    });
    const end = () => { drag = null; box.classList.remove('is-panning'); };
    box.addEventListener('pointerup', end);
    box.addEventListener('pointercancel', end);
    box.addEventListener('keydown', (e) => {
      const dir = {'+': 1, '=': 1, '-': -1, '_': -1}[e.key];
      if (!dir || !size) return;
      e.preventDefault();
      set(next(dir));
    });
    show();

    return {
      controls,
      get zoom() { return zoom; },
      reset(newSize) { size = newSize; zoom = 1; show(); },   // a new drawing (null: none), at 100%
    };
  }

  return {attach};
})();
