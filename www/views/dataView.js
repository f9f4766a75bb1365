// The Data tab: what microgpt.py learns from. A bundled data set (with where it comes from) or
// the learner's own text, pasted or from a file, checked against the limits before any run.
// The chosen text becomes input.txt at the next Train; every text is shown as text.
window.MGV = window.MGV || {};
MGV.dataView = (() => {
  const {el} = MGV.util;
  const store = MGV.store;
  const PREVIEW = 12;
  let radios, area, fileInput, messages, notes, summary, preview, customRadio;
  let refused = [];   // why the last text offered was not used

  function blockSize() {
    const r = store.check('block_size', store.state.texts.block_size);
    return r.error ? (store.state.defaults.block_size || 8) : r.value;
  }

  function mount(panel) {
    const sets = store.dataSets();
    radios = el('fieldset', {class: 'data-sets'}, el('legend', {}, 'Data set'));
    for (const d of sets) {
      const id = `data-${d.id}`;
      const lines = d.text.split('\n').filter((l) => l.trim()).length;
      radios.append(el('div', {class: 'data-set'},
        el('input', {type: 'radio', name: 'data', id, value: d.id, onchange: () => { refused = []; store.set({dataId: d.id}); }}),
        el('label', {for: id}, el('strong', {}, d.name), ` · ${lines.toLocaleString('en-US')} lines`),
        el('p', {class: 'data-provenance'}, `${d.provenance}. License: ${d.license}.`)));
    }
    customRadio = el('input', {type: 'radio', name: 'data', id: 'data-custom', value: 'custom', disabled: true,
      onchange: () => { refused = []; store.set({dataId: 'custom'}); }});
    radios.append(el('div', {class: 'data-set'}, customRadio,
      el('label', {for: 'data-custom'}, el('strong', {}, 'Your own text'), el('span', {class: 'data-custom-name'})),
      el('p', {class: 'data-provenance'}, 'Paste it or choose a file below; it stays in this page (links leave it out).')));

    area = el('textarea', {id: 'data-text', rows: '6', spellcheck: 'false', autocomplete: 'off',
      placeholder: 'One document per line, for example:\nada\nbjarne\ncarla'});
    const use = el('button', {type: 'button', class: 'primary', onclick: () => useText(area.value, 'Pasted text')}, 'Use this text');
    fileInput = el('input', {type: 'file', id: 'data-file', accept: '.txt,.csv,.tsv,text/plain', onchange: () => readFile(fileInput.files[0])});
    messages = el('div', {class: 'data-messages'});
    notes = el('div', {class: 'data-notes'});
    summary = el('p', {class: 'data-summary', role: 'status'});
    preview = el('ol', {class: 'data-preview', 'aria-label': 'First lines'});

    panel.append(
      el('h3', {}, 'Data'),
      el('p', {class: 'data-intro'}, 'microgpt.py learns from input.txt: one document per line. Its vocabulary is every ' +
        'character the documents use, plus BOS. Pick a data set or bring your own; the next Train uses it.'),
      radios,
      el('h3', {}, 'What the next run reads'), summary, preview, notes,
      el('h3', {}, 'Your own text'),
      el('label', {for: 'data-text', class: 'data-label'}, 'Your text (one document per line)'), area,
      el('div', {class: 'row'}, use, el('label', {for: 'data-file', class: 'data-label'}, 'or choose a file'), fileInput),
      el('p', {class: 'data-limits muted'}, `Limits: ${store.dataLimits.bytes / 1e6} MB, ${store.dataLimits.docs.toLocaleString('en-US')} lines, ` +
        `${store.dataLimits.lineLength} characters a line, ${store.dataLimits.vocab} different characters; no control or invisible characters.`),
      messages);

    let shownBlock = blockSize();
    store.subscribe((state, keys) => {
      // a new block_size changes the note on long lines; other settings change nothing here
      const block = keys.includes('texts') ? blockSize() : shownBlock;
      if (block !== shownBlock || keys.includes('dataId') || keys.includes('custom')) { shownBlock = block; render(state); }
    });
    render(store.state);
  }

  function readFile(file) {
    if (!file) return;
    if (file.size > store.dataLimits.bytes) {
      return refuse([`${file.name} is ${(file.size / 1e6).toFixed(1)} MB; the limit is ${store.dataLimits.bytes / 1e6} MB.`]);
    }
    file.arrayBuffer().then((buffer) => {
      let text;
      try { text = new TextDecoder('utf-8', {fatal: true}).decode(buffer); } catch {
        return refuse([`${file.name} is not UTF-8 text. Save it as plain text (UTF-8) and choose it again.`]);
      }
      area.value = text;
      useText(text, file.name);
    }, () => refuse([`${file.name} could not be read.`]));
  }

  function useText(text, name) {
    const check = store.checkData(text, blockSize());
    if (check.errors.length) return refuse(check.errors);
    refused = [];
    store.set({custom: {text, name}, dataId: 'custom'});
  }

  // The text offered was not used: say why (nothing else changes).
  function refuse(errors) {
    refused = errors;
    render(store.state);
  }

  function render(state) {
    const data = store.data();
    for (const input of radios.querySelectorAll('input[type=radio]')) input.checked = input.value === data.id;
    customRadio.disabled = !state.custom;
    radios.querySelector('.data-custom-name').textContent = state.custom ? ` · ${state.custom.name}` : '';
    const check = store.checkData(data.text, blockSize());
    const n = check.docs.length;
    summary.textContent = `${data.name}: ${n.toLocaleString('en-US')} documents, the longest ${check.longest} characters; ` +
      `${check.chars.length} different characters, each a token (microgpt.py adds BOS): ` +
      check.chars.map((c) => (c === ' ' ? '␣' : c)).join('');
    preview.replaceChildren(...check.docs.slice(0, PREVIEW).map((doc) => el('li', {}, doc)));
    messages.replaceChildren(...refused.map((text) => el('p', {class: 'data-error', role: 'alert'}, text)));
    notes.replaceChildren(...check.notes.map((text) => el('p', {class: 'data-note'}, text)));
  }

  return {mount};
})();
