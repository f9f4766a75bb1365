// Finding one's way around the page: the skip links, and on a narrow screen (the panes stacked,
// as on a phone) the hyperparameter form folded to one line and a button from the code back to
// the link that led there.
window.MGV = window.MGV || {};
MGV.layoutView = (() => {
  const {el} = MGV.util;
  const store = MGV.store;
  const stacked = matchMedia('(max-width: 1000px)');   // the same width as style.css's stacked layout
  const SUMMARY = ['n_embd', 'n_head', 'n_layer', 'num_steps'];

  function mount() {
    const code = document.getElementById('code');
    code.tabIndex = 0;   // it scrolls on its own, so the keyboard can focus it and scroll it
    skipLinks(code);
    foldForm(document.getElementById('hp-box'));
    wayBack();
  }

  // The address's hash holds the settings (store.readHash), so the links move focus themselves.
  function skipLinks(code) {
    for (const link of document.querySelectorAll('.skip-link')) {
      link.addEventListener('click', (e) => {
        e.preventDefault();
        const target = link.hash === '#code'
          ? (code.hidden ? document.querySelector('.code-pane textarea, .code-pane button') : code)
          : document.querySelector('#tabs [aria-selected="true"]');
        if (target) target.focus();
      });
    }
  }

  // Narrow: the form is one line (the main sizes in it) until opened. A field with a problem is
  // never folded away.
  function foldForm(box) {
    const summary = box.querySelector('.hp-summary');
    const hasErrors = () => Object.keys(store.state.errors || {}).length > 0;
    const describe = () => {
      const {values} = store.checkAll(store.state.texts);
      summary.textContent = SUMMARY.filter((n) => n in values).map((n) => `${n} ${values[n]}`).join(' · ');
    };
    const fit = () => { box.open = !stacked.matches || hasErrors(); };
    stacked.addEventListener('change', fit);
    store.subscribe((state, keys) => {
      if (keys.includes('texts') || keys.includes('errors')) describe();
      if (keys.includes('errors') && hasErrors()) box.open = true;
    });
    describe();
    fit();
  }

  // Narrow: a link to the code scrolls the page down to it. While the code is in sight and what
  // was clicked (or focused) is not, a button leads back to it; moving on in the views ends that.
  function wayBack() {
    let origin = null, originSeen = true, codeSeen = false;
    let returnedTo = null;   // what the button just led back to: focusing it again there is no new link
    const label = el('span');
    const back = el('button', {type: 'button', class: 'code-back', hidden: true},
      el('span', {'aria-hidden': 'true'}, '↑ '), label);
    const show = () => { back.hidden = !stacked.matches || !origin || originSeen || !codeSeen; };
    const watchOrigin = new IntersectionObserver(([entry]) => { originSeen = entry.isIntersecting; show(); });
    new IntersectionObserver(([entry]) => { codeSeen = entry.isIntersecting; show(); })
      .observe(document.querySelector('.code-pane'));
    const forget = () => { if (origin) watchOrigin.unobserve(origin); origin = null; show(); };
    back.addEventListener('click', () => {
      const to = origin;
      forget();
      returnedTo = to;
      to.scrollIntoView({block: 'center'});
      to.focus({preventScroll: true});
    });
    document.body.append(back);
    document.querySelector('.viz-pane').addEventListener('focusin', (e) => {
      if (e.target !== origin) forget();
      if (e.target !== returnedTo) returnedTo = null;
    });
    store.subscribe((state, keys) => {
      if (!keys.includes('highlight') || !stacked.matches) return;
      const from = document.activeElement;
      if (!from || !from.closest('.viz-pane') || from === returnedTo) return;
      forget();
      origin = from;
      originSeen = true;
      const name = (from.getAttribute('aria-label') || from.textContent || from.name || '').trim();
      label.textContent = `Back to ${name.length > 28 ? name.slice(0, 27) + '…' : name || 'the views'}`;
      watchOrigin.observe(origin);
    });
    stacked.addEventListener('change', show);
  }

  return {mount};
})();
