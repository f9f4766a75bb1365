// ARIA tabs for the visualization pane: click or arrow keys to switch; the choice persists.
window.MGV = window.MGV || {};
MGV.tabsView = (() => {
  const {el} = MGV.util;
  const store = MGV.store;

  // tabs: [{id, label, panel (element)}]
  function mount(tablist, panels, tabs) {
    const buttons = tabs.map((tab) => el('button', {
      type: 'button', role: 'tab', id: `tab-${tab.id}`, 'aria-controls': `panel-${tab.id}`,
      onclick: () => store.set({tab: tab.id}),
    }, tab.label));
    tablist.append(...buttons);
    for (const tab of tabs) {
      tab.panel.id = `panel-${tab.id}`;
      tab.panel.setAttribute('role', 'tabpanel');
      tab.panel.setAttribute('aria-labelledby', `tab-${tab.id}`);
      tab.panel.classList.add('panel');
      panels.append(tab.panel);
    }
    tablist.addEventListener('keydown', (e) => {
      const i = tabs.findIndex((t) => t.id === store.state.tab);
      const next = {ArrowRight: i + 1, ArrowLeft: i - 1, Home: 0, End: tabs.length - 1}[e.key];
      if (next === undefined) return;
      e.preventDefault();
      const tab = tabs[(next + tabs.length) % tabs.length];
      store.set({tab: tab.id});
      document.getElementById(`tab-${tab.id}`).focus();
    });
    const show = (current) => {
      tabs.forEach((tab, i) => {
        const on = tab.id === current;
        buttons[i].setAttribute('aria-selected', String(on));
        buttons[i].tabIndex = on ? 0 : -1;
        tab.panel.hidden = !on;
      });
    };
    store.subscribe((state, keys) => { if (keys.includes('tab')) show(state.tab); });
    show(store.state.tab);
  }

  return {mount};
})();
