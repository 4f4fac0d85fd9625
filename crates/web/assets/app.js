// civitas: the small amount of JavaScript the pages use. Everything works without it;
// it adds the CSRF header to htmx requests, confirmation prompts, and charts.
// The x series' name in chart legends, in the page's language (uPlot's default is "Time").
function civitasDayLabel() {
  return document.documentElement.lang === "en" ? "Date" : "日期";
}

(function () {
  "use strict";
  var meta = document.querySelector('meta[name="csrf-token"]');
  var csrf = meta ? meta.getAttribute("content") : "";

  document.body.addEventListener("htmx:configRequest", function (e) {
    if (csrf) { e.detail.headers["X-CSRF-Token"] = csrf; }
  });

  document.querySelectorAll("form[data-confirm]").forEach(function (form) {
    form.addEventListener("submit", function (e) {
      if (!window.confirm(form.getAttribute("data-confirm"))) { e.preventDefault(); }
    });
  });
  // A file picked next to a text area is read into it (an OpenAPI description, say), so
  // the form still posts plain text and works without this script by pasting.
  document.querySelectorAll("input[type=file][data-fill]").forEach(function (input) {
    input.addEventListener("change", function () {
      var target = document.getElementById(input.getAttribute("data-fill"));
      var file = input.files && input.files[0];
      if (!target || !file) { return; }
      file.text().then(function (text) { target.value = text; });
    });
  });
  // A button that does something weightier than its form's other buttons asks first.
  document.querySelectorAll("button[data-confirm]").forEach(function (button) {
    button.addEventListener("click", function (e) {
      if (!window.confirm(button.getAttribute("data-confirm"))) { e.preventDefault(); }
    });
  });

  function css(name) {
    return getComputedStyle(document.documentElement).getPropertyValue(name).trim();
  }

  // Daily activity: [[isoDate, signIns, otherChanges], ...] drawn as two series.
  var activity = document.querySelector('[data-chart="activity"]');
  var data = document.getElementById("activity-data");
  if (activity && data && window.uPlot) {
    var rows = JSON.parse(data.textContent);
    var xs = rows.map(function (r) { return Date.parse(r[0] + "T00:00:00+08:00") / 1000; });
    var logins = rows.map(function (r) { return r[1]; });
    var changes = rows.map(function (r) { return r[2]; });
    var width = Math.max(320, activity.clientWidth || 640);
    var opts = {
      width: width,
      height: 220,
      scales: { x: { time: true } },
      series: [
        { label: civitasDayLabel() },
        { label: activity.getAttribute("data-label-logins"), stroke: css("--accent") || "#0b4f8a", width: 2, fill: "rgba(11,79,138,0.08)" },
        { label: activity.getAttribute("data-label-changes"), stroke: css("--warn") || "#a15c00", width: 2 }
      ],
      axes: [{}, { size: 40 }]
    };
    new window.uPlot(opts, [xs, logins, changes], activity);
  }
})();

// On-time rate over time: [[isoDate, percent], ...].
(function () {
  "use strict";
  var el = document.querySelector('[data-chart="ontime"]');
  var data = document.getElementById("ontime-data");
  if (!el || !data || !window.uPlot) { return; }
  var rows = JSON.parse(data.textContent);
  var xs = rows.map(function (r) { return Date.parse(r[0] + "T00:00:00+08:00") / 1000; });
  var ys = rows.map(function (r) { return r[1]; });
  new window.uPlot({
    width: Math.max(320, el.clientWidth || 640),
    height: 220,
    scales: { x: { time: true }, y: { range: [0, 100] } },
    series: [{ label: civitasDayLabel() }, { label: el.getAttribute("data-label"), stroke: "#1a7f37", width: 2, fill: "rgba(26,127,55,0.08)" }],
    axes: [{}, { size: 56, values: function (u, v) { return v.map(function (x) { return x + "%"; }); } }]
  }, [xs, ys], el);
})();

// Use per day: [[isoDate, views, downloads, apiCalls], ...].
(function () {
  "use strict";
  var el = document.querySelector('[data-chart="usage"]');
  var data = document.getElementById("usage-data");
  if (!el || !data || !window.uPlot) { return; }
  var rows = JSON.parse(data.textContent);
  var xs = rows.map(function (r) { return Date.parse(r[0] + "T00:00:00+08:00") / 1000; });
  var col = function (i) { return rows.map(function (r) { return r[i]; }); };
  new window.uPlot({
    width: Math.max(320, el.clientWidth || 640),
    height: 220,
    scales: { x: { time: true } },
    series: [
      { label: civitasDayLabel() },
      { label: el.getAttribute("data-label-views"), stroke: "#0b4f8a", width: 2, fill: "rgba(11,79,138,0.08)" },
      { label: el.getAttribute("data-label-downloads"), stroke: "#a15c00", width: 2 },
      { label: el.getAttribute("data-label-api"), stroke: "#1a7f37", width: 2 }
    ],
    axes: [{}, { size: 48 }]
  }, [xs, col(1), col(2), col(3)], el);
})();

// Cost and use per ROC year on /platforms: [[rocYear, costMillions | null, uses], ...].
(function () {
  "use strict";
  var el = document.querySelector('[data-chart="benefit"]');
  var data = document.getElementById("benefit-data");
  if (!el || !data || !window.uPlot) { return; }
  var rows = JSON.parse(data.textContent);
  if (rows.length === 0) { return; }
  var xs = rows.map(function (r) { return r[0]; });
  var bars = window.uPlot.paths && window.uPlot.paths.bars ? window.uPlot.paths.bars({ size: [0.5, 40] }) : undefined;
  new window.uPlot({
    width: Math.max(320, el.clientWidth || 640),
    height: 240,
    scales: { x: { time: false }, cost: {}, uses: {} },
    series: [
      { label: "ROC" },
      { label: el.getAttribute("data-label-cost"), scale: "cost", stroke: "#a15c00", fill: "rgba(161,92,0,0.35)", paths: bars, spanGaps: false },
      { label: el.getAttribute("data-label-uses"), scale: "uses", stroke: "#0b4f8a", width: 2 }
    ],
    axes: [
      { values: function (u, vals) { return vals.map(function (v) { return Number.isInteger(v) ? String(v) : ""; }); } },
      { scale: "cost", size: 56 },
      { scale: "uses", side: 1, size: 56, grid: { show: false } }
    ]
  }, [xs, rows.map(function (r) { return r[1]; }), rows.map(function (r) { return r[2]; })], el);
})();

// Alerts per month: [[YYYY-MM, total, high, medium], ...].
(function () {
  "use strict";
  var el = document.querySelector('[data-chart="alerts-trend"]');
  var data = document.getElementById("alerts-trend-data");
  if (!el || !data || !window.uPlot) { return; }
  var rows = JSON.parse(data.textContent);
  var xs = rows.map(function (r) { return Date.parse(r[0] + "-01T00:00:00+08:00") / 1000; });
  new window.uPlot({
    width: Math.max(320, el.clientWidth || 640),
    height: 240,
    scales: { x: { time: true } },
    series: [
      { label: civitasDayLabel() },
      { label: el.getAttribute("data-label-total"), stroke: "#3d6fa8", width: 2, fill: "rgba(61,111,168,0.08)" },
      { label: el.getAttribute("data-label-high"), stroke: "#b42318", width: 2 },
      { label: el.getAttribute("data-label-medium"), stroke: "#b77900", width: 1 }
    ],
    axes: [{}, { size: 56 }]
  }, [xs, rows.map(function (r) { return r[1]; }), rows.map(function (r) { return r[2]; }), rows.map(function (r) { return r[3]; })], el);
})();

// Follow-up actions per agency: [[agency, open and not overdue, overdue, verified], ...] as
// stacked-looking grouped bars, the agency's name under each group.
(function () {
  "use strict";
  var el = document.querySelector('[data-chart="incident-actions"]');
  var data = document.getElementById("incident-actions-data");
  if (!el || !data || !window.uPlot) { return; }
  var rows = JSON.parse(data.textContent);
  if (rows.length === 0) { return; }
  var xs = rows.map(function (r, i) { return i; });
  var bars = window.uPlot.paths && window.uPlot.paths.bars ? function (size, align) { return window.uPlot.paths.bars({ size: size, align: align }); } : function () { return undefined; };
  new window.uPlot({
    width: Math.max(320, el.clientWidth || 640),
    height: 260,
    scales: { x: { time: false, range: [-0.5, rows.length - 0.5] } },
    series: [
      { label: civitasDayLabel() },
      { label: el.getAttribute("data-label-open"), stroke: "#3d6fa8", fill: "rgba(61,111,168,0.6)", paths: bars([0.25, 40], -1) },
      { label: el.getAttribute("data-label-overdue"), stroke: "#b42318", fill: "rgba(180,35,24,0.6)", paths: bars([0.25, 40], 0) },
      { label: el.getAttribute("data-label-verified"), stroke: "#2e7d32", fill: "rgba(46,125,50,0.6)", paths: bars([0.25, 40], 1) }
    ],
    axes: [
      { values: function (u, vals) { return vals.map(function (v) { return Number.isInteger(v) && rows[v] ? rows[v][0] : ""; }); } },
      { size: 48 }
    ]
  }, [xs, rows.map(function (r) { return r[1]; }), rows.map(function (r) { return r[2]; }), rows.map(function (r) { return r[3]; })], el);
})();

// One exchange service's calls per day: [[isoDate, calls, clientErrors, serverErrors], ...].
(function () {
  "use strict";
  var el = document.querySelector('[data-chart="exchange-calls"]');
  var data = document.getElementById("exchange-calls-data");
  if (!el || !data || !window.uPlot) { return; }
  var rows = JSON.parse(data.textContent);
  var xs = rows.map(function (r) { return Date.parse(r[0] + "T00:00:00+08:00") / 1000; });
  var col = function (i) { return rows.map(function (r) { return r[i]; }); };
  new window.uPlot({
    width: Math.max(320, el.clientWidth || 640),
    height: 220,
    scales: { x: { time: true } },
    series: [
      { label: civitasDayLabel() },
      { label: el.getAttribute("data-label-calls"), stroke: "#0b4f8a", width: 2, fill: "rgba(11,79,138,0.08)" },
      { label: el.getAttribute("data-label-client"), stroke: "#a15c00", width: 2 },
      { label: el.getAttribute("data-label-server"), stroke: "#b42318", width: 2 }
    ],
    axes: [{}, { size: 48 }]
  }, [xs, col(1), col(2), col(3)], el);
})();

// One exchange service's latency per day (bucket bounds, ms): [[isoDate, p50, p95], ...].
(function () {
  "use strict";
  var el = document.querySelector('[data-chart="exchange-latency"]');
  var data = document.getElementById("exchange-latency-data");
  if (!el || !data || !window.uPlot) { return; }
  var rows = JSON.parse(data.textContent);
  var xs = rows.map(function (r) { return Date.parse(r[0] + "T00:00:00+08:00") / 1000; });
  var col = function (i) { return rows.map(function (r) { return r[i]; }); };
  new window.uPlot({
    width: Math.max(320, el.clientWidth || 640),
    height: 220,
    scales: { x: { time: true }, y: { distr: 3 } },
    series: [
      { label: civitasDayLabel() },
      { label: el.getAttribute("data-label-p50"), stroke: "#1a7f37", width: 2, spanGaps: false },
      { label: el.getAttribute("data-label-p95"), stroke: "#a15c00", width: 2, spanGaps: false }
    ],
    // On the log scale uPlot labels only some ticks and passes null for the others.
    axes: [{}, { size: 76, values: function (u, v) { return v.map(function (x) { return x == null ? "" : x + " ms"; }); } }]
  }, [xs, col(1), col(2)], el);
})();
