// The Training tab: the loop's phases (linked to their code, timed in the worker, each showing
// what the latest step did in it: see stepBreakdownView.js), the loss and learning-rate charts,
// speed and time left, the Console, and samples from the model.
window.MGV = window.MGV || {};
MGV.trainingView = (() => {
  const {el, perFrame, fmt} = MGV.util;
  const store = MGV.store;
  const AVERAGE_OVER = 20;
  let phaseBox, phaseCaption, lossChart, lrChart, speedLine, tableBox, tableToggle, samplesBox;
  let shownReport;          // the step report the phases show now (null: none yet)

  function mount(panel, {onGenerate}) {
    phaseBox = el('div', {class: 'phases', role: 'group', 'aria-label': 'Training loop phases'});
    phaseCaption = el('p', {class: 'muted sb-caption'});
    speedLine = el('p', {class: 'speed'}, 'Press Train to start.');
    const charts = el('div', {class: 'charts'});
    tableToggle = el('button', {type: 'button', class: 'small', 'aria-expanded': 'false'}, 'Show losses as a table');
    tableBox = el('div', {class: 'loss-table', hidden: true});
    tableToggle.addEventListener('click', () => {
      const open = tableBox.hidden;
      tableBox.hidden = !open;
      tableToggle.setAttribute('aria-expanded', String(open));
      tableToggle.textContent = open ? 'Hide the table' : 'Show losses as a table';
      drawTable(store.state.snapshots);
    });
    const consoleBox = el('div', {class: 'console-box'});
    samplesBox = el('div', {class: 'samples'});
    panel.append(
      el('h3', {}, 'The training loop, one step per document'), phaseCaption, phaseBox, speedLine,
      el('h3', {}, 'Loss'), charts, el('div', {class: 'row'}, tableToggle), tableBox,
      el('h3', {}, 'Console'), consoleBox,
      el('h3', {}, 'Samples'), samplesBox);
    lossChart = MGV.lineChart.create(charts, {label: 'Loss by training step', xLabel: 'step', yLabel: 'loss', legend: true,
      emptyText: 'The loss of every step appears here once training starts.'});
    lrChart = MGV.lineChart.create(charts, {label: 'Learning rate by step (cosine decay)', xLabel: 'step', yLabel: 'lr_t', height: 120,
      format: (v) => String(+v.toPrecision(3)), legend: true, markerName: 'this step', emptyText: ''});
    MGV.consoleView.mount(consoleBox);
    MGV.samplesView.mount(samplesBox, {onGenerate});

    const redraw = perFrame(draw);
    store.subscribe((state, keys) => {
      if (keys.some((k) => ['snapshots', 'stepBreakdown', 'sourceMap', 'lrSchedule', 'runState', 'tab', 'vocabSize'].includes(k))) redraw(state);
    });
    draw(store.state);
  }

  function phaseNames(state) {
    const loop = state.sourceMap && state.sourceMap.loop;
    return loop ? loop.phases : [];
  }

  function draw(state) {
    const snaps = state.snapshots;
    const last = snaps[snaps.length - 1];
    // phases: rebuilt when the code changes, timed from the last step
    const phases = phaseNames(state);
    if (phaseBox.dataset.names !== phases.map((p) => p.name).join('|')) {
      phaseBox.dataset.names = phases.map((p) => p.name).join('|');
      phaseBox.replaceChildren(...phases.map((p, i) => {
        // the time sits beside the button, so the button's name stays the phase's name
        return el('div', {class: 'phase', 'data-job': p.job || ''},
          el('div', {class: 'phase-head'},
            MGV.codeView.linkButton(p.name, (map) => [((map.loop || {}).phases || [])[i]?.lines]),
            el('span', {class: 'phase-ms'})),
          el('div', {class: 'phase-detail', 'aria-live': 'off'}));
      }));
      shownReport = undefined;
    }
    const times = last && last.phases ? last.phases : [];
    const slowest = times.reduce((a, b) => (b.ms > (a ? a.ms : -1) ? b : a), null);
    for (const card of phaseBox.children) {
      const name = card.querySelector('button').textContent;
      const t = times.find((p) => p.name === name);
      card.querySelector('.phase-ms').textContent = t ? `${t.ms.toFixed(1)} ms` : '';
      card.classList.toggle('is-slowest', Boolean(slowest && t && t === slowest && state.runState !== 'ready'));
    }
    drawDetails(state, phases, last);
    // speed and time left
    if (last) {
      const recent = snaps.slice(-10);
      const ms = recent.reduce((s, p) => s + p.ms, 0) / recent.length;
      const left = (last.num_steps - last.step) * ms / 1000;
      const running = state.runState === 'training' || state.runState === 'paused';
      speedLine.textContent = `${running ? 'Step' : left > 0 ? 'Stopped at step' : 'Done: step'} ${last.step} of ${last.num_steps} · ` +
        `${(1000 / ms).toFixed(1)} steps/s` + (running && left > 0 ? ` · about ${formatDuration(left)} left` : '');
    } else if (state.runState !== 'training') {
      speedLine.textContent = 'Press Train to start.';
    }
    // charts
    const losses = snaps.map((s) => [s.step, s.loss]);
    const average = losses.map(([step], i) => {
      const window = losses.slice(Math.max(0, i - AVERAGE_OVER + 1), i + 1).filter(([, y]) => Number.isFinite(y));
      return [step, window.reduce((s, [, y]) => s + y, 0) / window.length];
    });
    const xMax = last ? last.num_steps : 1;
    // A model that guesses uniformly among vocab_size tokens has loss -log(1/vocab_size).
    const guess = state.vocabSize > 1 ? Math.log(state.vocabSize) : NaN;
    lossChart.update({xMax, series: [
      {name: 'loss of each step', points: losses, color: '--series-1', width: 1},
      {name: `average of the last ${AVERAGE_OVER}`, points: average, color: '--series-2', width: 2},
    ], refs: [{name: 'random guessing', y: guess, color: '--muted',
      legend: `random guessing: −log(1/vocab_size) = ln ${state.vocabSize} = ${guess.toFixed(2)}`}]});
    const schedule = state.lrSchedule || [];
    lrChart.update({xMax: schedule.length ? schedule[schedule.length - 1][0] : xMax, yMin: 0, marker: last ? last.step : null,
      series: [{name: 'lr_t', points: schedule, color: '--series-3', width: 2,
        legend: 'lr_t, the learning rate each step uses (cosine decay to 0)'}]});
    tableToggle.hidden = !snaps.length && tableBox.hidden;   // nothing to list before the first step
    if (!tableBox.hidden) drawTable(snaps);
  }

  // Under each phase, what the latest step did in it (the step a paused run is on).
  function drawDetails(state, phases, last) {
    if (state.tab !== 'training') return;   // drawn when the tab is shown
    const report = last && state.stepBreakdown && state.stepBreakdown.step === last.step ? state.stepBreakdown : null;
    if (report === shownReport) return;
    shownReport = report;
    phaseCaption.textContent = report
      ? `Step ${report.step}, phase by phase: the numbers are microgpt.py's own variables after each phase.`
      : 'Train, and each phase shows what its step did: the document, the losses, the gradients, the update.';
    const context = {hasLoss: phases.some((p) => p.job === 'loss'), vocabSize: state.vocabSize};
    for (const card of phaseBox.children) {
      MGV.stepBreakdown.show(card.querySelector('.phase-detail'), MGV.stepBreakdown.render(card.dataset.job, report, context));
    }
  }

  function drawTable(snaps) {
    if (tableBox.hidden) return;
    const rows = snaps.map((s) => el('tr', {}, el('td', {}, String(s.step)), el('td', {}, fmt(s.loss)), el('td', {}, s.lr_t == null ? '–' : s.lr_t.toExponential(3))));
    tableBox.replaceChildren(el('table', {'aria-label': 'Loss by step'},
      el('thead', {}, el('tr', {}, el('th', {scope: 'col'}, 'step'), el('th', {scope: 'col'}, 'loss'), el('th', {scope: 'col'}, 'lr_t'))),
      el('tbody', {}, rows)));
  }

  function formatDuration(seconds) {
    if (seconds < 60) return `${Math.ceil(seconds)} s`;
    if (seconds < 3600) return `${Math.round(seconds / 60)} min`;
    return `${(seconds / 3600).toFixed(1)} h`;
  }

  return {mount};
})();
