// The share bar: which data the next run reads, a Copy link button, and what a link that was
// opened had that could not be used (one message per refused value). The link itself (the URL
// hash) is written and read by the store.
window.MGV = window.MGV || {};
MGV.shareView = (() => {
  const {el} = MGV.util;
  const store = MGV.store;
  let dataName, copyButton, fallback, status, notesBox;

  function mount(bar) {
    dataName = el('span', {class: 'share-data'});
    copyButton = el('button', {type: 'button', onclick: copy}, 'Copy link');
    fallback = el('input', {type: 'text', readonly: true, class: 'share-url', 'aria-label': 'Link to these settings', hidden: true});
    status = el('span', {class: 'share-status', role: 'status'});
    notesBox = el('div', {class: 'link-notes', hidden: true});
    bar.append(el('div', {class: 'row'},
      el('span', {class: 'muted'}, 'Data:'), dataName,
      el('button', {type: 'button', class: 'small', onclick: () => store.set({tab: 'data'})}, 'Change'),
      el('span', {class: 'share-gap'}), copyButton, fallback, status), notesBox);
    store.subscribe((state, keys) => {
      if (keys.some((k) => ['dataId', 'custom'].includes(k))) showData();
      if (keys.includes('linkNotes')) showNotes(state.linkNotes);
      if (keys.some((k) => ['texts', 'tab', 'dataId'].includes(k))) { status.textContent = ''; fallback.hidden = true; }
    });
    showData();
    showNotes(store.state.linkNotes);
  }

  function showData() {
    const data = store.data();
    dataName.textContent = data.name;
  }

  function link() {
    return location.href.replace(/#.*$/, '') + store.hashFor();
  }

  // The clipboard if the browser allows it; otherwise the link, selected, ready to copy by hand.
  function copy() {
    const url = link();
    store.writeHash();
    const manual = () => {
      fallback.value = url;
      fallback.hidden = false;
      fallback.focus();
      fallback.select();
      status.textContent = 'Copy the selected link (Ctrl+C or ⌘C).';
    };
    if (!navigator.clipboard || !window.isSecureContext) return manual();
    navigator.clipboard.writeText(url).then(() => {
      status.textContent = store.state.dataId === 'custom'
        ? 'Link copied. It holds the settings but not your own text, which stays in this page.'
        : 'Link copied: it opens these settings, this data set and this tab.';
    }, manual);
  }

  function showNotes(notes) {
    notesBox.hidden = !notes.length;
    notesBox.replaceChildren(
      el('p', {role: 'alert'}, 'The link you opened had values that were not used; the rest were.'),
      el('ul', {'aria-label': 'Link problems'}, notes.map((text) => el('li', {}, text))),
      el('button', {type: 'button', class: 'small', onclick: () => store.set({linkNotes: []})}, 'Dismiss'));
  }

  return {mount, link};
})();
