// The page served at `/`: translate and transcribe with the server's models, and the attention
// explorer — encoder self-attention, decoder self-attention and cross-attention of the current
// input side by side as heatmaps (POST /v1/attention), per layer and head or averaged, with a
// step control that replays the decoder writing one token at a time while reading the
// encoder's memory. Plain HTML, CSS and JavaScript: nothing is fetched from elsewhere.
// `/?model=NAME&text=TEXT` opens it on that input and runs it.
enum WebPage {
    static let html = #"""
<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>seq2seq — translate, transcribe, attention explorer</title>
<style>
  body { font-family: system-ui, "DejaVu Sans", Helvetica, Arial, sans-serif; margin: 0; color: #1b1f24; background: #f6f7f9; }
  header { background: #0b2e59; color: white; padding: 10px 18px; display: flex; align-items: baseline; gap: 14px; }
  header h1 { font-size: 18px; margin: 0; }
  header span { opacity: .8; font-size: 13px; }
  main { padding: 12px 18px; }
  .input { display: flex; flex-wrap: wrap; gap: 10px; align-items: flex-start; background: white; padding: 10px; border-radius: 6px; box-shadow: 0 1px 2px #0002; }
  textarea { width: 460px; height: 54px; font: inherit; }
  button { font: inherit; padding: 4px 12px; cursor: pointer; }
  #output { margin: 10px 0; font-size: 17px; min-height: 22px; }
  #status { color: #555; font-size: 13px; }
  #status.error { color: #b00020; }
  .strip { margin: 6px 0; line-height: 2; }
  .strip b { font-size: 12px; color: #555; margin-right: 6px; }
  .tok { padding: 2px 4px; margin: 1px; border-radius: 3px; border: 1px solid #ccd; font-family: "DejaVu Sans Mono", monospace; font-size: 13px; cursor: default; }
  .tok.current { outline: 2px solid #e07000; }
  .tok.future { opacity: .3; }
  #controls { display: flex; gap: 10px; align-items: center; margin: 8px 0; font-size: 14px; }
  #step { width: 320px; }
  #panels { display: flex; flex-wrap: wrap; gap: 14px; align-items: flex-start; }
  .panel { background: white; border-radius: 6px; box-shadow: 0 1px 2px #0002; padding: 8px; }
  .panel h2 { font-size: 15px; margin: 0 0 4px 0; }
  .panel .opts { font-size: 13px; margin-bottom: 4px; }
  .panel .shape { color: #666; font-size: 12px; }
  .note { color: #555; font-size: 12px; max-width: 420px; }
  canvas { display: block; }
  #tip { position: fixed; pointer-events: none; background: #222; color: white; font-size: 12px; padding: 2px 6px; border-radius: 3px; display: none; }
</style>
</head>
<body>
<header><h1>seq2seq</h1><span>translate · transcribe · attention explorer</span></header>
<main>
<div class="input">
  <label>Model <select id="model"></select></label>
  <div id="textbox"><textarea id="text" placeholder="A sentence to translate">The green house is next to the old church.</textarea></div>
  <div id="audiobox" hidden><input id="audio" type="file" accept="audio/*,.wav,.flac,.ogg,.opus,.mp3,.m4a,.aac"></div>
  <button id="run">Translate</button>
  <button id="explore">Explore attention</button>
</div>
<div id="output"></div>
<div id="status"></div>
<div id="explorer" hidden>
  <div class="strip" id="sourceStrip"></div>
  <div class="strip" id="targetStrip"></div>
  <div id="controls">
    <label>Step <input id="step" type="range" min="1" max="1" value="1"></label>
    <button id="prev">◀</button><button id="next">▶</button><button id="play">Play</button>
    <span id="stepText"></span>
    <label><input id="rowScale" type="checkbox"> scale each row to its maximum</label>
  </div>
  <div id="panels"></div>
</div>
<div id="tip"></div>
</main>
<script>
"use strict";
const $ = id => document.getElementById(id);
let models = [], data = null, step = 0, hoverRow = null, panels = [], timer = null;
const kinds = [
  { kind: "encoder-self", key: "encoder_self", title: "Encoder self-attention", rows: d => d.source_tokens, cols: d => d.source_tokens, causal: false },
  { kind: "decoder-self", key: "decoder_self", title: "Decoder self-attention (causal)", rows: d => d.target_tokens, cols: d => d.decoder_input_tokens, causal: true },
  { kind: "cross", key: "cross", title: "Cross-attention (target × source)", rows: d => d.target_tokens, cols: d => d.source_tokens, causal: true },
];

function status(text, error) { $("status").textContent = text; $("status").className = error ? "error" : ""; }
function current() { return models.find(m => m.id === $("model").value); }
function speech() { const m = current(); return m && m.task === "transcription"; }
function updateMode() {
  $("textbox").hidden = speech(); $("audiobox").hidden = !speech();
  $("run").textContent = speech() ? "Transcribe" : "Translate";
}

async function loadModels() {
  const r = await fetch("/v1/models");
  const j = await r.json();
  models = j.data || [];
  const select = $("model");
  select.innerHTML = "";
  for (const m of models) {
    const o = document.createElement("option");
    o.value = m.id; o.textContent = `${m.id} (${m.task})`;
    select.appendChild(o);
  }
}

async function post(url, body) {
  const init = body instanceof FormData ? { method: "POST", body }
    : { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body) };
  const r = await fetch(url, init);
  const j = await r.json();
  if (!r.ok) throw new Error(j.error || r.statusText);
  return j;
}

function audioForm(extra) {
  const file = $("audio").files[0];
  if (!file) throw new Error("choose an audio file");
  const form = new FormData();
  form.append("model", current().id);
  form.append("file", file);
  for (const [k, v] of extra) form.append(k, v);
  return form;
}

async function run(explore) {
  if (!current()) { status("this server has no models", true); return; }
  status(explore ? "computing attention…" : "working…");
  try {
    if (speech()) {
      if (explore) show(await post("/v1/attention", audioForm([])));
      else {
        const j = await post("/v1/audio/transcriptions", audioForm([["response_format", "verbose_json"], ["timestamp_granularities[]", "word"]]));
        $("output").textContent = j.text;
      }
    } else {
      const text = $("text").value;
      if (explore) show(await post("/v1/attention", { model: current().id, text }));
      else {
        const j = await post("/v1/translate", { model: current().id, text });
        $("output").textContent = j.translations.map(t => t.text).join("\n");
      }
    }
    status("");
  } catch (e) { status(e.message, true); }
}

// [L][H][Q][K] → [Q][K] of one layer and head; "mean" averages over that axis.
function matrix(w, layer, head) {
  const layers = layer === "mean" ? w.map((_, i) => i) : [Number(layer)];
  const heads = head === "mean" ? w[0].map((_, i) => i) : [Number(head)];
  const q = w[0][0].length, k = q ? w[0][0][0].length : 0;
  const out = Array.from({ length: q }, () => new Float64Array(k));
  const n = layers.length * heads.length;
  for (const l of layers) for (const h of heads) {
    const m = w[l][h];
    for (let i = 0; i < q; i++) for (let j = 0; j < k; j++) out[i][j] += m[i][j] / n;
  }
  return out;
}

function color(x) {
  const t = Math.max(0, Math.min(1, x));
  const r = Math.round(255 - t * 247), g = Math.round(255 - t * 207), b = Math.round(255 - t * 148);
  return `rgb(${r},${g},${b})`;
}

function select(label, count, value) {
  const s = document.createElement("select");
  const all = document.createElement("option"); all.value = "mean"; all.textContent = "mean"; s.appendChild(all);
  for (let i = 0; i < count; i++) { const o = document.createElement("option"); o.value = i; o.textContent = i; s.appendChild(o); }
  s.value = value;
  const wrap = document.createElement("label"); wrap.textContent = ` ${label} `; wrap.appendChild(s);
  return [wrap, s];
}

function show(j) {
  data = j;
  $("output").textContent = j.text;
  $("explorer").hidden = false;
  $("rowScale").checked = !!j.words;  // audio: each row's weight is spread over many frames
  const T = j.target_tokens.length;
  $("step").max = Math.max(T, 1); $("step").value = Math.max(T, 1); step = Math.max(T, 1); hoverRow = null;
  const box = $("panels"); box.innerHTML = ""; panels = [];
  for (const k of kinds) {
    const w = j[k.key] || [];
    const div = document.createElement("div"); div.className = "panel";
    const h2 = document.createElement("h2"); h2.textContent = k.title; div.appendChild(h2);
    const opts = document.createElement("div"); opts.className = "opts"; div.appendChild(opts);
    const canvas = document.createElement("canvas");
    canvas.dataset.attention = k.kind;
    const p = { ...k, w, canvas, div, rowLabels: k.rows(j), colLabels: k.cols(j) };
    if (k.kind === "encoder-self" && j.seconds_per_encoder_block && w.length) {
      const blocks = w[0][0].length, per = j.seconds_per_encoder_block;
      p.rowLabels = p.colLabels = Array.from({ length: blocks }, (_, b) => `${(b * per).toFixed(1)}s`);
    }
    if (w.length) {
      const [lw, ls] = select("layer", w.length, String(w.length - 1));
      const [hw, hs] = select("head", w[0].length, "mean");
      opts.appendChild(lw); opts.appendChild(hw);
      p.layer = ls; p.head = hs;
      ls.onchange = hs.onchange = () => { draw(p); strips(); };
      const shape = document.createElement("span"); shape.className = "shape";
      shape.textContent = `  [${w.length}][${w[0].length}][${w[0][0].length}][${w[0][0].length ? w[0][0][0].length : 0}]`;
      opts.appendChild(shape);
    }
    const note = j[k.key + "_note"];
    if (note) { const n = document.createElement("div"); n.className = "note"; n.textContent = note; div.appendChild(n); }
    div.appendChild(canvas);
    box.appendChild(div);
    canvas.addEventListener("mousemove", e => hover(p, e));
    canvas.addEventListener("mouseleave", () => { $("tip").style.display = "none"; });
    panels.push(p);
  }
  redraw();
}

// Cell width and height: square cells, unless the audio's many frames need narrow columns.
function layout(p, q, k) {
  const audio = !!data.words, width = audio && p.kind === "cross" ? 760 : 430;
  let cw = Math.max(2, Math.min(24, Math.floor(width / Math.max(k, 1))));
  let ch = Math.max(2, Math.min(24, Math.floor(430 / Math.max(q, 1))));
  if (!(audio && p.kind === "cross")) cw = ch = Math.min(cw, ch);
  const ctx = p.canvas.getContext("2d");
  ctx.font = "12px sans-serif";
  const longest = labels => Math.min(110, Math.max(20, ...labels.map(s => ctx.measureText(s).width)));
  return { cw, ch, everyX: Math.ceil(14 / cw), everyY: Math.ceil(13 / ch), left: longest(p.rowLabels) + 10, top: longest(p.colLabels) * 0.75 + 16 };
}

function draw(p) {
  const c = p.canvas;
  if (!p.w.length) {
    c.width = 1; c.height = 1;
    c.dataset.rows = 0; c.dataset.cols = 0;
    return;
  }
  const m = matrix(p.w, p.layer.value, p.head.value);
  const q = m.length, k = q ? m[0].length : 0;
  Object.assign(c.dataset, { rows: q, cols: k, layer: p.layer.value, head: p.head.value });
  const L = layout(p, q, k);
  p.geometry = L; p.matrix = m;
  const words = p.kind === "cross" && data.words ? data.words : null;
  c.width = L.left + k * L.cw + 10;
  c.height = L.top + q * L.ch + (words ? 34 : 8);
  const ctx = c.getContext("2d");
  ctx.fillStyle = "white"; ctx.fillRect(0, 0, c.width, c.height);
  ctx.font = "12px sans-serif"; ctx.fillStyle = "#222";
  for (let j = 0; j < k; j += L.everyX) {
    ctx.save(); ctx.translate(L.left + j * L.cw + Math.min(L.cw, 14) * 0.6, L.top - 4); ctx.rotate(-Math.PI / 3);
    ctx.fillText(p.colLabels[j] || "", 0, 0); ctx.restore();
  }
  ctx.textAlign = "right";
  for (let i = 0; i < q; i += L.everyY) ctx.fillText(p.rowLabels[i] || "", L.left - 4, L.top + i * L.ch + Math.min(L.ch, 13) * 0.5 + 4);
  const scaled = $("rowScale").checked;
  for (let i = 0; i < q; i++) {
    const future = p.causal && i >= step;
    let max = 1;
    if (scaled) { max = 0; for (let j = 0; j < k; j++) max = Math.max(max, m[i][j]); max = max || 1; }
    for (let j = 0; j < k; j++) {
      ctx.fillStyle = color(m[i][j] / max);
      ctx.globalAlpha = future ? 0.12 : 1;
      ctx.fillRect(L.left + j * L.cw, L.top + i * L.ch, L.cw, L.ch);
    }
  }
  ctx.globalAlpha = 1;
  ctx.strokeStyle = "#ccd"; ctx.strokeRect(L.left, L.top, k * L.cw, q * L.ch);
  const row = focusRow();
  if (p.causal && row !== null && row < q) {
    ctx.strokeStyle = "#e07000"; ctx.lineWidth = 2;
    ctx.strokeRect(L.left, L.top + row * L.ch, k * L.cw, L.ch); ctx.lineWidth = 1;
  }
  if (words) {
    ctx.textAlign = "left"; ctx.fillStyle = "#0b2e59";
    const per = data.seconds_per_source_column || 0.02;
    words.forEach((w, n) => {
      const x = L.left + w.start / per * L.cw;
      ctx.fillRect(x, L.top + q * L.ch + 2, 1, 8);
      ctx.fillText(w.word.trim(), x + 2, L.top + q * L.ch + (n % 2 ? 28 : 16));
    });
  }
}

function focusRow() { return hoverRow !== null ? hoverRow : step - 1; }

function strips() {
  if (!data) return;
  const cross = panels.find(p => p.kind === "cross");
  const row = focusRow();
  const weights = cross && cross.matrix && row >= 0 && row < cross.matrix.length ? cross.matrix[row] : null;
  const src = $("sourceStrip"); src.innerHTML = "<b>source</b>";
  const audio = !!data.words;
  if (audio) {
    for (const w of data.words) {
      const s = document.createElement("span"); s.className = "tok";
      const per = data.seconds_per_source_column || 0.02;
      let sum = 0;
      if (weights) for (let j = Math.floor(w.start / per); j < Math.min(weights.length, Math.ceil(w.end / per)); j++) sum += weights[j];
      s.style.background = color(Math.min(1, sum));
      s.style.color = sum > 0.55 ? "white" : "black";
      s.textContent = `${w.word.trim()} ${w.start.toFixed(2)}–${w.end.toFixed(2)}s`;
      s.title = `weight on this word's frames: ${sum.toFixed(3)}`;
      src.appendChild(s);
    }
  } else {
    data.source_tokens.forEach((t, j) => {
      const s = document.createElement("span"); s.className = "tok"; s.textContent = t;
      const x = weights ? weights[j] : 0;
      s.style.background = color(x); s.style.color = x > 0.55 ? "white" : "black";
      s.title = weights ? `weight ${x.toFixed(3)}` : "";
      src.appendChild(s);
    });
  }
  const tgt = $("targetStrip"); tgt.innerHTML = "<b>target</b>";
  data.target_tokens.forEach((t, i) => {
    const s = document.createElement("span");
    s.className = "tok" + (i === row ? " current" : "") + (i >= step ? " future" : "");
    s.textContent = t;
    s.addEventListener("mouseenter", () => { hoverRow = i; redraw(); });
    s.addEventListener("mouseleave", () => { hoverRow = null; redraw(); });
    tgt.appendChild(s);
  });
  $("stepText").textContent = `token ${step} of ${data.target_tokens.length}: “${data.target_tokens[step - 1] || ""}”`;
}

function redraw() { for (const p of panels) draw(p); strips(); }

function hover(p, e) {
  const g = p.geometry; if (!g) return;
  const rect = p.canvas.getBoundingClientRect();
  const i = Math.floor((e.clientY - rect.top - g.top) / g.ch), j = Math.floor((e.clientX - rect.left - g.left) / g.cw);
  const tip = $("tip");
  if (i < 0 || j < 0 || i >= p.matrix.length || j >= p.matrix[0].length) { tip.style.display = "none"; return; }
  tip.textContent = `${p.rowLabels[i]} → ${p.colLabels[j]}: ${p.matrix[i][j].toFixed(4)}`;
  tip.style.left = (e.clientX + 12) + "px"; tip.style.top = (e.clientY + 12) + "px"; tip.style.display = "block";
  if (p.causal && hoverRow !== i) { hoverRow = i; redraw(); }
}

function setStep(s) {
  if (!data) return;
  step = Math.max(1, Math.min(data.target_tokens.length, s));
  $("step").value = step; hoverRow = null; redraw();
}

$("model").onchange = updateMode;
$("run").onclick = () => run(false);
$("explore").onclick = () => run(true);
$("step").oninput = e => setStep(Number(e.target.value));
$("prev").onclick = () => setStep(step - 1);
$("next").onclick = () => setStep(step + 1);
$("rowScale").onchange = redraw;
$("play").onclick = () => {
  if (timer) { clearInterval(timer); timer = null; $("play").textContent = "Play"; return; }
  setStep(1); $("play").textContent = "Stop";
  timer = setInterval(() => {
    if (!data || step >= data.target_tokens.length) { clearInterval(timer); timer = null; $("play").textContent = "Play"; return; }
    setStep(step + 1);
  }, 600);
};

(async () => {
  try { await loadModels(); } catch (e) { status("cannot list models: " + e.message, true); return; }
  const params = new URLSearchParams(location.search);
  if (params.get("model")) $("model").value = params.get("model");
  if (params.get("text")) $("text").value = params.get("text");
  updateMode();
  if (params.get("model") && params.get("text") && !speech()) await run(true);
})();
</script>
</body>
</html>
"""#
}
