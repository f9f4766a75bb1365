// The Runs tab: the last few runs of this session (settings and loss curve), their loss curves
// overlaid with a legend that names what changed, two runs' samples side by side, and each
// run's log as a JSON download. Keeps state.runs up to date from what the worker reports.
window.MGV = window.MGV || {};
MGV.runsView = (() => {
  const {el, perFrame, fmt} = MGV.util;
  const store = MGV.store;
  const KEEP = 5, AVERAGE_OVER = 20;
  let chart, legend, pickers, columns, empty, charts, caption;
  let current = null, counter = 0, seen = 0, inInference = false;

  // --- keeping the runs ---------------------------------------------------------------------
  function track(state, keys) {
    let changed = false;
    if (keys.includes('runConfig') && state.runConfig) {
      const kept = state.runs.filter((r) => r.steps.length);
      current = {n: ++counter, config: state.runConfig.values, data: state.runConfig.data, steps: [], numSteps: state.runConfig.values.num_steps,
        samples: [], vocabSize: null};
      seen = 0; inInference = false;
      state.runs = [...kept, current].slice(-KEEP);
      changed = true;
    }
    if (current && keys.includes('snapshots')) {
      if (state.snapshots.length < current.steps.length) current = null;   // Reset: the run is over, its record stays
      else {
        for (const s of state.snapshots.slice(current.steps.length)) current.steps.push({step: s.step, loss: s.loss, lr_t: s.lr_t});
        changed = true;
      }
    }
    if (current && keys.includes('consoleLines')) {
      const lines = state.consoleLines, first = state.consoleDropped;   // lines[0] is the run's line number `first`
      if (first + lines.length < seen) seen = 0;
      for (const {text, kind} of lines.slice(Math.max(0, seen - first))) {
        if (kind !== 'out') continue;
        if (text === '--- inference ---') inInference = true;
        else if (inInference) { current.samples.push(text.replace(/^sample\s+\d+:\s?/, '')); changed = true; }
      }
      seen = first + lines.length;
    }
    if (current && keys.includes('vocabSize')) current.vocabSize = state.vocabSize;
    if (changed) store.set({runs: state.runs});
  }

  // What differs from the run before it, e.g. "n_embd 16 → 32"; the first run says what it is.
  function describe(run, prev) {
    const c = run.config;
    if (!prev) return `${run.data.name}, n_embd ${c.n_embd}, n_layer ${c.n_layer}, block_size ${c.block_size}, seed ${c.seed}`;
    const parts = store.hyperNames.filter((n) => prev.config[n] !== c[n]).map((n) => `${n} ${prev.config[n]} → ${c[n]}`);
    if (prev.data.name !== run.data.name || prev.data.docs !== run.data.docs) parts.unshift(`data ${prev.data.name} → ${run.data.name}`);
    return parts.length ? parts.join(', ') : `same settings as run ${prev.n}`;
  }

  // --- showing them -------------------------------------------------------------------------
  function mount(panel) {
    store.subscribe(track);
    empty = el('p', {class: 'muted'}, 'Each Train adds a run here (the last five are kept). Change a setting, train again, and compare.');
    charts = el('div', {class: 'charts'});
    legend = el('ul', {class: 'runs-legend', 'aria-label': 'Runs'});
    pickers = el('div', {class: 'row runs-pickers'});
    columns = el('div', {class: 'runs-columns'});
    caption = el('p', {class: 'muted runs-caption'}, `Each curve is the average of the last ${AVERAGE_OVER} steps' losses, as printed by microgpt.py. Each run's line says what changed since the run before.`);
    panel.append(el('h3', {}, 'Runs of this session'), empty, charts, caption, legend,
      el('h3', {}, 'Samples side by side'), pickers, columns);
    chart = MGV.lineChart.create(charts, {label: `Loss of each run (average of ${AVERAGE_OVER} steps)`, xLabel: 'step', yLabel: 'loss'});
    const redraw = perFrame(render);
    store.subscribe((state, keys) => { if (keys.includes('runs')) redraw(state); });
    render(store.state);
  }

  const color = (i) => `--run-${(i % KEEP) + 1}`;

  function average(steps) {
    return steps.map((s, i) => {
      const win = steps.slice(Math.max(0, i - AVERAGE_OVER + 1), i + 1).map((p) => p.loss).filter(Number.isFinite);
      return [s.step, win.length ? win.reduce((a, b) => a + b, 0) / win.length : NaN];
    });
  }

  function render(state) {
    const runs = state.runs;
    empty.hidden = runs.length > 0;
    charts.hidden = caption.hidden = !runs.length;
    chart.update({xMax: Math.max(1, ...runs.map((r) => r.numSteps || 1)),
      series: runs.map((r, i) => ({name: `Run ${r.n}`, points: average(r.steps), color: color(i), width: 2}))});
    legend.replaceChildren(...runs.map((run, i) => {
      const last = run.steps.at(-1);
      const avg = average(run.steps.slice(-AVERAGE_OVER)).at(-1);
      return el('li', {class: 'runs-item'},
        el('span', {class: `runs-swatch is-${i + 1}`, 'aria-hidden': 'true'}),
        el('span', {class: 'runs-text'}, el('strong', {}, `Run ${run.n}`), ' ',
          el('span', {class: 'runs-diff'}, describe(run, runs[i - 1])),
          el('span', {class: 'runs-loss muted'}, last ? ` · step ${last.step} of ${run.numSteps}, loss ${fmt(last.loss)}, average ${fmt(avg[1], 3)}` : ' · no steps yet')),
        el('button', {type: 'button', class: 'small', 'aria-label': `Download log of run ${run.n}`, onclick: () => download(run)}, 'Download log'));
    }));
    renderPickers(runs);
  }

  let chosen = [null, null];   // what the learner picked, if they did
  function renderPickers(runs) {
    const ids = runs.map((r) => r.n);
    // by default the last two runs (or the one run); a choice stays while its run is kept
    const defaults = ids.length > 1 ? ids.slice(-2) : [ids[0], null];
    const picked = chosen.map((n, k) => (ids.includes(n) ? n : defaults[k] ?? null));
    pickers.replaceChildren(...['Left', 'Right'].map((side, k) => {
      const select = el('select', {id: `runs-pick-${k}`, onchange: (e) => { chosen[k] = Number(e.target.value); renderPickers(store.state.runs); }},
        picked[k] == null ? el('option', {value: '', selected: true}, '–') : null,
        runs.map((r) => el('option', {value: String(r.n), selected: r.n === picked[k]}, `Run ${r.n}`)));
      return el('span', {class: 'row'}, el('label', {for: `runs-pick-${k}`}, side), select);
    }));
    columns.replaceChildren(...picked.filter((n) => n != null).map((n) => {
      const i = runs.findIndex((r) => r.n === n);
      const run = runs[i];
      return el('section', {class: 'runs-column', 'aria-label': `Samples of run ${n}`},
        el('h4', {}, `Run ${n}`, el('span', {class: 'muted'}, ` · ${describe(run, runs[i - 1])}`)),
        run.samples.length
          ? el('ol', {class: 'runs-samples'}, run.samples.map((s) => el('li', {}, s === '' ? '(empty)' : s)))
          : el('p', {class: 'muted'}, 'No samples: microgpt.py prints them when a run finishes.'));
    }));
  }

  function download(run) {
    MGV.downloads.saveJSON(`microgpt-run-${run.n}-${MGV.downloads.slug(run.data.name)}.json`, {
      format: 'microgpt-viz run log', run: run.n, config: run.config, data: run.data, vocab_size: run.vocabSize,
      steps: run.steps, samples: run.samples,
    });
  }

  return {mount, describe};
})();
