// The code pane's three modes: Read (highlighted code, linked from the views), Step through
// (MGV.stepView beside the code) and Edit (MGV.editView in place of it).
window.MGV = window.MGV || {};
MGV.codePaneView = (() => {
  const {el} = MGV.util;
  const MODES = [['read', 'Read'], ['step', 'Step through'], ['edit', 'Edit']];
  let parts, buttons = {}, mode = 'read';

  function mount(group, {code, step, edit}) {
    parts = {code, step, edit};
    for (const [id, label] of MODES) {
      buttons[id] = el('button', {type: 'button', class: 'small', 'aria-pressed': 'false', onclick: () => set(id)}, label);
      group.append(buttons[id]);
    }
    set('read');
  }

  function set(next) {
    if (mode === 'edit' && next !== 'edit') MGV.editView.settle();
    if (mode === 'step' && next !== 'step') MGV.stepView.leave();
    mode = next;
    for (const [id] of MODES) buttons[id].setAttribute('aria-pressed', String(id === mode));
    parts.code.hidden = mode === 'edit';
    parts.edit.hidden = mode !== 'edit';
    parts.step.hidden = mode !== 'step';
    if (mode === 'step') MGV.stepView.enter();
    if (mode === 'edit') MGV.editView.focus();
  }

  return {mount, set, get mode() { return mode; }};
})();
