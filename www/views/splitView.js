// The divider between the visualization and the code: drag it, or focus it and use the arrow keys
// (Home and End: narrowest and widest visualization).
window.MGV = window.MGV || {};
MGV.splitView = (() => {
  const store = MGV.store;
  const {min, max} = store.ui.split;

  function mount(main, divider) {
    const apply = (f) => {
      main.style.setProperty('--split', `${(f * 100).toFixed(1)}%`);
      divider.setAttribute('aria-valuenow', String(Math.round(f * 100)));
    };
    divider.setAttribute('aria-valuemin', String(min * 100));
    divider.setAttribute('aria-valuemax', String(max * 100));
    const clamp = (f) => Math.min(max, Math.max(min, f));
    divider.addEventListener('pointerdown', (e) => {
      divider.setPointerCapture(e.pointerId);
      const move = (ev) => {
        const box = main.getBoundingClientRect();
        store.set({split: clamp((ev.clientX - box.left) / box.width)});
      };
      const up = () => { divider.removeEventListener('pointermove', move); divider.removeEventListener('pointerup', up); };
      divider.addEventListener('pointermove', move);
      divider.addEventListener('pointerup', up);
    });
    divider.addEventListener('keydown', (e) => {
      const delta = {ArrowLeft: -0.02, ArrowRight: 0.02, ArrowUp: -0.02, ArrowDown: 0.02}[e.key];
      const to = {Home: min, End: max}[e.key] ?? (delta === undefined ? undefined : store.state.split + delta);
      if (to === undefined) return;
      e.preventDefault();
      store.set({split: clamp(to)});
    });
    store.subscribe((state, keys) => { if (keys.includes('split')) apply(state.split); });
    apply(store.state.split);
  }

  return {mount};
})();
