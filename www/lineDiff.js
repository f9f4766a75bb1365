// A small line diff: which lines of an edited text differ from the original, robust to lines
// inserted or deleted (longest common subsequence of lines), and a unified-diff-like text of it.
window.MGV = window.MGV || {};
MGV.lineDiff = (() => {
  const MAX_CELLS = 4e6;   // past this the middle is called all changed (no freeze on a huge paste)

  // [{op: ' ' | '-' | '+', text, a, b}] where a, b are 1-based line numbers in before / after.
  function diff(before, after) {
    let start = 0;
    while (start < before.length && start < after.length && before[start] === after[start]) start++;
    let endA = before.length, endB = after.length;
    while (endA > start && endB > start && before[endA - 1] === after[endB - 1]) { endA--; endB--; }
    const ops = [];
    for (let i = 0; i < start; i++) ops.push({op: ' ', text: before[i], a: i + 1, b: i + 1});
    const n = endA - start, m = endB - start;
    if (n * m > MAX_CELLS) {
      for (let i = start; i < endA; i++) ops.push({op: '-', text: before[i], a: i + 1});
      for (let j = start; j < endB; j++) ops.push({op: '+', text: after[j], b: j + 1});
    } else {
      // lcs[i][j]: common lines of before[start+i..] and after[start+j..]
      const lcs = Array.from({length: n + 1}, () => new Uint32Array(m + 1));
      for (let i = n - 1; i >= 0; i--) {
        for (let j = m - 1; j >= 0; j--) {
          lcs[i][j] = before[start + i] === after[start + j] ? lcs[i + 1][j + 1] + 1 : Math.max(lcs[i + 1][j], lcs[i][j + 1]);
        }
      }
      let i = 0, j = 0;
      while (i < n || j < m) {
        if (i < n && j < m && before[start + i] === after[start + j]) {
          ops.push({op: ' ', text: before[start + i], a: start + i + 1, b: start + j + 1}); i++; j++;
        } else if (i < n && (j >= m || lcs[i + 1][j] >= lcs[i][j + 1])) {
          ops.push({op: '-', text: before[start + i], a: start + i + 1}); i++;   // removed lines first
        } else {
          ops.push({op: '+', text: after[start + j], b: start + j + 1}); j++;
        }
      }
    }
    for (let k = 0; k < before.length - endA; k++) ops.push({op: ' ', text: before[endA + k], a: endA + k + 1, b: endB + k + 1});
    return ops;
  }

  // The line numbers (1-based) of `after` that are new or changed.
  function changed(beforeText, afterText) {
    const set = new Set();
    for (const o of diff(beforeText.split('\n'), afterText.split('\n'))) if (o.op === '+') set.add(o.b);
    return set;
  }

  // Hunks with `context` unchanged lines around each change, as lines of text.
  function unified(beforeText, afterText, context = 3) {
    const ops = diff(beforeText.split('\n'), afterText.split('\n'));
    const keep = ops.map(() => false);
    ops.forEach((o, k) => {
      if (o.op === ' ') return;
      for (let d = Math.max(0, k - context); d <= Math.min(ops.length - 1, k + context); d++) keep[d] = true;
    });
    const out = [];
    let k = 0;
    while (k < ops.length) {
      if (!keep[k]) { k++; continue; }
      const hunk = [];
      while (k < ops.length && keep[k]) hunk.push(ops[k++]);
      const a = hunk.find((o) => o.a) || {}, b = hunk.find((o) => o.b) || {};
      const countA = hunk.filter((o) => o.op !== '+').length, countB = hunk.filter((o) => o.op !== '-').length;
      out.push(`@@ -${a.a || 0},${countA} +${b.b || 0},${countB} @@`);
      for (const o of hunk) out.push(o.op + o.text);
    }
    return out;
  }

  return {diff, changed, unified};
})();
