// app.js -- the page of `emb serve`: search with completion, neighbours,
// analogies and a zoomable 2-D map, all from the server's JSON API.
// Plain browser JavaScript, no libraries, no requests to other hosts.
'use strict';

const $ = (id) => document.getElementById(id);

// ---- API ------------------------------------------------------------------

async function api(path, body) {
  const init = body === undefined ? {} :
    { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) };
  const res = await fetch(path, init);
  let data = null;
  try { data = await res.json(); } catch (e) { /* not JSON */ }
  if (!res.ok) throw new Error((data && data.error) || ('HTTP ' + res.status));
  return data;
}

function status(msg) { $('status').textContent = msg || ''; }

// ---- result lists -----------------------------------------------------------

// Fill an <ol class="results"> with [{word, score}], each word clickable.
function showResults(ol, items) {
  ol.textContent = '';
  const max = Math.max(1e-9, ...items.map((r) => Math.abs(r.score)));
  items.forEach((r, i) => {
    const li = document.createElement('li');
    li.className = 'nb';
    const rank = document.createElement('span');
    rank.className = 'rank';
    rank.textContent = String(i + 1);
    const word = document.createElement('span');
    word.className = 'word';
    word.textContent = r.word;
    word.title = r.word;
    word.addEventListener('click', () => { $('q').value = r.word; search(r.word); });
    const bar = document.createElement('span');
    bar.className = 'bar';
    const fill = document.createElement('span');
    fill.style.width = (100 * Math.max(0, r.score) / max).toFixed(1) + '%';
    bar.appendChild(fill);
    const score = document.createElement('span');
    score.className = 'score';
    score.textContent = r.score.toFixed(4);
    li.append(rank, word, bar, score);
    ol.appendChild(li);
  });
}

// ---- search and completion -----------------------------------------------------

let searchSeq = 0;
async function search(q) {
  q = q.trim();
  if (!q) return;
  hideComplete();
  const k = Math.min(100, Math.max(1, parseInt($('k').value, 10) || 10));
  const seq = ++searchSeq;
  try {
    const r = await api('/v1/neighbors?q=' + encodeURIComponent(q) + '&k=' + k);
    if (seq !== searchSeq) return; // a newer search won
    status('');
    $('nb-title').textContent = 'Neighbours of “' + r.query + '”';
    showResults($('neighbors'), r.neighbors);
    map.select(q, r.neighbors.map((n) => n.word));
  } catch (e) {
    if (seq !== searchSeq) return;
    status(e.message);
    $('nb-title').textContent = 'Neighbours';
    $('neighbors').textContent = '';
    map.select(null, []);
  }
}

let completeItems = [], completeActive = -1, completeSeq = 0, completeTimer = 0;

function hideComplete() {
  $('complete').hidden = true;
  completeItems = [];
  completeActive = -1;
}

function renderComplete() {
  const ul = $('complete');
  ul.textContent = '';
  completeItems.forEach((w, i) => {
    const li = document.createElement('li');
    li.textContent = w;
    li.setAttribute('role', 'option');
    if (i === completeActive) li.className = 'active';
    // mousedown, not click: it fires before the input loses focus.
    li.addEventListener('mousedown', (ev) => { ev.preventDefault(); $('q').value = w; search(w); });
    ul.appendChild(li);
  });
  ul.hidden = completeItems.length === 0;
}

async function complete(prefix) {
  const seq = ++completeSeq;
  if (!prefix) { hideComplete(); return; }
  try {
    const r = await api('/v1/complete?prefix=' + encodeURIComponent(prefix) + '&n=8');
    if (seq !== completeSeq || $('q').value !== prefix) return;
    completeItems = r.words.filter((w) => w !== prefix);
    completeActive = -1;
    renderComplete();
  } catch (e) { hideComplete(); }
}

$('q').addEventListener('input', () => {
  clearTimeout(completeTimer);
  completeTimer = setTimeout(() => complete($('q').value), 80);
});
$('q').addEventListener('keydown', (ev) => {
  if ($('complete').hidden) return;
  if (ev.key === 'ArrowDown' || ev.key === 'ArrowUp') {
    const n = completeItems.length;
    if (ev.key === 'ArrowDown') completeActive = (completeActive + 1) % n;
    else completeActive = completeActive <= 0 ? n - 1 : completeActive - 1;
    renderComplete();
    ev.preventDefault();
  } else if (ev.key === 'Escape') {
    hideComplete();
  } else if (ev.key === 'Enter' && completeActive >= 0) {
    $('q').value = completeItems[completeActive];
  }
});
$('q').addEventListener('blur', () => setTimeout(hideComplete, 100));
$('search-form').addEventListener('submit', (ev) => { ev.preventDefault(); search($('q').value); });

// ---- analogy ----------------------------------------------------------------------

$('analogy-form').addEventListener('submit', async (ev) => {
  ev.preventDefault();
  const body = { a: $('an-a').value.trim(), b: $('an-b').value.trim(), c: $('an-c').value.trim(),
                 k: 10, method: $('an-method').value };
  try {
    const r = await api('/v1/analogy', body);
    status('');
    showResults($('analogy'), r.answers);
  } catch (e) {
    status(e.message);
    $('analogy').textContent = '';
  }
});

// ---- the map ------------------------------------------------------------------------

// Points in data coordinates; the view maps them to CSS pixels:
//   screen = (data - center) * scale + canvas centre   (y flipped)
const map = (() => {
  const canvas = $('map'), tip = $('tip');
  const ctx = canvas.getContext('2d');
  let words = [], xs = [], ys = [], index = new Map();
  let cx = 0, cy = 0, scale = 1, fitScale = 1;
  let selected = null, highlight = new Set(), hover = -1;
  let drag = null;

  const W = () => canvas.clientWidth, H = () => canvas.clientHeight;
  const toScreen = (i) => [(xs[i] - cx) * scale + W() / 2, H() / 2 - (ys[i] - cy) * scale];

  function fit() {
    if (!words.length) return;
    // Robust extent: ignore the 1% most extreme points on each side.
    const q = (arr, f) => { const s = [...arr].sort((a, b) => a - b); return s[Math.floor(f * (s.length - 1))]; };
    const x0 = q(xs, 0.01), x1 = q(xs, 0.99), y0 = q(ys, 0.01), y1 = q(ys, 0.99);
    cx = (x0 + x1) / 2;
    cy = (y0 + y1) / 2;
    fitScale = scale = 0.9 * Math.min(W() / Math.max(x1 - x0, 1e-9), H() / Math.max(y1 - y0, 1e-9));
  }

  function resize() {
    const dpr = window.devicePixelRatio || 1;
    canvas.width = Math.max(1, Math.round(W() * dpr));
    canvas.height = Math.max(1, Math.round(H() * dpr));
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    draw();
  }

  function draw() {
    ctx.fillStyle = '#ffffff';
    ctx.fillRect(0, 0, W(), H());
    if (!words.length) return;
    const n = words.length;
    // Points: frequent words (low rows) darker.
    for (let i = n - 1; i >= 0; i--) {
      const [x, y] = toScreen(i);
      if (x < -5 || y < -5 || x > W() + 5 || y > H() + 5) continue;
      const t = i / n;
      ctx.fillStyle = `rgba(47, 111, 222, ${0.85 - 0.55 * t})`;
      ctx.fillRect(x - 2, y - 2, 4, 4);
    }
    // Labels: more of them as one zooms in, most frequent first.
    const budget = Math.min(400, Math.round(25 * (scale / fitScale) ** 2));
    ctx.font = '12px system-ui, sans-serif';
    ctx.fillStyle = '#1d2330';
    let shown = 0;
    for (let i = 0; i < n && shown < budget; i++) {
      const [x, y] = toScreen(i);
      if (x < 0 || y < 0 || x > W() || y > H()) continue;
      ctx.fillText(words[i], x + 4, y - 3);
      shown++;
    }
    // The selected word and its neighbours.
    const sel = selected !== null && index.has(selected) ? index.get(selected) : -1;
    ctx.lineWidth = 1;
    for (const w of highlight) {
      const j = index.get(w);
      if (j === undefined) continue;
      const [x, y] = toScreen(j);
      if (sel >= 0) {
        const [sx, sy] = toScreen(sel);
        ctx.strokeStyle = 'rgba(232, 93, 4, 0.45)';
        ctx.beginPath(); ctx.moveTo(sx, sy); ctx.lineTo(x, y); ctx.stroke();
      }
      ctx.fillStyle = '#e85d04';
      ctx.beginPath(); ctx.arc(x, y, 4, 0, 2 * Math.PI); ctx.fill();
      ctx.fillStyle = '#7a2e00';
      ctx.fillText(w, x + 5, y - 4);
    }
    if (sel >= 0) {
      const [x, y] = toScreen(sel);
      ctx.fillStyle = '#c1121f';
      ctx.beginPath(); ctx.arc(x, y, 6, 0, 2 * Math.PI); ctx.fill();
      ctx.font = 'bold 13px system-ui, sans-serif';
      ctx.fillText(words[sel], x + 8, y - 6);
    }
    if (hover >= 0) {
      const [x, y] = toScreen(hover);
      ctx.strokeStyle = '#1d2330';
      ctx.beginPath(); ctx.arc(x, y, 5, 0, 2 * Math.PI); ctx.stroke();
    }
  }

  // Nearest point within 8 px of (x, y) in CSS pixels, or -1.
  function pick(x, y) {
    let best = -1, bd = 64;
    for (let i = 0; i < words.length; i++) {
      const [px, py] = toScreen(i);
      const d = (px - x) ** 2 + (py - y) ** 2;
      if (d < bd) { bd = d; best = i; }
    }
    return best;
  }

  const local = (ev) => { const r = canvas.getBoundingClientRect(); return [ev.clientX - r.left, ev.clientY - r.top]; };

  canvas.addEventListener('wheel', (ev) => {
    ev.preventDefault();
    const [x, y] = local(ev);
    // Keep the data point under the cursor fixed while zooming.
    const dx = (x - W() / 2) / scale + cx, dy = (H() / 2 - y) / scale + cy;
    scale *= Math.exp(-ev.deltaY * 0.0015);
    scale = Math.min(Math.max(scale, fitScale * 0.2), fitScale * 500);
    cx = dx - (x - W() / 2) / scale;
    cy = dy - (H() / 2 - y) / scale;
    draw();
  }, { passive: false });

  canvas.addEventListener('mousedown', (ev) => {
    const [x, y] = local(ev);
    drag = { x, y, cx, cy, moved: false };
    canvas.classList.add('dragging');
  });
  window.addEventListener('mouseup', (ev) => {
    if (!drag) return;
    canvas.classList.remove('dragging');
    const d = drag;
    drag = null;
    if (!d.moved && ev.target === canvas) {
      const [x, y] = local(ev);
      const i = pick(x, y);
      if (i >= 0) { $('q').value = words[i]; search(words[i]); }
    }
  });
  canvas.addEventListener('mousemove', (ev) => {
    const [x, y] = local(ev);
    if (drag) {
      if (Math.abs(x - drag.x) + Math.abs(y - drag.y) > 3) drag.moved = true;
      cx = drag.cx - (x - drag.x) / scale;
      cy = drag.cy + (y - drag.y) / scale;
      tip.hidden = true;
      draw();
      return;
    }
    const i = pick(x, y);
    if (i !== hover) { hover = i; draw(); }
    if (i >= 0) {
      tip.textContent = words[i];
      tip.style.left = (x + 12) + 'px';
      tip.style.top = (y + 12) + 'px';
      tip.hidden = false;
    } else {
      tip.hidden = true;
    }
  });
  canvas.addEventListener('mouseleave', () => { tip.hidden = true; if (hover >= 0) { hover = -1; draw(); } });
  window.addEventListener('resize', resize);

  async function load(n) {
    try {
      const r = await api('/v1/map?n=' + n);
      words = r.words; xs = r.x; ys = r.y;
      index = new Map(words.map((w, i) => [w, i]));
      fit();
      resize();
      document.body.dataset.mapPoints = String(words.length);
    } catch (e) {
      status('map: ' + e.message);
    }
  }

  return {
    load,
    reset() { fit(); draw(); },
    select(word, neighbours) { selected = word; highlight = new Set(neighbours); draw(); },
    // Where a word's point is, in page pixels (null if not on the map);
    // used by the end-to-end test to hover and click like a user.
    screenOf(word) {
      if (!index.has(word)) return null;
      const [x, y] = toScreen(index.get(word)), r = canvas.getBoundingClientRect();
      return [x + r.left, y + r.top];
    },
  };
})();
window.embMap = map;

$('map-reset').addEventListener('click', () => map.reset());
$('map-n').addEventListener('change', () => map.load(parseInt($('map-n').value, 10)));

// ---- start ----------------------------------------------------------------------------

(async () => {
  try {
    const info = await api('/v1/info');
    $('info').textContent = `${info.model} · ${info.count.toLocaleString()} vectors · dimension ${info.dim}` +
      (info.index ? ` · ${info.index.type} index` : ' · exact search');
    const sel = $('map-n');
    for (const o of [...sel.options]) if (parseInt(o.value, 10) > info.map_size) o.remove();
    if (!sel.options.length) sel.add(new Option(String(info.map_size)));
    if (!sel.value) sel.value = sel.options[sel.options.length - 1].value;
    await map.load(Math.min(parseInt(sel.value, 10) || info.map_size, info.map_size));
  } catch (e) {
    status(e.message);
  }
})();
