/* loadgate reports, client side: table sorting and uPlot charts from the inline JSON data.
   No network access: everything it needs is in the page. */
(function () {
  'use strict';

  // ---- sortable tables -------------------------------------------------------------
  function cellKey(td) {
    if (!td) return '';
    var v = td.getAttribute('data-v');
    if (v === null) return td.textContent.trim().toLowerCase();
    var n = Number(v);
    return v !== '' && !Number.isNaN(n) ? n : v.toLowerCase();
  }
  function sortTable(table, col, th) {
    var dir = th.getAttribute('aria-sort') === 'descending' ? 'ascending' : 'descending';
    var heads = table.tHead.rows[0].cells;
    for (var i = 0; i < heads.length; i++) heads[i].removeAttribute('aria-sort');
    th.setAttribute('aria-sort', dir);
    var body = table.tBodies[0];
    var rows = Array.prototype.slice.call(body.rows);
    var sign = dir === 'ascending' ? 1 : -1;
    rows.sort(function (a, b) {
      var x = cellKey(a.cells[col]);
      var y = cellKey(b.cells[col]);
      if (typeof x === 'number' && typeof y === 'number') return (x - y) * sign;
      return String(x).localeCompare(String(y)) * sign;
    });
    rows.forEach(function (r) {
      body.appendChild(r);
    });
  }
  document.querySelectorAll('table.sortable').forEach(function (table) {
    var heads = table.tHead ? table.tHead.rows[0].cells : [];
    Array.prototype.forEach.call(heads, function (th, col) {
      th.setAttribute('tabindex', '0');
      th.title = 'Sort';
      th.addEventListener('click', function () {
        sortTable(table, col, th);
      });
      th.addEventListener('keydown', function (e) {
        if (e.key === 'Enter') sortTable(table, col, th);
      });
    });
  });

  // ---- charts ----------------------------------------------------------------------
  var dataEl = document.getElementById('report-data');
  if (!dataEl) return;
  var data = JSON.parse(dataEl.textContent);
  var chart = data.chart;
  if (!chart) return;
  if (typeof uPlot !== 'function') {
    console.error('loadgate: chart library missing');
    return;
  }

  function fmtT(s) {
    if (s == null) return '';
    s = Math.round(s);
    var h = Math.floor(s / 3600),
      m = Math.floor((s % 3600) / 60),
      sec = s % 60;
    var mm = String(m).padStart(2, '0'),
      ss = String(sec).padStart(2, '0');
    return h > 0 ? h + ':' + mm + ':' + ss : m + ':' + ss;
  }
  function fmtMs(v) {
    if (v == null) return '—';
    if (v >= 10000) return (v / 1000).toFixed(1) + ' s';
    if (v >= 100) return Math.round(v) + ' ms';
    if (v >= 10) return v.toFixed(1) + ' ms';
    return v.toFixed(2) + ' ms';
  }
  function fmtNum(v) {
    return v == null ? '—' : (Math.abs(v) >= 100 ? Math.round(v) : +v.toFixed(2)).toString();
  }

  var stageFill = ['rgba(36,86,166,0.045)', 'rgba(36,86,166,0.10)'];
  // Stage bands under the series, with stage names along the top.
  function stagesPlugin() {
    return {
      hooks: {
        drawClear: function (u) {
          var ctx = u.ctx,
            top = u.bbox.top,
            h = u.bbox.height;
          ctx.save();
          ctx.font = Math.round(10 * devicePixelRatio) + 'px system-ui, sans-serif';
          ctx.textBaseline = 'top';
          chart.stages.forEach(function (st, i) {
            var x0 = u.valToPos(st.startS, 'x', true),
              x1 = u.valToPos(st.endS, 'x', true);
            x0 = Math.max(x0, u.bbox.left);
            x1 = Math.min(x1, u.bbox.left + u.bbox.width);
            if (x1 <= x0) return;
            ctx.fillStyle = stageFill[i % 2];
            ctx.fillRect(x0, top, x1 - x0, h);
            if (x1 - x0 > 40 * devicePixelRatio) {
              ctx.fillStyle = '#6b7383';
              ctx.fillText(st.name, x0 + 3 * devicePixelRatio, top + 2 * devicePixelRatio, x1 - x0 - 6 * devicePixelRatio);
            }
          });
          ctx.restore();
        },
      },
    };
  }
  // Horizontal dashed target lines (P95 chart).
  function targetsPlugin(targets) {
    return {
      hooks: {
        draw: function (u) {
          var ctx = u.ctx;
          ctx.save();
          ctx.font = 'bold ' + Math.round(10.5 * devicePixelRatio) + 'px system-ui, sans-serif';
          ctx.textBaseline = 'bottom';
          targets.forEach(function (t) {
            var y = u.valToPos(t.value, 'y', true);
            if (!(y >= u.bbox.top && y <= u.bbox.top + u.bbox.height)) return;
            ctx.strokeStyle = '#b42318';
            ctx.lineWidth = 1.5 * devicePixelRatio;
            ctx.setLineDash([7 * devicePixelRatio, 4 * devicePixelRatio]);
            ctx.beginPath();
            ctx.moveTo(u.bbox.left, y);
            ctx.lineTo(u.bbox.left + u.bbox.width, y);
            ctx.stroke();
            ctx.fillStyle = '#b42318';
            ctx.textAlign = 'right';
            ctx.fillText(t.label, u.bbox.left + u.bbox.width - 4 * devicePixelRatio, y - 2 * devicePixelRatio);
          });
          ctx.restore();
        },
      },
    };
  }
  // Vertical markers where timeouts began.
  function onsetsPlugin(onsets) {
    return {
      hooks: {
        draw: function (u) {
          var ctx = u.ctx;
          ctx.save();
          ctx.setLineDash([3 * devicePixelRatio, 3 * devicePixelRatio]);
          ctx.lineWidth = 1.5 * devicePixelRatio;
          ctx.font = Math.round(10 * devicePixelRatio) + 'px system-ui, sans-serif';
          ctx.textBaseline = 'top';
          onsets.forEach(function (o, i) {
            var x = u.valToPos(o.atS, 'x', true);
            ctx.strokeStyle = o.color;
            ctx.beginPath();
            ctx.moveTo(x, u.bbox.top);
            ctx.lineTo(x, u.bbox.top + u.bbox.height);
            ctx.stroke();
            ctx.fillStyle = o.color;
            var right = x > u.bbox.left + u.bbox.width * 0.7;
            ctx.textAlign = right ? 'right' : 'left';
            ctx.fillText(
              right ? o.endpoint + ' ▼' : '▼ ' + o.endpoint,
              x + (right ? -3 : 3) * devicePixelRatio,
              u.bbox.top + (14 + 12 * (i % 8)) * devicePixelRatio,
            );
          });
          ctx.restore();
        },
      },
    };
  }

  var timeAxis = {
    stroke: '#5b6475',
    grid: { stroke: '#eceef2' },
    values: function (_u, vals) {
      return vals.map(fmtT);
    },
  };
  // VUs are whole: ticks at 1, 2, 5, 10 … steps, never at 0.5.
  var INTEGER_INCRS = [1, 2, 5, 10, 20, 25, 50, 100, 200, 250, 500, 1000, 2000, 2500, 5000, 10000];
  function fmtInt(v) {
    return v == null ? '—' : String(Math.round(v));
  }
  function yAxis(label, fmt, side, scale) {
    var a = {
      label: label,
      stroke: '#5b6475',
      grid: { stroke: '#eceef2', show: side !== 1 },
      size: 72,
      values: function (_u, vals) {
        return vals.map(fmt);
      },
    };
    if (side) a.side = side;
    if (scale) a.scale = scale;
    return a;
  }
  var charts = [];
  function make(id, opts, series) {
    var el = document.getElementById(id);
    if (!el) return;
    var width = Math.max(320, el.clientWidth || 900);
    opts.width = width;
    opts.height = opts.height || 280;
    opts.legend = { live: true };
    opts.cursor = { drag: { x: true, y: false } };
    var u = new uPlot(opts, series, el);
    charts.push({ u: u, el: el, h: opts.height });
  }

  var t = chart.t;
  make(
    'chart-load',
    {
      height: 260,
      scales: {
        x: { time: false },
        y: {
          range: function (_u, _min, max) {
            return [0, Math.max(1, max) * 1.08];
          },
        },
        vus: {
          range: function (_u, _min, max) {
            return [0, Math.max(2, Math.ceil(Math.max(1, max) * 1.08))];
          },
        },
      },
      axes: [
        timeAxis,
        yAxis('requests / s', fmtNum),
        (function () {
          var a = yAxis('VUs in use', fmtInt, 1, 'vus');
          a.incrs = INTEGER_INCRS;
          return a;
        })(),
      ],
      series: [
        {
          label: 'time',
          value: function (_u, v) {
            return fmtT(v);
          },
        },
        {
          label: 'offered RPS',
          stroke: '#9aa3b2',
          width: 2,
          dash: [8, 5],
          value: function (_u, v) {
            return fmtNum(v);
          },
        },
        {
          label: 'achieved RPS',
          stroke: '#2456a6',
          width: 1.5,
          fill: 'rgba(36,86,166,0.08)',
          value: function (_u, v) {
            return fmtNum(v);
          },
        },
        {
          label: 'VUs in use',
          stroke: '#e6550d',
          width: 1.5,
          scale: 'vus',
          // A gauge holds until it changes: one line from the first sample to the last (the data carries it across intervals without one).
          spanGaps: true,
          paths: uPlot.paths?.stepped ? uPlot.paths.stepped({ align: 1 }) : undefined,
          value: function (_u, v) {
            return fmtInt(v);
          },
        },
        {
          label: 'dropped iter./s',
          stroke: '#b42318',
          width: 1,
          value: function (_u, v) {
            return fmtNum(v);
          },
        },
      ],
      plugins: [stagesPlugin()],
    },
    [t, chart.offered, chart.rps, chart.vus, chart.dropped],
  );

  // P95 over time: small multiples, one chart per endpoint group with the group's own target lines.
  (chart.p95Groups || []).forEach(function (g, gi) {
    var eps = g.endpoints.map(function (i) {
      return chart.endpoints[i];
    });
    var maxTarget = g.targets.reduce(function (m, x) {
      return Math.max(m, x.value);
    }, 0);
    var minTarget = g.targets.reduce(function (m, x) {
      return Math.min(m, x.value);
    }, Infinity);
    make(
      'chart-p95-' + gi,
      {
        height: 220,
        scales: {
          x: { time: false },
          y: {
            distr: 3,
            log: 10,
            range: function (_u, min, max) {
              var lo = Math.min(min == null ? 1 : min, minTarget),
                hi = Math.max(max == null ? 10 : max, maxTarget);
              // Headroom above the highest line for the stage names, so no line strikes them through.
              return [10 ** Math.floor(Math.log10(Math.max(lo, 0.1))), 10 ** Math.ceil(Math.log10(Math.max(hi, 1) * 2))];
            },
          },
        },
        axes: [timeAxis, yAxis('P95 (log)', fmtMs)],
        series: [
          {
            label: 'time',
            value: function (_u, v) {
              return fmtT(v);
            },
          },
        ].concat(
          eps.map(function (e) {
            return {
              label: e.name,
              stroke: e.color,
              width: 1.4,
              spanGaps: false,
              value: function (_u, v) {
                return fmtMs(v);
              },
            };
          }),
        ),
        plugins: [stagesPlugin(), targetsPlugin(g.targets)],
      },
      [t].concat(
        eps.map(function (e) {
          return e.p95;
        }),
      ),
    );
  });

  function ratesChart(id, key, title) {
    var eps = chart.endpoints.filter(function (e) {
      return e[key];
    });
    var el = document.getElementById(id);
    if (!el) return;
    if (!eps.length) {
      el.textContent = 'No ' + title + ' on any endpoint.';
      el.classList.add('muted');
      return;
    }
    make(
      id,
      {
        height: 260,
        scales: {
          x: { time: false },
          y: {
            range: function (_u, _min, max) {
              return [0, Math.max(0.1, max) * 1.1];
            },
          },
        },
        axes: [timeAxis, yAxis(title + ' / s', fmtNum)],
        series: [
          {
            label: 'time',
            value: function (_u, v) {
              return fmtT(v);
            },
          },
        ].concat(
          eps.map(function (e) {
            return {
              label: e.name,
              stroke: e.color,
              width: 1.4,
              value: function (_u, v) {
                return fmtNum(v);
              },
            };
          }),
        ),
        plugins: key === 'timeouts' ? [stagesPlugin(), onsetsPlugin(chart.onsets)] : [stagesPlugin()],
      },
      [t].concat(
        eps.map(function (e) {
          return e[key];
        }),
      ),
    );
  }
  ratesChart('chart-timeouts', 'timeouts', 'timeouts');
  ratesChart('chart-errors', 'errors', 'errors');

  // Fit the charts to the page when printing, and back afterwards.
  function resizeAll(width) {
    charts.forEach(function (c) {
      c.u.setSize({ width: width || Math.max(320, c.el.clientWidth), height: c.h });
    });
  }
  window.addEventListener('beforeprint', function () {
    resizeAll(1000);
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
