/* loadgate trend report, client side: one uPlot chart per endpoint and metric from the inline
   JSON (#trends-data), with each level's noise band, the targets and the change points.
   No network access: everything it needs is in the page. */
(function () {
  'use strict';

  var dataEl = document.getElementById('trends-data');
  if (!dataEl) return;
  var data = JSON.parse(dataEl.textContent);
  if (typeof uPlot !== 'function') {
    console.error('loadgate: chart library missing');
    return;
  }
  var runs = data.runs;
  var xs = runs.map(function (_r, i) {
    return i;
  });

  function fmtMs(v) {
    if (v == null) return '—';
    if (v >= 10000) return (v / 1000).toFixed(1) + ' s';
    if (v >= 100) return Math.round(v) + ' ms';
    if (v >= 10) return v.toFixed(1) + ' ms';
    return v.toFixed(2) + ' ms';
  }
  function fmtPct(v) {
    return v == null ? '—' : (v * 100).toFixed(2) + ' %';
  }
  function fmtRps(v) {
    return v == null ? '—' : (v >= 100 ? v.toFixed(0) : v.toFixed(1)) + ' RPS';
  }
  var FMT = { ms: fmtMs, ratio: fmtPct, rps: fmtRps };
  function runLabel(i) {
    var r = runs[Math.round(i)];
    if (!r) return '';
    return r.at.slice(5, 10) + (r.phase ? ' ' + r.phase : '');
  }

  // Noise bands: each level's span, shaded between its low and high edge.
  function bandsPlugin(bands) {
    return {
      hooks: {
        drawClear: function (u) {
          var ctx = u.ctx;
          ctx.save();
          ctx.fillStyle = 'rgba(36,86,166,0.10)';
          bands.forEach(function (b) {
            var x0 = u.valToPos(b[0] - 0.5, 'x', true);
            var x1 = u.valToPos(b[1] - 0.5, 'x', true);
            var y0 = u.valToPos(b[3], 'y', true);
            var y1 = u.valToPos(b[2], 'y', true);
            x0 = Math.max(x0, u.bbox.left);
            x1 = Math.min(x1, u.bbox.left + u.bbox.width);
            y0 = Math.max(y0, u.bbox.top);
            y1 = Math.min(y1, u.bbox.top + u.bbox.height);
            if (x1 > x0 && y1 > y0) ctx.fillRect(x0, y0, x1 - x0, y1 - y0);
          });
          ctx.restore();
        },
      },
    };
  }
  // Change points: a vertical line between the last run before and the first run after.
  function changesPlugin(changes) {
    return {
      hooks: {
        draw: function (u) {
          var ctx = u.ctx;
          ctx.save();
          ctx.lineWidth = 2 * devicePixelRatio;
          ctx.setLineDash([5 * devicePixelRatio, 3 * devicePixelRatio]);
          changes.forEach(function (c) {
            var x = u.valToPos(c[0] - 0.5, 'x', true);
            ctx.strokeStyle = c[1] > 0 ? '#b42318' : '#2e7d32';
            ctx.beginPath();
            ctx.moveTo(x, u.bbox.top);
            ctx.lineTo(x, u.bbox.top + u.bbox.height);
            ctx.stroke();
          });
          ctx.restore();
        },
      },
    };
  }

  var charts = [];
  function chart(s) {
    var el = document.getElementById(s.id);
    if (!el) return;
    var fmt = FMT[s.unit] || String;
    var series = [
      {
        label: 'run',
        value: function (_u, v) {
          return v == null ? '' : runLabel(v);
        },
      },
      {
        label: s.label,
        stroke: '#2456a6',
        width: 1.5,
        points: { show: runs.length <= 120, size: 5 },
        value: function (_u, v) {
          return fmt(v);
        },
      },
    ];
    var columns = [xs, s.values];
    if (s.targets) {
      series.push({
        label: 'target',
        stroke: '#b42318',
        width: 1.5,
        dash: [7, 4],
        points: { show: false },
        paths: uPlot.paths.stepped({ align: 1 }),
        value: function (_u, v) {
          return fmt(v);
        },
      });
      columns.push(s.targets);
    }
    var u = new uPlot(
      {
        width: Math.max(300, el.clientWidth || 560),
        height: 190,
        legend: { live: true },
        cursor: { drag: { x: true, y: false } },
        scales: {
          x: { time: false },
          y: {
            range: function (_u, min, max) {
              var lo = Math.min(min == null ? 0 : min, 0);
              var hi = Math.max(max == null ? 1 : max, 0);
              s.bands.forEach(function (b) {
                hi = Math.max(hi, b[3]);
              });
              return [lo, hi > 0 ? hi * 1.08 : 1];
            },
          },
        },
        axes: [
          {
            stroke: '#5b6475',
            grid: { stroke: '#eceef2' },
            values: function (_u, vals) {
              return vals.map(function (v) {
                return Number.isInteger(v) ? runLabel(v) : '';
              });
            },
          },
          {
            stroke: '#5b6475',
            grid: { stroke: '#eceef2' },
            size: 70,
            values: function (_u, vals) {
              return vals.map(fmt);
            },
          },
        ],
        series: series,
        plugins: [bandsPlugin(s.bands), changesPlugin(s.changes)],
      },
      columns,
      el,
    );
    charts.push({ u: u, el: el });
  }

  chart(data.run);
  data.endpoints.forEach(function (ep) {
    ep.series.forEach(chart);
  });

  function resizeAll(width) {
    charts.forEach(function (c) {
      c.u.setSize({ width: width || Math.max(300, c.el.clientWidth), height: 190 });
    });
  }
  window.addEventListener('beforeprint', function () {
    resizeAll(480);
  });
  window.addEventListener('afterprint', function () {
    resizeAll();
  });
  var pending;
  window.addEventListener('resize', function () {
    clearTimeout(pending);
    pending = setTimeout(function () {
      resizeAll();
    }, 150);
  });
  document.documentElement.setAttribute('data-charts', String(charts.length));
})();
