// Saving files from the page: a JSON download through a blob URL (nothing leaves the machine).
window.MGV = window.MGV || {};
MGV.downloads = (() => {
  // Save `data` as JSON under `name` (indented for reading, or compact for big files).
  function saveJSON(name, data, {compact = false} = {}) {
    const blob = new Blob([JSON.stringify(data, null, compact ? undefined : 1) + '\n'], {type: 'application/json'});
    const url = URL.createObjectURL(blob);
    const a = MGV.util.el('a', {href: url, download: name, hidden: true});
    document.body.append(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(url), 10_000);
  }

  // A file name from free text: letters, digits and dashes only.
  const slug = (text) => String(text).normalize('NFKD').replace(/[^\w-]+/g, '-').replace(/^-+|-+$/g, '').toLowerCase().slice(0, 40) || 'data';

  return {saveJSON, slug};
})();
