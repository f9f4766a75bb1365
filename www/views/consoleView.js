// The Console: what microgpt.py prints, line by line, as a terminal would show it.
// Notes from the app itself are styled differently so they are never mistaken for output.
window.MGV = window.MGV || {};
MGV.consoleView = (() => {
  const {el, perFrame} = MGV.util;
  let root, shown = 0;

  function mount(container) {
    root = el('div', {class: 'console', role: 'log', 'aria-label': 'Console', tabindex: '0'});
    container.append(root);
    const render = perFrame(draw);
    MGV.store.subscribe((state, keys) => {
      // when a run ends, show its last lines at once: the page's state says it is done
      if (keys.includes('runState')) draw(state.consoleLines);
      else if (keys.includes('consoleLines')) render(state.consoleLines);
    });
  }

  function draw(lines) {
    if (lines.length < shown) { root.replaceChildren(); shown = 0; }
    const stick = root.scrollTop + root.clientHeight >= root.scrollHeight - 4;
    const fresh = lines.slice(shown).map(({text, kind}) => el('span', {class: `console-line is-${kind}`}, text + '\n'));
    root.append(...fresh);
    shown = lines.length;
    if (stick) root.scrollTop = root.scrollHeight;
  }

  return {mount};
})();
