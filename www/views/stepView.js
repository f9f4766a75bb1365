// Step through mode of the code pane: the worker records one forward pass of gpt() (a name and a
// position) or one backward() line by line (py/step_trace.py), and the learner scrubs through
// the recording. The line being run is marked in the code, the values of the names on it (read
// once it has run) are listed here, and the Architecture diagram lights the block it belongs to.
window.MGV = window.MGV || {};
MGV.stepView = (() => {
  const {el, fmt} = MGV.util;
  const store = MGV.store;
  let ui = {}, inspect, rec = null, index = 0, busy = false, active = false;

  const charLabel = (ch) => ch == null ? '⟨BOS⟩' : ch === ' ' ? '␠' : ch;

  function mount(container, deps) {
    ({inspect} = deps);
    ui.what = el('select', {id: 'st-what'},
      el('option', {value: 'forward'}, 'Forward pass: gpt()'), el('option', {value: 'backward'}, 'Backward: loss.backward()'));
    ui.text = MGV.util.exampleInput({id: 'st-text', size: '8'});
    ui.pos = el('input', {id: 'st-pos', type: 'number', min: '1', max: '32', value: '1', size: '3'});
    ui.posField = el('span', {class: 'st-field'}, el('label', {for: 'st-pos'}, 'Position'), ui.pos);
    ui.record = el('button', {type: 'submit', class: 'primary'}, 'Record');
    ui.status = el('p', {class: 'st-status', role: 'status'});
    ui.prev = el('button', {type: 'button'}, 'Previous line');
    ui.next = el('button', {type: 'button'}, 'Next line');
    ui.over = el('button', {type: 'button'}, 'Step over');
    ui.out = el('button', {type: 'button'}, 'Step out');
    ui.toLine = el('input', {id: 'st-line', type: 'number', min: '1', size: '4'});
    ui.slider = el('input', {id: 'st-slider', type: 'range', min: '0', max: '0', value: '0'});
    ui.count = el('output', {for: 'st-slider'});
    ui.where = el('p', {class: 'st-where'});
    ui.values = el('div', {class: 'st-values'});
    ui.player = el('div', {class: 'st-player', hidden: true},
      el('div', {class: 'row st-controls', role: 'group', 'aria-label': 'Step controls'},
        ui.prev, ui.next, ui.over, ui.out,
        el('form', {class: 'st-runto', onsubmit: (e) => { e.preventDefault(); runTo(Number(ui.toLine.value)); }},
          el('label', {for: 'st-line'}, 'Run to line'), ui.toLine, el('button', {type: 'submit'}, 'Go'))),
      el('div', {class: 'row st-scrub'}, el('label', {for: 'st-slider'}, 'Recording'), ui.slider, ui.count),
      ui.where, ui.values);
    container.append(
      el('form', {class: 'row st-form', onsubmit: (e) => { e.preventDefault(); record(); }},
        el('label', {for: 'st-what'}, 'Pass'), ui.what,
        el('label', {for: 'st-text'}, 'Name'), ui.text, ui.posField, ui.record),
      ui.status, ui.player);

    ui.what.addEventListener('change', () => { ui.posField.hidden = ui.what.value === 'backward'; });
    ui.prev.addEventListener('click', () => go(index - 1));
    ui.next.addEventListener('click', () => go(index + 1));
    ui.over.addEventListener('click', () => go(nextWhere(index, (e, d) => e.depth <= d)));
    ui.out.addEventListener('click', () => go(nextWhere(index, (e, d) => e.depth < d, rec.events.length - 1)));
    ui.slider.addEventListener('input', () => go(Number(ui.slider.value)));
    store.subscribe((state, keys) => {
      if (keys.includes('hasModel') || keys.includes('runState')) availability();
      if (keys.includes('hasModel') && !state.hasModel && rec) drop('The model was reset: record again after Train.');
    });
    availability();
  }

  function availability() {
    MGV.util.enable(ui.record, !busy && store.state.hasModel);   // keeps focus while it records
    if (!store.state.hasModel && !rec) say('Press Train (or Train then Stop) first: the pass runs on the model’s own weights.');
    else if (store.state.hasModel && !rec && !busy && ui.status.textContent.startsWith('Press Train')) say('Choose a name, then Record.');
  }

  function say(text, error = false) {
    ui.status.textContent = text;
    ui.status.classList.toggle('is-error', error);
  }

  function drop(text) {
    rec = null;
    ui.player.hidden = true;
    show();
    say(text);
  }

  async function record() {
    if (busy || !store.state.hasModel) return availability();
    busy = true;
    availability();
    say('Recording…');
    const what = ui.what.value;
    const began = performance.now();
    const {result, error} = await inspect('step_trace', {what, text: ui.text.value, pos: Math.max(0, Number(ui.pos.value) - 1)});
    const roundTrip = performance.now() - began;
    busy = false;
    availability();
    if (error || !result) return say(error ? String(error.message || error).replace(/^\w+(Error)?: /, '') : 'No answer from Python.', true);
    if (!result.events.length) return say('Nothing was recorded.', true);
    rec = {...result, roundTrip};
    ui.pos.max = String(result.positions || 32);
    if (what === 'forward') ui.pos.value = String(result.pos + 1);
    ui.slider.max = String(rec.events.length - 1);
    ui.player.hidden = false;
    const pass = what === 'forward'
      ? `gpt() at position ${result.pos + 1} of “${result.text}”, reading ${result.char == null ? "⟨BOS⟩" : `“${charLabel(result.char)}”`}`
      : `backward() of the loss of “${result.text}” (${result.nodes.toLocaleString('en-US')} Values)`;
    const notes = result.notes.length ? ` Cut to stay small: ${result.notes.join('; ')}.` : '';
    const stale = result.source !== store.state.source ? ' The code in the pane has changed since Train: this recording follows the code that ran.' : '';
    say(`Recorded ${rec.events.length} lines in ${Math.round(roundTrip)} ms: ${pass}.${notes}${stale}`);
    go(0);
  }

  // The first event after i whose depth passes test(event, depth at i); `fallback` if none.
  function nextWhere(i, test, fallback = i) {
    const depth = rec.events[i].depth;
    for (let j = i + 1; j < rec.events.length; j++) if (test(rec.events[j], depth)) return j;
    return fallback;
  }

  function runTo(line) {
    if (!rec || !line) return;
    const n = rec.events.length;
    for (let k = 1; k <= n; k++) {
      const j = (index + k) % n;
      if (rec.events[j].line === line) return go(j);
    }
    say(`Line ${line} does not run in this recording.`, true);
  }

  function go(i) {
    if (!rec) return;
    index = Math.max(0, Math.min(rec.events.length - 1, i));
    ui.slider.value = String(index);
    ui.count.textContent = `${index + 1} / ${rec.events.length}`;
    const {enable} = MGV.util, last = index === rec.events.length - 1;
    enable(ui.prev, index > 0);
    enable(ui.next, !last);
    enable(ui.over, !last);
    enable(ui.out, rec.events[index].depth !== 0 && !last);
    show();
  }

  // Mark the current line in the code and its block in the diagram; list its values.
  function show() {
    const event = rec && active ? rec.events[index] : null;
    MGV.codeView.step(event ? event.line : null);
    const arch = MGV.architectureView;
    if (arch && arch.highlight) {
      arch.highlight(event && event.block ? {block: event.block, layer: event.layer ?? null, head: event.head ?? null} : null,
        rec && rec.char !== undefined ? rec.char : null, rec ? rec.pos || 0 : 0);
    }
    if (!event) { ui.values.replaceChildren(); ui.where.replaceChildren(); return; }
    const code = (store.state.source.split('\n')[event.line - 1] || '').trim();
    const context = [`in ${event.fn === '<module>' ? 'the training loop' : event.fn + '()'}`];
    if (event.layer != null) context.push(`layer ${event.layer + 1}`);
    if (event.head != null) context.push(`head ${event.head + 1}`);
    ui.where.replaceChildren(el('strong', {}, `Line ${event.line}`), ` ${context.join(' · ')}: `, el('code', {}, code),
      event.gap ? el('span', {class: 'muted'}, event.gap === true ? ' (loop passes before this one ran but were not kept)'
        : ` (${event.gap.toLocaleString('en-US')} lines before this one ran but were not kept)`) : '');
    const values = event.values || [];
    ui.values.replaceChildren(values.length
      ? el('table', {class: 'st-table'},
        el('caption', {}, `Values after line ${event.line} ran`),
        el('tbody', {}, values.map(([name, value]) => el('tr', {},
          el('th', {scope: 'row'}, name === 'returns' ? 'returns' : name), el('td', {}, shown(value))))))
      : el('p', {class: 'muted'}, event.values ? 'No numbers on this line.' : 'Values were not kept for this line (the recording’s size cap).'));
  }

  // A value as the learner reads it: numbers (each with its exact value kept), or a summary.
  function shown(value) {
    const num = (x) => el('span', {class: 'st-num', 'data-value': String(x), title: String(x)},
      x == null ? '–' : Number.isInteger(x) ? String(x) : fmt(x, 4));
    if (typeof value === 'number' || value === null) return num(value);
    if (Array.isArray(value)) return el('span', {class: 'st-list'}, '[', value.flatMap((x, i) => i ? [', ', num(x)] : [num(x)]), ']');
    if (value.text) return el('span', {class: 'muted'}, value.text);
    const shape = value.shape.join(' × ');
    if (!value.first) return el('span', {class: 'muted'}, `${shape} ${value.of}s`);
    return el('span', {class: 'st-list'}, el('span', {class: 'muted'}, `${shape} = ${value.count.toLocaleString('en-US')} numbers: `),
      '[', value.first.flatMap((x, i) => i ? [', ', num(x)] : [num(x)]), ', …]');
  }

  // The code pane calls these when Step through is switched on and off.
  function enter() {
    active = true;
    MGV.codeView.setLineClick((line) => { if (rec) runTo(line); else ui.toLine.value = String(line); });
    show();
  }
  function leave() {
    active = false;
    MGV.codeView.setLineClick(null);
    show();
  }

  return {mount, enter, leave, runTo};
})();
