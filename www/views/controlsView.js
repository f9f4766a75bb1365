// The run controls and the header's live numbers. Buttons are enabled only when they can act.
window.MGV = window.MGV || {};
MGV.controlsView = (() => {
  const {fmt} = MGV.util;
  const store = MGV.store;
  // Which buttons work in which state.
  const enabled = {
    loading:  [],
    ready:    ['train', 'reset'],
    starting: ['train', 'stop', 'reset'],   // the code before the training loop runs; it may never end
    training: ['train', 'pause', 'stop', 'reset'],
    stopping: ['train', 'reset'],
    paused:   ['resume', 'step', 'stop', 'reset', 'train'],
    error:    ['train', 'reset'],
  };

  function mount(actions) {
    const buttons = {};
    for (const name of ['train', 'pause', 'resume', 'step', 'stop', 'reset']) {
      buttons[name] = document.getElementById(`btn-${name}`);
      buttons[name].addEventListener('click', () => actions[name]());
    }
    const stepOut = document.getElementById('stat-step');
    const lossOut = document.getElementById('stat-loss');
    const speedOut = document.getElementById('stat-speed');
    const status = document.getElementById('status');
    const render = MGV.util.perFrame((state) => {
      const can = enabled[state.runState] || [];
      for (const [name, b] of Object.entries(buttons)) MGV.util.enable(b, can.includes(name));   // keeps focus
      const focused = document.activeElement;
      buttons.pause.hidden = state.runState === 'paused';
      buttons.resume.hidden = state.runState !== 'paused';
      const next = focused === buttons.pause ? buttons.resume : buttons.pause;   // the one that now acts
      if (focused && focused.hidden) (next.disabled ? buttons.train : next).focus();
      const snaps = state.snapshots;
      const last = snaps[snaps.length - 1];
      stepOut.textContent = last ? `${last.step} / ${last.num_steps}` : '–';
      lossOut.textContent = last ? fmt(last.loss) : '–';
      const recent = snaps.slice(-10);
      speedOut.textContent = recent.length ? (1000 * recent.length / recent.reduce((s, p) => s + p.ms, 0)).toFixed(1) : '–';
      status.textContent = statusText(state);
    });
    // While the code before the loop runs, the status counts the seconds, so a long (or endless)
    // start is seen as running, and Stop as the way out.
    let ticker = null;
    store.subscribe((state, keys) => {
      if (!keys.includes('runState')) return;
      clearInterval(ticker);
      startedAt = performance.now();
      if (state.runState === 'starting') ticker = setInterval(() => render(store.state), 1000);
    });
    store.subscribe((state, keys) => {
      // data-state is a contract the tests wait on, so it changes at once, not on the next frame
      if (keys.includes('runState')) document.body.dataset.state = state.runState;
      if (keys.some((k) => ['runState', 'snapshots', 'bootStage', 'error'].includes(k))) render(state);
    });
    render(store.state);
  }

  let startedAt = 0;
  const SAY_SECONDS_AFTER = 3;

  function statusText(state) {
    const seconds = Math.floor((performance.now() - startedAt) / 1000);
    switch (state.runState) {
      case 'starting': return seconds < SAY_SECONDS_AFTER ? 'Starting: running microgpt.py up to its training loop…'
        : `Still running the code before the training loop (${seconds} s). Stop ends it.`;
      case 'stopping': return 'Stopping…';
      case 'loading': return `${state.bootStage}…`;
      case 'ready': {
        // a run that ended before num_steps was stopped: say where, and nothing about time left
        const last = state.snapshots.at(-1);
        if (!last) return 'Ready. Press Train.';
        return last.step < last.num_steps ? `Stopped at step ${last.step} of ${last.num_steps}. Train starts a new run.`
          : `Finished all ${last.num_steps} steps. Change something and train again.`;
      }
      case 'training': return 'Training…';
      case 'paused': return 'Paused. Step runs one step; Resume continues.';
      case 'error': return state.error ? state.error.summary : 'Something went wrong.';
      default: return '';
    }
  }

  return {mount};
})();
