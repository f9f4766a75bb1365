// Save and load the model: Save model downloads the current model (settings, vocabulary and
// weights, from the worker); Load model reads a saved file and makes it the current model, to
// sample and inspect without training. Messages say what happened, or what is wrong with a file.
window.MGV = window.MGV || {};
MGV.modelFileView = (() => {
  const {el} = MGV.util;
  const store = MGV.store;
  const MAX_BYTES = 20_000_000;
  let about, save, load, loadLabel, message;

  function mount(panel, {onSave, onLoad}) {
    about = el('p', {class: 'model-about'});
    save = el('button', {type: 'button', onclick: onSave}, 'Save model');
    const file = load = el('input', {type: 'file', id: 'model-file', accept: '.json,application/json', onchange: () => {
      const f = file.files[0];
      file.value = '';
      if (!f) return;
      if (f.size > MAX_BYTES) return store.set({modelMessage: {kind: 'error', text: `${f.name} is ${(f.size / 1e6).toFixed(1)} MB: too big to be a model saved here.`}});
      f.text().then((text) => onLoad(text, f.name), () => store.set({modelMessage: {kind: 'error', text: `${f.name} could not be read.`}}));
    }});
    message = el('div', {class: 'model-message'});
    panel.append(el('h3', {}, 'The model'), about,
      el('div', {class: 'row'}, save, loadLabel = el('label', {for: 'model-file', class: 'model-load'}, 'Load model'), file),
      message);
    store.subscribe((state, keys) => {
      // The model is gone (Reset, a new worker) and nothing new was said: its "Loaded …" lines go too.
      if (keys.includes('hasModel') && !state.hasModel && !keys.includes('modelMessage') && (state.loaded || state.modelMessage)) {
        store.set({loaded: null, modelMessage: null});
        return;
      }
      if (keys.some((k) => ['hasModel', 'runState', 'loaded', 'snapshots', 'modelMessage'].includes(k))) render(state);
    });
    render(store.state);
  }

  function render(state) {
    const last = state.snapshots.at(-1);
    const busy = !['ready', 'paused', 'error'].includes(state.runState);
    save.disabled = !state.hasModel || busy;
    // Python reads the file: nothing to hand it until it has started
    load.disabled = state.runState === 'loading';
    loadLabel.classList.toggle('is-disabled', load.disabled);
    about.textContent = !state.hasModel ? 'No model yet: train one, or load a saved one.'
      : state.loaded ? `Loaded from ${state.loaded.fileName}: trained ${state.loaded.steps} steps${state.loaded.data ? ` on ${state.loaded.data}` : ''}. ` +
        'Generate samples in Training, or inspect it in the other tabs; Train starts a new run.'
      : `The current run's model, after ${last ? last.step : 0} steps. Save model downloads its settings, vocabulary and weights as JSON.`;
    const m = state.modelMessage;
    message.replaceChildren(...(m ? [el('p', {class: `model-${m.kind}`, role: m.kind === 'error' ? 'alert' : 'status'}, m.text)] : []));
  }

  return {mount};
})();
