// The hyperparameter editor: one labelled input per microgpt.py name. Valid values rewrite
// their line of the source (through the worker); invalid ones get a message and go nowhere.
window.MGV = window.MGV || {};
MGV.hyperparamsView = (() => {
  const {el} = MGV.util;
  const store = MGV.store;
  const inputs = {}, messages = {};
  let estimate;

  function mount(form, {onValid}) {
    for (const name of store.hyperNames) {
      const f = store.fields[name];
      const input = el('input', {
        id: `hp-${name}`, name, type: 'text', inputmode: f.type === 'int' ? 'numeric' : 'decimal',
        autocomplete: 'off', spellcheck: 'false', 'aria-describedby': `hp-${name}-help`, title: f.help,
      });
      input.addEventListener('input', () => {
        store.set({texts: {...store.state.texts, [name]: input.value}});
        validate();
        onValid();
      });
      // Focusing a field shows where microgpt.py sets it.
      input.addEventListener('focus', () => {
        const place = (store.state.sourceMap || {}).hyperparams || {};
        if (place[name]) MGV.codeView.show(name, [[place[name].line, place[name].line]]);
      });
      inputs[name] = input;
      messages[name] = el('span', {class: 'field-error', id: `hp-${name}-error`});
      form.append(el('div', {class: 'field'},
        el('label', {for: input.id}, name), input,
        el('span', {class: 'field-help', id: `hp-${name}-help`}, f.help),
        messages[name]));
    }
    estimate = el('p', {class: 'estimate', 'aria-live': 'polite'});
    form.append(estimate);
    form.addEventListener('submit', (e) => e.preventDefault());
    // The estimate follows every change of the values, typed or not (an edit of the code, Reset
    // code, a link, a loaded model), and this machine's measured speed.
    store.subscribe((state, keys) => {
      if (keys.includes('texts')) sync(state.texts);
      if (keys.some((k) => ['texts', 'msPerUnit', 'vocabSize'].includes(k))) showEstimate(store.checkAll(state.texts));
    });
    sync(store.state.texts);
    validate();
  }

  function sync(texts) {
    for (const name of store.hyperNames) {
      if (document.activeElement !== inputs[name] && inputs[name].value !== (texts[name] ?? '')) inputs[name].value = texts[name] ?? '';
    }
  }

  // Check every field, show one message per bad field, and return the result.
  function validate() {
    const result = store.checkAll(store.state.texts);
    for (const name of store.hyperNames) {
      const message = result.errors[name] || '';
      const box = messages[name];
      if (box.textContent !== message) {
        box.textContent = message;
        if (message) box.setAttribute('role', 'alert'); else box.removeAttribute('role');
      }
      inputs[name].setAttribute('aria-invalid', message ? 'true' : 'false');
      inputs[name].setAttribute('aria-describedby', message ? `hp-${name}-error hp-${name}-help` : `hp-${name}-help`);
    }
    showEstimate(result);
    store.set({errors: result.errors});
    return result;
  }

  // A rough size and speed estimate (the real count is what microgpt.py prints as num params).
  function showEstimate({values, errors}) {
    if (Object.keys(errors).length) { estimate.textContent = 'Fix the marked fields to train.'; return; }
    const vocab = (store.state.vocabSize || 27);
    const {n_embd: d, n_layer: L, block_size: T, num_steps: steps} = values;
    const params = 2 * vocab * d + T * d + L * 12 * d * d;
    const positions = Math.min(T, 7);
    const msPerStep = store.state.msPerUnit * params * positions * (1 + T / 64);
    const minutes = msPerStep * steps / 60000;
    const long = minutes > 10;
    estimate.textContent = `≈ ${params.toLocaleString('en-US')} parameters, ≈ ${Math.round(msPerStep)} ms per step, ` +
      `≈ ${minutes < 1 ? Math.max(1, Math.round(minutes * 60)) + ' s' : Math.round(minutes) + ' min'} for ${steps} steps` +
      (long ? '. That is a long run: fewer steps or a smaller model finish sooner.' : '.');
    estimate.classList.toggle('is-warning', long);
  }

  return {mount, validate};
})();
