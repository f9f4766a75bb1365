// "Animate forward": one real forward pass of the trained model over a name, walked token by
// token and block by block. Each step shows the vector that line of gpt() computed (a colour
// strip, numbers on hover and in a table), lights its block in the diagram and its line in the
// code; the Softmax step shows the probabilities of the next character, the real one marked.
window.MGV = window.MGV || {};
MGV.forwardView = (() => {
  const {el, fmt} = MGV.util;
  const store = MGV.store;
  const SPEEDS = [0.5, 1, 2, 3, 5, 8, 12, 20, 30];   // steps per second
  let ui = {}, diagram, inspect;
  let result = null, frames = [], index = 0, timer = null, busy = false;

  const reduced = () => matchMedia('(prefers-reduced-motion: reduce)').matches;
  const charLabel = (ch) => ch == null ? '⟨BOS⟩' : ch === ' ' ? '␠' : ch;
  const quoted = (ch) => ch == null ? '⟨BOS⟩' : `“${charLabel(ch)}”`;

  function mount(container, deps) {
    ({inspect, diagram} = deps);
    ui.text = MGV.util.exampleInput({id: 'fw-text'});
    ui.run = el('button', {type: 'submit', class: 'primary'}, 'Run forward pass');
    ui.message = el('p', {class: 'fw-message', role: 'status'});
    ui.back = el('button', {type: 'button'}, 'Step back');
    ui.play = el('button', {type: 'button'}, 'Play');
    ui.pause = el('button', {type: 'button'}, 'Pause');
    ui.forward = el('button', {type: 'button'}, 'Step forward');
    ui.speed = el('input', {type: 'range', id: 'fw-speed', min: '0', max: String(SPEEDS.length - 1), value: '3'});
    ui.speedOut = el('output', {for: 'fw-speed'});
    ui.scrub = el('input', {type: 'range', id: 'fw-step', min: '0', max: '0', value: '0'});
    ui.scrubOut = el('output', {for: 'fw-step'});
    ui.where = el('p', {class: 'fw-where'});
    ui.strip = el('div', {class: 'fw-strip', role: 'img'});
    ui.tableToggle = el('button', {type: 'button', class: 'small', 'aria-expanded': 'false'}, 'Show the numbers');
    ui.table = el('div', {class: 'fw-table', hidden: true});
    ui.probs = el('div', {class: 'fw-probs'});
    ui.chips = el('div', {class: 'fw-chips', 'aria-hidden': 'true'});   // the table below says the same
    // the controls and the current vector stay in view (sticky) while the diagram is read above
    ui.player = el('div', {class: 'fw-player', hidden: true},
      el('div', {class: 'fw-now'},
        el('div', {class: 'row fw-controls', role: 'group', 'aria-label': 'Animation controls'},
          ui.back, ui.play, ui.pause, ui.forward,
          el('label', {for: 'fw-speed'}, 'Speed'), ui.speed, ui.speedOut),
        el('div', {class: 'row fw-scrub'}, el('label', {for: 'fw-step'}, 'Step'), ui.scrub, ui.scrubOut),
        ui.where, ui.strip, ui.chips),
      el('div', {class: 'row'}, ui.tableToggle), ui.table, ui.probs);
    container.append(
      el('form', {class: 'row fw-form', onsubmit: (e) => { e.preventDefault(); run(); }},
        el('label', {for: 'fw-text'}, 'Name to run'), ui.text, ui.run),
      ui.message, ui.player);

    ui.back.addEventListener('click', () => { stop(); go(index - 1); });
    ui.forward.addEventListener('click', () => { stop(); go(index + 1); });
    ui.play.addEventListener('click', play);
    ui.pause.addEventListener('click', stop);
    ui.speed.addEventListener('input', () => { showSpeed(); if (timer) { stop(); play(); } });
    ui.scrub.addEventListener('input', () => { stop(); go(Number(ui.scrub.value)); });
    ui.tableToggle.addEventListener('click', () => {
      const open = ui.table.hidden;
      ui.table.hidden = !open;
      ui.tableToggle.setAttribute('aria-expanded', String(open));
      ui.tableToggle.textContent = open ? 'Hide the numbers' : 'Show the numbers';
      drawTable();
    });
    store.subscribe((state, keys) => {
      if (keys.includes('hasModel') || keys.includes('runState')) availability();
      if (keys.includes('texts') && result) drop('The settings changed. Run the forward pass again to see the model they make (after Train).');
      if (keys.includes('hasModel') && !state.hasModel && result) drop('');
    });
    showSpeed();
    availability();
  }

  function availability() {
    const {hasModel} = store.state;
    MGV.util.enable(ui.run, !busy && hasModel);   // keeps focus while it runs
    if (!hasModel && !result) {
      ui.message.textContent = 'Press Train (or Train then Stop) to create the model first: the pass runs on its weights.';
      ui.message.classList.remove('is-error');
    } else if (hasModel && !result && !busy && ui.message.textContent.startsWith('Press Train')) {
      ui.message.textContent = '';
    }
  }

  function drop(message) {
    stop();
    result = null; frames = [];
    ui.player.hidden = true;
    diagram.clear();
    diagram.setModelConfig(null);
    ui.message.textContent = message;
    availability();
  }

  async function run() {
    if (busy || !store.state.hasModel) return availability();
    stop();
    busy = true;
    MGV.util.enable(ui.run, false);
    ui.message.classList.remove('is-error');
    ui.message.textContent = 'Running gpt() on each position…';
    const {result: answer, error} = await inspect('forward', {text: ui.text.value});
    busy = false;
    availability();
    if (error || !answer) {
      ui.message.textContent = error ? String(error.message || error).replace(/^\w+(Error)?: /, '') : 'No answer from Python.';
      ui.message.classList.add('is-error');
      return;
    }
    result = answer;
    frames = answer.positions.flatMap((p) => p.steps.map((step) => ({position: p, step})));
    diagram.setModelConfig({n_layer: answer.n_layer, n_head: answer.n_head});
    ui.message.textContent = `${answer.positions.length} positions, ${frames.length} steps: each one a line of gpt() running. Press Play, or step through.`;
    ui.scrub.max = String(frames.length - 1);
    ui.player.hidden = false;
    go(0);
  }

  function showSpeed() {
    const s = SPEEDS[Number(ui.speed.value)];
    ui.speedOut.textContent = `${s} steps/s`;
  }

  function play() {
    if (!frames.length) return;
    if (index >= frames.length - 1) go(0);
    clearInterval(timer);
    timer = setInterval(() => {
      if (index >= frames.length - 1) return stop();
      go(index + 1);
    }, 1000 / SPEEDS[Number(ui.speed.value)]);
    buttons();
  }

  function stop() {
    clearInterval(timer);
    timer = null;
    buttons();
  }

  function buttons() {
    const {enable} = MGV.util, had = document.activeElement;
    enable(ui.play, !timer && frames.length);
    enable(ui.pause, Boolean(timer));
    enable(ui.back, index > 0);
    enable(ui.forward, index < frames.length - 1);
    if (had === ui.play && timer) ui.pause.focus();   // focus goes to the button that now acts
    else if (had === ui.pause && !timer) ui.play.focus();
  }

  function go(i) {
    if (!frames.length) return;
    index = Math.max(0, Math.min(frames.length - 1, i));
    const {position, step} = frames[index];
    ui.scrub.value = String(index);
    ui.scrubOut.textContent = `${index + 1} / ${frames.length}`;
    const node = diagram.highlight(step, position.char, position.pos);
    if (node && !reduced()) {
      node.classList.remove('is-flash');
      void node.offsetWidth;            // restart the flash
      node.classList.add('is-flash');
    }
    MGV.codeView.show(step.label, step.lines);
    const where = [`Position ${position.pos + 1} of ${result.positions.length}, reading ${quoted(position.char)}`];
    if (step.layer != null) where.push(`layer ${step.layer + 1}`);
    if (step.head != null) where.push(`head ${step.head + 1}`);
    const lines = step.lines.map(([a, b]) => (a === b ? `line ${a}` : `lines ${a}–${b}`)).join(', ');
    ui.where.replaceChildren(where.join(' · '), ': ', el('strong', {}, step.label),
      el('span', {class: 'muted'}, ` (${step.name}, ${step.values.length} numbers, ${lines})`));
    drawStrip(position, step);
    drawTable();
    drawProbs(position, step);
    buttons();
  }

  // One cell per number: blue above zero, orange below, strength by size within this vector.
  function drawStrip(position, step) {
    const values = step.values;
    const scale = Math.max(1e-12, ...values.map(Math.abs));
    const keys = step.block === 'attn_softmax' ? result.chars.slice(0, values.length) : null;
    ui.strip.setAttribute('aria-label', `${step.label}: ${values.length} numbers from ${fmt(Math.min(...values), 3)} to ${fmt(Math.max(...values), 3)}`);
    ui.strip.classList.toggle('is-wide', values.length > 32);
    ui.strip.replaceChildren(...values.map((v, i) => {
      const name = keys ? `key ${charLabel(keys[i])} (position ${i + 1})` : step.block === 'softmax' ? charLabel(result.vocab[i]) : `[${i}]`;
      const cell = el('span', {class: 'fw-cell', title: `${name}: ${v}`});
      const strength = Math.round(Math.abs(v) / scale * 100);
      cell.style.background = `color-mix(in srgb, var(${v >= 0 ? '--diverge-pos' : '--diverge-neg'}) ${strength}%, var(--panel))`;
      return cell;
    }));
  }

  function drawTable() {
    if (ui.table.hidden || !frames.length) return;
    const {step} = frames[index];
    ui.table.replaceChildren(el('table', {},
      el('caption', {}, `${step.label} (${step.name}): ${step.values.length} numbers`),
      el('thead', {}, el('tr', {}, el('th', {scope: 'col'}, 'index'), el('th', {scope: 'col'}, 'value'))),
      el('tbody', {}, step.values.map((v, i) => el('tr', {},
        el('th', {scope: 'row'}, step.block === 'softmax' ? charLabel(result.vocab[i]) : String(i)),
        el('td', {'data-value': String(v)}, fmt(v, 5)))))));
  }

  // The next-character probabilities at this position's Softmax step: top 10, real target marked.
  function drawProbs(position, step) {
    if (step.block !== 'softmax') { ui.probs.replaceChildren(); ui.chips.replaceChildren(); return; }
    const order = position.probs.map((p, t) => [p, t]).sort((a, b) => b[0] - a[0]);
    const top = order.slice(0, 10);
    if (!top.some(([, t]) => t === position.target)) top.push(order.find(([, t]) => t === position.target));
    const max = top[0][0] || 1;
    const rank = order.findIndex(([, t]) => t === position.target) + 1;
    const rows = top.map(([p, t]) => {
      const isTarget = t === position.target;
      const fill = el('span', {class: 'fw-bar-fill'});
      fill.style.width = `${(p / max) * 100}%`;
      return el('tr', {class: isTarget ? 'is-target' : ''},
        el('th', {scope: 'row'}, charLabel(result.vocab[t])),
        el('td', {class: 'fw-bar'}, fill),
        el('td', {'data-value': String(p)}, `${(p * 100).toFixed(1)}%`),
        el('td', {class: 'fw-mark'}, isTarget ? 'real next' : ''));
    });
    ui.chips.replaceChildren(el('span', {class: 'fw-chips-title'}, 'Next:'), ...top.map(([p, t]) => {
      const fill = el('span', {class: 'fw-chip-fill'});
      fill.style.height = `${(p / max) * 100}%`;
      return el('span', {class: 'fw-chip' + (t === position.target ? ' is-target' : ''), title: `${charLabel(result.vocab[t])}: ${p}`},
        fill, el('span', {class: 'fw-chip-label'}, `${charLabel(result.vocab[t])} ${(p * 100).toFixed(0)}%`));
    }));
    ui.probs.replaceChildren(el('table', {class: 'fw-prob-table'},
      el('caption', {}, `Next character after ${quoted(position.char)} (position ${position.pos + 1}): real next is ${quoted(position.target_char)}, ranked ${rank} of ${order.length}`),
      el('thead', {}, el('tr', {}, ...['character', 'probability', 'value', ''].map((h) => el('th', {scope: 'col'}, h)))),
      el('tbody', {}, rows)));
  }

  return {mount};
})();
