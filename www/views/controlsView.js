// The run controls and the header's live numbers. Buttons are enabled only when they can act.
window.MGV = window.MGV || {};
MGV.controlsView = (() => {
  const {fmt} = MGV.util;
  const store = MGV.store;
  // Which buttons work in which state.
  const enabled = {
    loading:  [],
    ready:    ['train', 'reset'],
    training: ['train', 'pause', 'stop', 'reset'],
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
    store.subscribe((state, keys) => {
      // data-state is a contract the tests wait on, so it changes at once, not on the next frame
      if (keys.includes('runState')) document.body.dataset.state = state.runState;
      if (keys.some((k) => ['runState', 'snapshots', 'bootStage', 'error'].includes(k))) render(state);
    });
    render(store.state);
  }

  function statusText(state) {
    switch (state.runState) {
      case 'loading': return `${state.bootStage}…`;
      case 'ready': return state.snapshots.length ? 'Finished. Change something and train again.' : 'Ready. Press Train.';
      case 'training': return 'Training…';
      case 'paused': return 'Paused. Step runs one step; Resume continues.';
      case 'error': return state.error ? state.error.summary : 'Something went wrong.';
      default: return '';
    }
  }

  return {mount};
})();
