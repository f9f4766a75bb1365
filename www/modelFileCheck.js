// A model file, checked on the page before any of it reaches Python: parsed here, its nesting
// and its vocabulary bounded, so a crafted file (thousands of nested brackets, a million-character
// vocabulary) gets a message instead of exhausting Python's stack or memory. Python then checks
// what a model needs (py/model_file.py); it receives the text of what was checked here.
window.MGV = window.MGV || {};
MGV.modelFileCheck = (() => {
  // {config, weights: {name: [[number]]}}: four levels of nesting; a little room beyond.
  const MAX_DEPTH = 6;
  const MAX_MATRICES = 100;

  // The deepest nesting of arrays and objects, counted without recursion, stopping past `limit`.
  function depth(value, limit) {
    let deepest = 0;
    const stack = [[value, 0]];
    while (stack.length) {
      const [item, level] = stack.pop();
      if (item === null || typeof item !== 'object') continue;
      if (level + 1 > limit) return level + 1;
      deepest = Math.max(deepest, level + 1);
      for (const child of Object.values(item)) if (child !== null && typeof child === 'object') stack.push([child, level + 1]);
    }
    return deepest;
  }

  // {model, text} ready for the worker, or {error} saying what is wrong, in a learner's words.
  function read(text, fileName) {
    let model;
    try { model = JSON.parse(text); } catch {
      return {error: `${fileName} is not a saved model: it is not JSON (it may be damaged).`};
    }
    if (!model || typeof model !== 'object' || Array.isArray(model) || !model.config || typeof model.config !== 'object') {
      return {error: `${fileName} is not a microgpt-viz model file (Save model makes one).`};
    }
    const damaged = `${fileName} is damaged: `;
    if (depth(model, MAX_DEPTH) > MAX_DEPTH) return {error: damaged + `it is nested deeper (over ${MAX_DEPTH} levels) than a model file is.`};
    const {uchars, weights} = model;
    const vocabLimit = MGV.store.dataLimits.vocab;
    if (!Array.isArray(uchars) || !uchars.every((c) => typeof c === 'string' && [...c].length === 1)) {
      return {error: damaged + 'its vocabulary is not a list of characters.'};
    }
    if (uchars.length > vocabLimit) {
      return {error: damaged + `its vocabulary has ${uchars.length.toLocaleString('en-US')} characters; data here has at most ${vocabLimit}.`};
    }
    if (!weights || typeof weights !== 'object' || Array.isArray(weights) || Object.keys(weights).length > MAX_MATRICES) {
      return {error: damaged + 'its weights are not a set of matrices.'};
    }
    return {model, text: JSON.stringify(model)};
  }

  return {read, depth};
})();
