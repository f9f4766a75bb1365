// A small canvas line chart with axes, labels and a hover readout. Used for the loss (every
// step and its moving average) and for the learning-rate schedule. Draws at most once a frame.
// A legend under the canvas names each line (and each reference line, like "random guessing");
// with `emptyText`, a chart with no points yet shows that sentence instead of empty axes.
window.MGV = window.MGV || {};
MGV.lineChart = (() => {
  const {el, perFrame} = MGV.util;
  const PAD = {left: 62, right: 12, top: 10, bottom: 28};

  function niceTicks(lo, hi, count) {
    if (!(hi > lo)) { hi = lo + 1; }
    const raw = (hi - lo) / count;
    const mag = 10 ** Math.floor(Math.log10(raw));
    const step = [1, 2, 5, 10].map((m) => m * mag).find((s) => s >= raw);
    const ticks = [];
    for (let t = Math.ceil(lo / step) * step; t <= hi + step * 1e-9; t += step) ticks.push(+t.toPrecision(12));
    return ticks;
  }

  // series: [{name, points: [[x, y], ...], color: css var name, width, legend: its words in the legend (name if none)}]
  // refs: [{name, y, color}]: horizontal reference lines, dashed and labelled on the chart
  function create(container, {label, xLabel, yLabel, height = 180, format = (v) => v.toFixed(4), tickFormat = (v) => String(+v.toPrecision(3)),
    legend: withLegend = false, markerName = null, emptyText = null}) {
    const canvas = el('canvas', {role: 'img', 'aria-label': label, height});
    const readout = el('div', {class: 'chart-readout', 'aria-hidden': 'true'});
    const legend = withLegend ? el('ul', {class: 'chart-legend', 'aria-label': `Legend: ${label}`}) : null;
    const empty = emptyText != null ? el('p', {class: 'chart-empty muted', hidden: true}, emptyText) : null;
    const wrap = el('div', {class: 'chart'}, canvas, readout);
    container.append(...[empty, wrap, legend].filter(Boolean));
    let data = {series: [], refs: [], xMax: 1, marker: null};
    let legendKey = null;
    let hoverX = null;

    const draw = perFrame(() => paint());
    new ResizeObserver(draw).observe(wrap);
    canvas.addEventListener('mousemove', (e) => { hoverX = e.offsetX; draw(); });
    canvas.addEventListener('mouseleave', () => { hoverX = null; draw(); });

    function scales(w, h) {
      let yLo = Infinity, yHi = -Infinity;
      for (const s of data.series) for (const [, y] of s.points) { if (Number.isFinite(y)) { yLo = Math.min(yLo, y); yHi = Math.max(yHi, y); } }
      if (!Number.isFinite(yLo)) { yLo = 0; yHi = 1; }
      for (const r of data.refs || []) { if (Number.isFinite(r.y)) { yLo = Math.min(yLo, r.y); yHi = Math.max(yHi, r.y); } }
      if (data.yMin !== undefined) yLo = Math.min(yLo, data.yMin);
      const padY = (yHi - yLo) * 0.05 || 0.5;
      yLo -= padY; yHi += padY;
      const xLo = 1, xHi = Math.max(2, data.xMax);
      const x = (v) => PAD.left + (v - xLo) / (xHi - xLo) * (w - PAD.left - PAD.right);
      const y = (v) => PAD.top + (1 - (v - yLo) / (yHi - yLo)) * (h - PAD.top - PAD.bottom);
      const xInv = (px) => xLo + (px - PAD.left) / (w - PAD.left - PAD.right) * (xHi - xLo);
      return {x, y, xInv, xLo, xHi, yLo, yHi};
    }

    function paint() {
      const blank = Boolean(empty) && !data.series.some((s) => s.points.length);
      if (empty) { empty.hidden = !blank; wrap.hidden = blank; if (legend) legend.hidden = blank; }
      if (legend) drawLegend();
      if (blank) return;
      const dpr = window.devicePixelRatio || 1;
      const w = wrap.clientWidth, h = height;
      if (!w) return;
      canvas.width = Math.round(w * dpr); canvas.height = Math.round(h * dpr);
      canvas.style.width = w + 'px'; canvas.style.height = h + 'px';
      const ctx = canvas.getContext('2d');
      ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
      const css = getComputedStyle(wrap);
      const color = (name) => css.getPropertyValue(name).trim() || '#888';
      const sc = scales(w, h);
      ctx.font = '11px system-ui, sans-serif';
      ctx.fillStyle = color('--muted');
      ctx.strokeStyle = color('--grid');
      ctx.lineWidth = 1;
      // axes and ticks
      ctx.textAlign = 'right'; ctx.textBaseline = 'middle';
      for (const t of niceTicks(sc.yLo, sc.yHi, 4)) {
        const py = Math.round(sc.y(t)) + 0.5;
        ctx.beginPath(); ctx.moveTo(PAD.left, py); ctx.lineTo(w - PAD.right, py); ctx.stroke();
        ctx.fillText(tickFormat(t), PAD.left - 6, py);
      }
      ctx.textAlign = 'center'; ctx.textBaseline = 'top';
      for (const t of niceTicks(sc.xLo, sc.xHi, 5)) {
        if (t < 1 || !Number.isInteger(t)) continue;
        ctx.fillText(String(t), sc.x(t), h - PAD.bottom + 4);
      }
      ctx.fillText(xLabel, (PAD.left + w - PAD.right) / 2, h - 13);
      ctx.save(); ctx.translate(11, (PAD.top + h - PAD.bottom) / 2); ctx.rotate(-Math.PI / 2);
      ctx.textBaseline = 'middle'; ctx.fillText(yLabel, 0, 0); ctx.restore();
      // series
      for (const s of data.series) {
        ctx.strokeStyle = color(s.color); ctx.lineWidth = s.width || 1.5;
        ctx.beginPath();
        let started = false;
        for (const [px, py] of s.points) {
          if (!Number.isFinite(py)) { started = false; continue; }
          if (started) ctx.lineTo(sc.x(px), sc.y(py)); else { ctx.moveTo(sc.x(px), sc.y(py)); started = true; }
        }
        ctx.stroke();
      }
      // reference lines, labelled at their right end
      for (const r of data.refs || []) {
        if (!Number.isFinite(r.y)) continue;
        const py = Math.round(sc.y(r.y)) + 0.5;
        ctx.strokeStyle = color(r.color); ctx.lineWidth = 1.5; ctx.setLineDash([6, 4]);
        ctx.beginPath(); ctx.moveTo(PAD.left, py); ctx.lineTo(w - PAD.right, py); ctx.stroke(); ctx.setLineDash([]);
        ctx.fillStyle = color(r.color); ctx.textAlign = 'right'; ctx.textBaseline = 'bottom';
        ctx.fillText(r.name, w - PAD.right - 4, py - 2);
      }
      // the current step
      if (data.marker) {
        const mx = sc.x(data.marker);
        ctx.strokeStyle = color('--accent'); ctx.setLineDash([3, 3]);
        ctx.beginPath(); ctx.moveTo(mx, PAD.top); ctx.lineTo(mx, h - PAD.bottom); ctx.stroke(); ctx.setLineDash([]);
      }
      // hover: the nearest step's values
      readout.textContent = '';
      if (hoverX !== null && data.series.length && data.series[0].points.length) {
        const step = Math.round(sc.xInv(hoverX));
        const parts = data.series.map((s) => {
          const p = s.points.find(([px]) => px === step);
          return p ? `${s.name} ${format(p[1])}` : null;
        }).filter(Boolean);
        if (parts.length) {
          readout.textContent = `step ${step}: ${parts.join(', ')}`;
          ctx.strokeStyle = color('--muted');
          ctx.beginPath(); ctx.moveTo(sc.x(step), PAD.top); ctx.lineTo(sc.x(step), h - PAD.bottom); ctx.stroke();
        }
      }
    }

    // One item per line, with its colour and dash as a swatch; rebuilt only when the names change.
    function drawLegend() {
      const items = data.series.map((s) => ({name: s.legend || s.name, color: s.color}))
        .concat((data.refs || []).filter((r) => Number.isFinite(r.y)).map((r) => ({name: r.legend || r.name, color: r.color, dashed: true})))
        .concat(markerName && data.marker ? [{name: markerName, color: '--accent', dashed: true}] : []);
      const key = JSON.stringify(items);
      if (key === legendKey) return;
      legendKey = key;
      legend.replaceChildren(...items.map((item) => {
        const swatch = el('span', {class: 'chart-swatch' + (item.dashed ? ' is-dashed' : ''), 'aria-hidden': 'true'});
        swatch.style.setProperty('--swatch', `var(${item.color})`);   // CSSOM: allowed by the page's style policy
        return el('li', {}, swatch, item.name);
      }));
    }

    return {
      update(next) { data = {...data, ...next}; draw(); },
    };
  }

  return {create};
})();
