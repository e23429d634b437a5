// The swimlane view of a multifd trace bundle (multifd show --format html). Self-contained: no network, no library.
// Draws only the steps in view (an SVG redrawn on scroll), so a 10,000-event run stays fast.
(function () {
  'use strict';
  var started = performance.now();
  var data = JSON.parse(document.getElementById('swimlane-data').textContent);
  var LANE_H = 30, GROUP_H = 22, PLOT_H = 64, PLOT_GAP = 26, PAD = 12;
  var LOCK_ROWS = { 'BQL': 0, 'load_bufs_mutex': 1, 'multifd_send_mutex': 2, 'queue_job_mutex': 3 };

  var scroller = document.getElementById('scroller');
  var spacer = document.getElementById('spacer');
  var svg = document.getElementById('view');
  var labels = document.getElementById('labels');
  var details = document.getElementById('details');
  var events = data.ev; // [step, lane, type, trace line]
  var last = data.last;
  var px = 8;
  var pinned = -1;

  // The QEMU trace line of an event: its trace-event name and arguments, as the text timeline prints them.
  function traceLine(i) { return events[i][3]; }

  function describe(i) {
    var e = events[i], lane = data.lanes[e[1]];
    return 'step ' + e[0] + ' \u00b7 ' + lane[0] + ' ' + lane[1] + ' \u00b7 ' + traceLine(i);
  }

  // ---- vertical layout: a group header per side, a lane per thread, then two plots per device ----
  var laneY = [], y = 0, side = null, rows = [];
  data.lanes.forEach(function (lane, i) {
    if (lane[0] !== side) {
      side = lane[0];
      rows.push({ kind: 'group', y: y, text: side === 'source' ? 'Source QEMU' : 'Destination QEMU' });
      y += GROUP_H;
    }
    laneY.push(y);
    rows.push({ kind: 'lane', y: y, text: lane[1], lane: i });
    y += LANE_H;
  });
  var lanesBottom = y;
  y += PLOT_GAP;
  var plots = [];
  data.queues.forEach(function (q) {
    [['count', 1, q.maxCount, 'buffers', 'x-migration-max-queued-buffers'],
     ['bytes', 2, q.maxBytes, 'bytes', 'x-migration-max-queued-buffers-size']].forEach(function (k) {
      var max = 0;
      q.pts.forEach(function (p) { if (p[k[1]] > max) { max = p[k[1]]; } });
      var top = Math.max(max, k[2] === null ? 0 : k[2], 1) * 1.15;
      plots.push({ q: q, field: k[1], limit: k[2], y: y, top: top, name: q.dev + ' queued ' + k[3], knob: k[4], peak: max });
      rows.push({ kind: 'plot', y: y, text: q.dev + ' queued ' + k[3] });
      y += PLOT_H + PLOT_GAP;
    });
  });
  var height = y;

  rows.forEach(function (r) {
    var div = document.createElement('div');
    div.className = r.kind === 'group' ? 'group-label' : r.kind === 'lane' ? 'lane-label' : 'plot-label';
    div.style.top = r.y + 'px';
    div.style.height = (r.kind === 'group' ? GROUP_H : r.kind === 'lane' ? LANE_H : PLOT_H) + 'px';
    div.textContent = r.text;
    labels.appendChild(div);
  });
  labels.style.height = height + 'px';
  svg.setAttribute('height', height);

  // ---- horizontal: x of a step, the steps in view ----
  function x(step) { return PAD + step * px - scroller.scrollLeft; }
  function inView() {
    var s0 = Math.floor(scroller.scrollLeft / px) - 2;
    return [s0, s0 + Math.ceil(scroller.clientWidth / px) + 4];
  }
  function firstAtOrAfter(step) { // events are in step order
    var lo = 0, hi = events.length;
    while (lo < hi) { var mid = (lo + hi) >> 1; if (events[mid][0] < step) { lo = mid + 1; } else { hi = mid; } }
    return lo;
  }
  function esc(s) { return String(s).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;'); }
  function lockRow(name) {
    var base = name.replace(/\[.*$/, '');
    return LOCK_ROWS.hasOwnProperty(base) ? LOCK_ROWS[base] : 3;
  }
  function lockClass(name) {
    var base = name.replace(/\[.*$/, '');
    return LOCK_ROWS.hasOwnProperty(base) ? base.replace(/_/g, '-').toLowerCase() : 'other';
  }
  function eventClass(type) {
    if (type === 'MutexLocked') { return 'ev-lock'; }
    if (type === 'CondWait' || type === 'SemWait' || type === 'ThreadJoin') { return 'ev-wait'; }
    if (type === 'PacketSent' || type === 'MainMarkerSent' || type === 'SwitchoverStartSent' || type === 'BufferIncoming'
        || type === 'LoadStateMarker' || type === 'SwitchoverStartReceived') { return 'ev-msg'; }
    if (type === 'MigrationErrorSet' || type === 'ErrorReported' || type === 'QemuAborted' || type === 'QueueLimitExceeded'
        || type === 'FaultInjected') { return 'ev-error'; }
    return 'ev-proto';
  }

  function render() {
    var width = scroller.clientWidth;
    svg.setAttribute('width', width);
    svg.style.width = width + 'px';
    var v = inView(), s0 = v[0], s1 = v[1];
    var out = ['<defs><marker id="arrow" viewBox="0 0 8 8" refX="7" refY="4" markerWidth="7" markerHeight="7" orient="auto">',
      '<path d="M0,0 L8,4 L0,8 z" class="arrowhead"/></marker>',
      '<pattern id="hatch" width="6" height="6" patternUnits="userSpaceOnUse" patternTransform="rotate(45)">',
      '<rect width="6" height="6" class="hatch-bg"/><line x1="0" y1="0" x2="0" y2="6" class="hatch-line"/></pattern></defs>'];
    rows.forEach(function (r) {
      if (r.kind === 'lane') {
        out.push('<rect class="lane lane-' + data.lanes[r.lane][0] + '" data-lane="' + r.lane + '" x="0" y="' + r.y + '" width="' + width
          + '" height="' + LANE_H + '"/>');
      } else if (r.kind === 'group') {
        out.push('<rect class="group" x="0" y="' + r.y + '" width="' + width + '" height="' + GROUP_H + '"/>');
      }
    });
    // Step ruler in the group headers.
    var every = Math.max(1, Math.ceil(60 / px));
    every = [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000].find(function (n) { return n >= every; }) || every;
    for (var s = Math.max(0, s0 - s0 % every); s <= s1 && s <= last; s += every) {
      out.push('<line class="tick" x1="' + x(s) + '" x2="' + x(s) + '" y1="0" y2="' + lanesBottom + '"/>');
      rows.forEach(function (r) {
        if (r.kind === 'group') { out.push('<text class="tick-label" x="' + (x(s) + 2) + '" y="' + (r.y + 15) + '">' + s + '</text>'); }
      });
    }
    // Blocking waits, shaded, with what they wait for.
    data.waits.forEach(function (w, i) {
      if (w[2] < s0 || w[1] > s1) { return; }
      var x0 = x(w[1]), x1 = Math.max(x(w[2]), x0 + 2), top = laneY[w[0]] + 2;
      var text = 'waits (' + w[3] + ') for ' + w[4] + ', steps ' + w[1] + '\u2013' + w[2];
      out.push('<g class="wait wait-' + w[3] + '" data-wait="' + i + '"><rect x="' + x0 + '" y="' + top + '" width="' + (x1 - x0)
        + '" height="' + (LANE_H - 4) + '" fill="url(#hatch)"/><title>' + esc(text) + '</title>');
      if (x1 - x0 > 90) {
        out.push('<text class="wait-label" x="' + (Math.max(x0, 0) + 4) + '" y="' + (top + 11) + '">' + esc(w[3] + ': ' + w[4]) + '</text>');
      }
      out.push('</g>');
    });
    // Lock holds: a bar per mutex at the bottom of the lane; faded where the release step is not known.
    data.holds.forEach(function (h, i) {
      if (h[5] < s0 || h[2] > s1) { return; }
      var row = lockRow(h[1]), top = laneY[h[0]] + LANE_H - 5 - row * 5, cls = 'lock-bar lock-' + lockClass(h[1]);
      var text = h[1] + ' held by ' + data.lanes[h[0]][1] + ': asked at step ' + h[2] + ', held from ' + h[3] + ' to ' + h[4]
        + (h[5] > h[4] ? ', released before step ' + h[5] + ' (the engine traces no unlock)' : '');
      out.push('<g class="' + cls + '" data-hold="' + i + '"><title>' + esc(text) + '</title>');
      if (h[3] > h[2]) {
        out.push('<rect class="lock-wait" x="' + x(h[2]) + '" y="' + top + '" width="' + (x(h[3]) - x(h[2])) + '" height="4"/>');
      }
      out.push('<rect class="lock-held" x="' + x(h[3]) + '" y="' + top + '" width="' + Math.max(3, x(h[4]) - x(h[3])) + '" height="4"/>');
      if (h[5] > h[4]) {
        out.push('<rect class="lock-maybe" x="' + x(h[4]) + '" y="' + top + '" width="' + (x(h[5]) - x(h[4])) + '" height="4"/>');
      }
      out.push('</g>');
    });
    // Messages: an arrow from the sending thread to the receiving one.
    data.msgs.forEach(function (m) {
      var a = events[m[0]], b = events[m[1]];
      if (b[0] < s0 || a[0] > s1) { return; }
      var ya = laneY[a[1]] + LANE_H / 2, yb = laneY[b[1]] + LANE_H / 2 + (laneY[b[1]] > laneY[a[1]] ? -6 : 6);
      out.push('<line class="msg" data-from="' + m[0] + '" data-to="' + m[1] + '" x1="' + x(a[0]) + '" y1="' + ya + '" x2="' + x(b[0])
        + '" y2="' + yb + '" marker-end="url(#arrow)"><title>' + esc(traceLine(m[0]) + '  \u2192  ' + traceLine(m[1])) + '</title></line>');
    });
    // Events: a mark per event; hover or click shows its QEMU trace line.
    for (var i = firstAtOrAfter(s0); i < events.length && events[i][0] <= s1; i++) {
      var e = events[i], cy = laneY[e[1]] + 11;
      out.push('<rect class="ev ' + eventClass(e[2]) + (i === pinned ? ' pinned' : '') + '" data-i="' + i + '" x="' + (x(e[0]) - 3)
        + '" y="' + (cy - 5) + '" width="6" height="10" rx="1.5"><title>' + esc(describe(i)) + '</title></rect>');
    }
    // The violating step, highlighted across every lane.
    if (last >= s0 && last <= s1) {
      out.push('<rect class="violation-step" x="' + (x(last) - Math.max(4, px / 2)) + '" y="0" width="' + Math.max(8, px) + '" height="'
        + lanesBottom + '"><title>' + esc('step ' + last + ': ' + data.failure) + '</title></rect>');
      out.push('<text class="violation-label" x="' + (x(last) - 4) + '" y="' + (lanesBottom + 14) + '" text-anchor="end">'
        + esc(data.property + ' at step ' + last) + '</text>');
    }
    // Queues per device over the steps, with the limit.
    plots.forEach(function (p, k) {
      var yOf = function (v) { return p.y + PLOT_H - (v / p.top) * PLOT_H; };
      out.push('<g class="queue-plot" data-plot="' + k + '"><rect class="plot-bg" x="0" y="' + p.y + '" width="' + width + '" height="' + PLOT_H + '"/>');
      var pts = p.q.pts, path = '', prev = null;
      for (var j = 0; j < pts.length; j++) {
        var st = pts[j][0], val = pts[j][p.field];
        if (j + 1 < pts.length && pts[j + 1][0] < s0) { prev = val; continue; }
        if (prev === null) { path += 'M' + x(Math.max(st, s0)) + ',' + yOf(val); } else { path += 'L' + x(st) + ',' + yOf(prev) + 'L' + x(st) + ',' + yOf(val); }
        prev = val;
        if (st > s1) { break; }
      }
      if (prev !== null) { path += 'L' + x(Math.min(last, s1 + 1)) + ',' + yOf(prev); }
      out.push('<path class="queue-line" d="' + path + '"><title>' + esc(p.name + ', peak ' + p.peak) + '</title></path>');
      if (p.limit !== null) {
        out.push('<rect class="limit-line" x="0" width="' + width + '" y="' + (yOf(p.limit) - 1) + '" height="2"><title>'
          + esc(p.knob + ' ' + p.limit) + '</title></rect>');
        out.push('<text class="limit-label" x="' + (width - 6) + '" y="' + (yOf(p.limit) - 3) + '" text-anchor="end">'
          + esc(p.knob + ' ' + p.limit) + '</text>');
      } else {
        out.push('<text class="limit-label" x="' + (width - 6) + '" y="' + (p.y + 12) + '" text-anchor="end">no ' + esc(p.knob) + '</text>');
      }
      out.push('<text class="plot-peak" x="6" y="' + (p.y + 12) + '">peak ' + p.peak + '</text></g>');
    });
    svg.innerHTML = out.join('');
  }

  var queued = false;
  function schedule() {
    if (!queued) { queued = true; requestAnimationFrame(function () { queued = false; render(); }); }
  }
  function show(text) { details.textContent = text; }
  svg.addEventListener('mouseover', function (ev) {
    var t = ev.target.closest('[data-i],[data-hold],[data-wait],[data-from]');
    if (!t) { return; }
    if (t.hasAttribute('data-i')) { show(describe(+t.getAttribute('data-i'))); }
    else if (t.hasAttribute('data-from')) { show(describe(+t.getAttribute('data-from')) + '  \u2192  ' + describe(+t.getAttribute('data-to'))); }
    else { show(t.querySelector('title').textContent); }
  });
  svg.addEventListener('mouseout', function () { if (pinned >= 0) { show(describe(pinned)); } });
  svg.addEventListener('click', function (ev) {
    var t = ev.target.closest('[data-i]');
    pinned = t ? +t.getAttribute('data-i') : -1;
    if (pinned >= 0) { show(describe(pinned)); }
    render();
  });
  function zoom(factor) {
    var center = (scroller.scrollLeft + scroller.clientWidth / 2) / px;
    px = Math.min(64, Math.max(1, px * factor));
    spacer.style.width = (PAD * 2 + (last + 2) * px) + 'px';
    scroller.scrollLeft = center * px - scroller.clientWidth / 2;
    render();
  }
  document.getElementById('zoom-in').addEventListener('click', function () { zoom(1.5); });
  document.getElementById('zoom-out').addEventListener('click', function () { zoom(1 / 1.5); });
  document.getElementById('to-violation').addEventListener('click', function () { scroller.scrollLeft = scroller.scrollWidth; });
  scroller.addEventListener('scroll', schedule);
  window.addEventListener('resize', schedule);

  px = Math.min(24, Math.max(4, (scroller.clientWidth - 2 * PAD) / (last + 2)));
  spacer.style.width = (PAD * 2 + (last + 2) * px) + 'px';
  spacer.style.height = height + 'px';
  scroller.scrollLeft = scroller.scrollWidth; // the violation is at the end
  render();
  var ms = performance.now() - started;
  document.documentElement.setAttribute('data-render-ms', ms.toFixed(1));
  document.getElementById('render-info').textContent = events.length + ' events, ' + data.lanes.length + ' threads; drawn in '
    + ms.toFixed(0) + ' ms';
})();
