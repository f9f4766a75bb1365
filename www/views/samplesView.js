// Samples: names invented by the current model, and for one of them the probability the model
// gave each possible next character at each position, so a learner sees why it picked what it did.
window.MGV = window.MGV || {};
MGV.samplesView = (() => {
  const {el} = MGV.util;
  const store = MGV.store;
  let list, detail, slider, sliderValue, button;

  function mount(container, {onGenerate}) {
    button = el('button', {type: 'button'}, 'Generate');
    slider = el('input', {type: 'range', id: 'sample-temperature', min: '0.1', max: '2', step: '0.1', value: '0.5'});
    sliderValue = el('output', {for: 'sample-temperature'}, '0.5');
    slider.addEventListener('input', () => { sliderValue.textContent = slider.value; });
    button.addEventListener('click', () => onGenerate({temperature: Number(slider.value), count: 10}));
    list = el('ol', {class: 'sample-list', 'aria-label': 'Samples'});
    detail = el('div', {class: 'sample-detail'});
    container.append(
      el('div', {class: 'row'}, button, el('label', {for: 'sample-temperature'}, 'sampling temperature'), slider, sliderValue),
      list, detail);
    store.subscribe((state, keys) => {
      if (keys.includes('samples')) render(state.samples);
      if (keys.includes('runState')) button.disabled = !['ready', 'paused'].includes(state.runState) || !state.hasModel;
      if (keys.includes('hasModel')) button.disabled = !state.hasModel;
    });
    button.disabled = true;
    render(null);
  }

  function render(samples) {
    if (!samples) {
      list.replaceChildren();
      detail.replaceChildren(el('p', {class: 'muted'}, 'Train (or Stop a run) and press Generate to sample from the model as it is now.'));
      return;
    }
    list.replaceChildren(...samples.items.map((item, i) => el('li', {},
      el('button', {type: 'button', class: 'sample', 'aria-pressed': 'false', onclick: (e) => choose(samples, i, e.currentTarget)},
        item.text === '' ? '(empty)' : item.text))));
    choose(samples, 0, list.querySelector('button'));
  }

  function choose(samples, i, button) {
    for (const b of list.querySelectorAll('button')) b.setAttribute('aria-pressed', String(b === button));
    const item = samples.items[i];
    detail.replaceChildren(
      el('p', {class: 'muted'}, `At temperature ${samples.temperature}: each row is one position; the bars are the probabilities of the likeliest next characters, the chosen one marked.`),
      ...item.steps.map((step) => el('div', {class: 'prob-row'},
        el('span', {class: 'prob-context'}, step.context || '⟨BOS⟩'),
        el('span', {class: 'prob-bars'}, step.top.map(([ch, p]) => el('span', {
          class: 'prob-bar' + (ch === step.chosen ? ' is-chosen' : ''), title: `${label(ch)}: ${(p * 100).toFixed(1)}%`,
        }, el('span', {class: 'prob-fill', style: null}), el('span', {class: 'prob-label'}, `${label(ch)} ${(p * 100).toFixed(0)}%`)))))));
    // bar widths via CSSOM (allowed by the page's style policy, unlike style attributes)
    detail.querySelectorAll('.prob-row').forEach((row, r) => {
      row.querySelectorAll('.prob-fill').forEach((fill, k) => { fill.style.width = `${item.steps[r].top[k][1] * 100}%`; });
    });
  }

  const label = (ch) => ch === null ? 'BOS' : JSON.stringify(ch).slice(1, -1) || ' ';

  return {mount};
})();
