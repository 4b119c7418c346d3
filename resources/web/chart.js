// A LineChart draws time series (arrays of [t_ms, value]) on a canvas: a title with its unit, a
// y axis with rounded ticks, a clock-time x axis, one coloured line per series, an optional
// dashed reference line and a legend. It is the console's only chart code (no library), sized to
// its container and redrawn in the theme's colours.
'use strict';

(function () {
  const PALETTE_LIGHT = ['#1f77b4', '#2ca02c', '#d62728', '#9467bd', '#ff7f0e', '#17becf', '#8c564b', '#e377c2', '#7f7f7f', '#bcbd22'];
  const PALETTE_DARK = ['#4ea3e6', '#5cc85c', '#f0605d', '#b48ae6', '#ffa04d', '#3fd3e0', '#c0906e', '#f08ccd', '#b0b0b0', '#d8d84a'];

  function cssVar(name, fallback) {
    const v = getComputedStyle(document.documentElement).getPropertyValue(name).trim();
    return v || fallback;
  }

  function darkTheme() {
    return window.matchMedia && window.matchMedia('(prefers-color-scheme: dark)').matches;
  }

  // Ticks at 1, 2 or 5 times a power of ten, about `count` of them across [lo, hi].
  function niceTicks(lo, hi, count) {
    if (!(hi > lo)) {
      const pad = Math.abs(lo) > 0 ? Math.abs(lo) * 0.1 : 1;
      lo -= pad;
      hi += pad;
    }
    const raw = (hi - lo) / Math.max(1, count);
    const mag = Math.pow(10, Math.floor(Math.log10(raw)));
    const step = [1, 2, 2.5, 5, 10].map((m) => m * mag).find((s) => s >= raw) || 10 * mag;
    const first = Math.floor(lo / step) * step;
    const last = Math.ceil(hi / step) * step;
    const ticks = [];
    for (let v = first; v <= last + step / 2; v += step) ticks.push(Math.abs(v) < step / 1e6 ? 0 : v);
    return { ticks, step, lo: first, hi: last };
  }

  function formatTick(v, step) {
    const a = Math.abs(v);
    if (a >= 1e9) return (v / 1e9).toFixed(step >= 1e9 ? 0 : 1) + 'G';
    if (a >= 1e6) return (v / 1e6).toFixed(step >= 1e6 ? 0 : 1) + 'M';
    if (a >= 1e4) return (v / 1e3).toFixed(step >= 1e3 ? 0 : 1) + 'k';
    if (step >= 1 || v === 0) return String(Math.round(v));
    const digits = Math.min(4, Math.max(0, -Math.floor(Math.log10(step))));
    return v.toFixed(digits);
  }

  function clock(tMs, withSeconds, utc) {
    const d = new Date(tMs);
    const p = (n) => String(n).padStart(2, '0');
    if (utc) return p(d.getUTCHours()) + ':' + p(d.getUTCMinutes()) + (withSeconds ? ':' + p(d.getUTCSeconds()) : '');
    return p(d.getHours()) + ':' + p(d.getMinutes()) + (withSeconds ? ':' + p(d.getSeconds()) : '');
  }

  class LineChart {
    // container: an element to fill; options: { title, unit, height (px), windowMs (the newest
    // span shown), yMin (null: from the data; default 0), xUtc (clock labels in UTC) }.
    constructor(container, options) {
      this.container = container;
      this.options = Object.assign({ height: 220, windowMs: 15 * 60 * 1000, yMin: 0 }, options || {});
      this.series = []; // { label, points: [[t, v], ...] }
      this.reference = null; // { label, value }
      this.placeholder = '';
      this.canvas = document.createElement('canvas');
      this.canvas.setAttribute('role', 'img');
      this.canvas.setAttribute('aria-label', this.options.title || 'chart');
      container.classList.add('chart-box');
      container.appendChild(this.canvas);
      this.pointsDrawn = 0;
      if (window.ResizeObserver) {
        this.resizer = new ResizeObserver(() => this.draw());
        this.resizer.observe(container);
      }
    }

    setSeries(series) {
      this.series = series.filter((s) => s && Array.isArray(s.points));
      this.draw();
    }

    setReference(label, value) {
      this.reference = value == null || !isFinite(value) ? null : { label, value };
    }

    setPlaceholder(text) {
      this.placeholder = text || '';
    }

    draw() {
      const canvas = this.canvas;
      const width = Math.max(120, Math.floor(this.container.clientWidth));
      if (this.container.offsetParent === null) return; // hidden page: drawn when shown
      const height = this.options.height;
      const ratio = window.devicePixelRatio || 1;
      if (canvas.width !== Math.round(width * ratio) || canvas.height !== Math.round(height * ratio)) {
        canvas.width = Math.round(width * ratio);
        canvas.height = Math.round(height * ratio);
        canvas.style.width = width + 'px';
        canvas.style.height = height + 'px';
      }
      const g = canvas.getContext('2d');
      g.setTransform(ratio, 0, 0, ratio, 0, 0);
      g.clearRect(0, 0, width, height);

      const text = cssVar('--fg', '#222');
      const muted = cssVar('--muted', '#777');
      const grid = cssVar('--grid', '#e4e4e4');
      const palette = darkTheme() ? PALETTE_DARK : PALETTE_LIGHT;
      const font = '11px ' + cssVar('--font', 'sans-serif');
      g.font = font;
      g.textBaseline = 'middle';

      // Title and unit.
      g.fillStyle = text;
      g.font = '600 12px ' + cssVar('--font', 'sans-serif');
      g.textAlign = 'left';
      g.fillText(this.options.title || '', 8, 11);
      if (this.options.unit) {
        const tw = g.measureText(this.options.title || '').width;
        g.font = font;
        g.fillStyle = muted;
        g.fillText(this.options.unit, 8 + tw + 8, 11);
      }
      g.font = font;

      // Data range over the visible window.
      let tMax = -Infinity;
      for (const s of this.series) for (const p of s.points) if (p[0] > tMax) tMax = p[0];
      // The last windowMs, or less while there is less history (the line then fills the plot).
      let tMin = tMax;
      for (const s of this.series) for (const p of s.points) if (p[0] >= tMax - this.options.windowMs && p[0] < tMin) tMin = p[0];
      let yLo = this.options.yMin == null ? Infinity : this.options.yMin;
      let yHi = -Infinity;
      let count = 0;
      for (const s of this.series) {
        for (const p of s.points) {
          if (p[0] < tMin || !isFinite(p[1])) continue;
          count++;
          if (p[1] < yLo) yLo = p[1];
          if (p[1] > yHi) yHi = p[1];
        }
      }
      if (this.reference) {
        yHi = Math.max(yHi, this.reference.value);
        yLo = Math.min(yLo, this.reference.value);
      }

      // Legend (bottom), which also decides the plot's bottom edge.
      const legendItems = this.series.map((s, i) => ({ label: s.label, colour: s.colour || palette[i % palette.length] }));
      if (this.reference) legendItems.push({ label: this.reference.label, colour: muted, dashed: true });
      const legendRows = [];
      let row = [];
      let rowWidth = 0;
      for (const item of legendItems) {
        const w = 22 + g.measureText(item.label).width + 12;
        if (rowWidth + w > width - 16 && row.length) {
          legendRows.push(row);
          row = [];
          rowWidth = 0;
        }
        row.push(Object.assign({ w }, item));
        rowWidth += w;
      }
      if (row.length) legendRows.push(row);
      const legendHeight = Math.min(3, legendRows.length) * 15;

      const top = 24;
      const bottom = height - 18 - legendHeight;
      this.pointsDrawn = 0;
      // The legend as text, with each series' points: "label=N|...".
      this.canvas.dataset.series = this.series.map((s) => s.label + '=' + s.points.length).join('|');
      if (count === 0) {
        g.fillStyle = muted;
        g.textAlign = 'center';
        g.fillText(this.placeholder || 'waiting for data…', width / 2, (top + bottom) / 2);
        this.drawLegend(g, legendRows, width, height, legendHeight);
        this.canvas.dataset.points = '0';
        return;
      }
      const y = niceTicks(yLo, yHi, Math.max(2, Math.floor((bottom - top) / 36)));
      let labelWidth = 0;
      for (const t of y.ticks) labelWidth = Math.max(labelWidth, g.measureText(formatTick(t, y.step)).width);
      const left = 10 + labelWidth;
      const right = width - 10;
      const xOf = (t) => left + ((t - tMin) / (tMax - tMin || 1)) * (right - left);
      const yOf = (v) => bottom - ((v - y.lo) / (y.hi - y.lo || 1)) * (bottom - top);

      // Grid and y labels.
      g.strokeStyle = grid;
      g.lineWidth = 1;
      g.fillStyle = muted;
      g.textAlign = 'right';
      for (const t of y.ticks) {
        const py = Math.round(yOf(t)) + 0.5;
        g.beginPath();
        g.moveTo(left, py);
        g.lineTo(right, py);
        g.stroke();
        g.fillText(formatTick(t, y.step), left - 4, py);
      }
      // Time labels at round clock times, at most about one per 110 px.
      const span = tMax - tMin;
      const maxLabels = Math.max(2, Math.floor((right - left) / 110));
      const stepMs = [1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600].map((s) => s * 1000).find((s) => span / s <= maxLabels) || 3600000;
      g.textAlign = 'center';
      for (let t = Math.ceil(tMin / stepMs) * stepMs; t <= tMax; t += stepMs) {
        const px = Math.round(xOf(t)) + 0.5;
        const label = clock(t, stepMs < 60000, this.options.xUtc);
        const half = g.measureText(label).width / 2;
        g.beginPath();
        g.moveTo(px, bottom);
        g.lineTo(px, bottom + 3);
        g.stroke();
        if (px - half >= 0 && px + half <= width) g.fillText(label, px, bottom + 10); // never clipped
      }

      // Reference line.
      if (this.reference) {
        g.save();
        g.setLineDash([5, 4]);
        g.strokeStyle = muted;
        g.beginPath();
        const py = Math.round(yOf(this.reference.value)) + 0.5;
        g.moveTo(left, py);
        g.lineTo(right, py);
        g.stroke();
        g.restore();
      }

      // Lines; a gap of more than 5 sampling steps breaks the line (a restart, a paused page).
      g.lineWidth = 1.6;
      g.lineJoin = 'round';
      this.series.forEach((s, i) => {
        const pts = s.points.filter((p) => p[0] >= tMin && isFinite(p[1]));
        if (!pts.length) return;
        g.strokeStyle = legendItems[i].colour;
        g.beginPath();
        let prevT = null;
        const typical = pts.length > 1 ? (pts[pts.length - 1][0] - pts[0][0]) / (pts.length - 1) : 0;
        for (const p of pts) {
          const px = xOf(p[0]);
          const py = yOf(p[1]);
          if (prevT === null || (typical > 0 && p[0] - prevT > 5 * typical + 2000)) g.moveTo(px, py);
          else g.lineTo(px, py);
          prevT = p[0];
        }
        g.stroke();
        if (pts.length === 1) {
          g.fillStyle = legendItems[i].colour;
          g.fillRect(xOf(pts[0][0]) - 2, yOf(pts[0][1]) - 2, 4, 4);
        }
        this.pointsDrawn += pts.length;
      });
      this.drawLegend(g, legendRows, width, height, legendHeight);
      this.canvas.dataset.points = String(this.pointsDrawn);
    }

    drawLegend(g, rows, width, height, legendHeight) {
      let py = height - legendHeight - 2 + 7;
      g.textAlign = 'left';
      for (const row of rows.slice(0, 3)) {
        const total = row.reduce((a, it) => a + it.w, 0);
        let px = Math.max(8, (width - total) / 2);
        for (const it of row) {
          g.strokeStyle = it.colour;
          g.lineWidth = 2;
          g.save();
          if (it.dashed) g.setLineDash([4, 3]);
          g.beginPath();
          g.moveTo(px, py);
          g.lineTo(px + 16, py);
          g.stroke();
          g.restore();
          g.fillStyle = cssVar('--fg', '#222');
          g.fillText(it.label, px + 20, py);
          px += it.w;
        }
        py += 15;
      }
    }
  }

  window.TallyChart = { LineChart, niceTicks };
})();
