// The Console: what microgpt.py prints, line by line, as a terminal would show it.
// Notes from the app itself are styled differently so they are never mistaken for output.
// It shows the store's tail of lines (a flood keeps its last ones) and says how many came before.
window.MGV = window.MGV || {};
MGV.consoleView = (() => {
  const {el, perFrame} = MGV.util;
  let root, shown = 0, shownDropped = 0;   // lines drawn (counting the dropped ones), and how many were dropped then
  // Lines go in chunks that the browser lays out only when scrolled into view (content-visibility),
  // so thousands of kept lines cost a frame no more than the few on screen.
  const CHUNK = 200;
  let last = null;                          // the chunk being filled, and its line count in last.count

  function mount(container) {
    root = el('div', {class: 'console', role: 'log', 'aria-label': 'Console', tabindex: '0'});
    container.append(root);
    const render = perFrame(draw);
    MGV.store.subscribe((state, keys) => {
      // when a run ends, show its last lines at once: the page's state says it is done
      if (keys.includes('runState')) draw(state);
      else if (keys.includes('consoleLines')) render(state);
    });
  }

  // Consecutive lines of one kind make one element, so thousands of lines are a few nodes.
  function spans(lines) {
    const out = [];
    for (let i = 0; i < lines.length;) {
      let j = i;
      while (j < lines.length && lines[j].kind === lines[i].kind) j++;
      out.push(el('span', {class: `console-line is-${lines[i].kind}`}, lines.slice(i, j).map((l) => l.text + '\n').join('')));
      i = j;
    }
    return out;
  }

  function add(lines) {
    for (let i = 0; i < lines.length;) {
      if (!last || last.count >= CHUNK) {
        last = el('div', {class: 'console-chunk'});
        last.count = 0;
        root.append(last);
      }
      const take = lines.slice(i, i + CHUNK - last.count);
      last.append(...spans(take));
      last.count += take.length;
      i += take.length;
    }
  }

  function draw({consoleLines: lines, consoleDropped: dropped}) {
    const total = dropped + lines.length;
    if (total === shown && dropped === shownDropped) return;
    const stick = root.scrollTop + root.clientHeight >= root.scrollHeight - 4;
    if (total < shown || dropped !== shownDropped) {   // a new run, or the tail moved on: draw it afresh
      root.replaceChildren(...(dropped ? [el('p', {class: 'console-line is-note console-earlier'}, `${dropped.toLocaleString('en-US')} earlier lines not shown`)] : []));
      last = null;
      add(lines);
    } else {
      add(lines.slice(lines.length - (total - shown)));
    }
    shown = total;
    shownDropped = dropped;
    if (stick) root.scrollTop = root.scrollHeight;
  }

  return {mount};
})();
