// The page of `ganzoo export --format web`: draws from generator.onnx in the visitor's browser
// with onnxruntime-web (WebAssembly; WebGPU where the browser has it and it agrees with
// WebAssembly). Latents come from latents.js, the rule ganzoo and ganzoo-edge share, so
// ?seed=S draws what `ganzoo-edge --seed S` draws. When the first grid is drawn the page sets
// document.title to "drawn" (or "error: ..."), and window.ganzoo holds its pixels, for tests.

import { latents } from "./latents.js";

const GRID_PADDING = 2;        // as ganzoo_edge.grid
const MAX_CLASS_COLUMNS = 10;  // as ganzoo_edge.grid_columns
const MIN_WIDTH = 256;         // a downloaded grid is scaled up (nearest) to at least this
const WALK_FRAMES = 16;        // frames between the two seeds of the walk, as `ganzoo interpolate`
const WEBGPU_TOLERANCE = 2;    // pixel levels WebGPU may differ from WebAssembly by

const $ = (id) => document.getElementById(id);
const state = { meta: null, sessions: {}, backend: "wasm", check: null, walkTimer: null };
window.ganzoo = state;

function fail(error) {
  const message = error && error.message ? error.message : String(error);
  document.title = `error: ${message}`;
  $("status").textContent = message;
  $("status").className = "error";
  console.error(error);
}

// Float output in [-1, 1] to pixels exactly as ganzoo_edge.to_uint8: round((x + 1) * 127.5)
// in float32, ties to even (numpy's rint), clipped to 0..255.
function toUint8(data) {
  if (data instanceof Uint8Array) return data;
  const pixels = new Uint8Array(data.length);
  for (let i = 0; i < data.length; i++) {
    const v = Math.fround(Math.fround(data[i] + 1) * 127.5);
    let r = Math.round(v);
    if (r - v === 0.5 && r % 2 !== 0) r -= 1;  // a tie rounded up to odd: to even instead
    pixels[i] = Math.min(255, Math.max(0, r));
  }
  return pixels;
}

function params() {
  const query = new URLSearchParams(location.search);
  const meta = state.meta;
  const n = Math.max(1, Math.min(256, parseInt(query.get("n") || "16", 10) || 16));
  const seed = BigInt(/^\d+$/.test(query.get("seed") || "") ? query.get("seed") : "0");
  let label = null;
  const named = query.get("label");
  if (named !== null && named !== "") {
    label = meta.class_names.indexOf(named);
    if (label < 0 && /^\d+$/.test(named)) label = parseInt(named, 10);
    if (!meta.num_classes) throw new Error(`this generator is unconditional; label=${named} cannot be drawn`);
    if (label < 0 || label >= meta.num_classes) {
      throw new Error(`label=${named} is not a class of this generator (${meta.class_names.join(", ")})`);
    }
  }
  const truncation = parseFloat(query.get("truncation") || "0") || 0;
  const backend = query.get("backend") || "auto";
  if (!["auto", "wasm", "webgpu"].includes(backend)) {
    throw new Error(`backend=${backend}: expected auto, wasm or webgpu`);
  }
  return { n, seed, label, truncation, backend };
}

async function session(ort, backend) {
  if (!state.sessions[backend]) {
    state.sessions[backend] = await ort.InferenceSession.create("generator.onnx",
      { executionProviders: [backend] });
  }
  return state.sessions[backend];
}

// Run the generator on latents `z` (Float32Array [count, latentDim]) and labels; pixels out.
async function run(ort, backend, z, labels, count) {
  const meta = state.meta;
  const dim = meta.latent_dim;
  const batch = meta.batch === "dynamic" ? count : parseInt(meta.batch, 10);
  const perImage = meta.image_shape.reduce((a, b) => a * b, 1);
  const pixels = new Uint8Array(count * perImage);
  const s = await session(ort, backend);
  for (let start = 0; start < count; start += batch) {
    const size = Math.min(batch, count - start);
    // A fixed batch is filled up by repeating its last latent, as ganzoo_edge does.
    const zChunk = new Float32Array(batch * dim);
    const labelChunk = new Int32Array(batch);
    for (let i = 0; i < batch; i++) {
      const source = start + Math.min(i, size - 1);
      zChunk.set(z.subarray(source * dim, (source + 1) * dim), i * dim);
      if (labels) labelChunk[i] = labels[source];
    }
    const feeds = { z: new ort.Tensor("float32", zChunk, [batch, dim]) };
    if (meta.num_classes) feeds.label = new ort.Tensor("int32", labelChunk, [batch]);
    const output = await s.run(feeds);
    const image = output[meta.output_name];
    pixels.set(toUint8(image.data).subarray(0, size * perImage), start * perImage);
  }
  return pixels;
}

function gridColumns(count, label) {
  const classes = state.meta.num_classes;
  if (classes && label === null) return Math.min(classes, MAX_CLASS_COLUMNS);
  return Math.ceil(Math.sqrt(count));
}

// Pixels [count, h, w, c] into one picture on `canvas`, laid out as ganzoo_edge.grid.
function drawGrid(canvas, pixels, count, columns) {
  const [h, w, c] = state.meta.image_shape;
  const rows = Math.ceil(count / columns);
  canvas.width = columns * (w + GRID_PADDING) + GRID_PADDING;
  canvas.height = rows * (h + GRID_PADDING) + GRID_PADDING;
  const context = canvas.getContext("2d");
  const picture = context.createImageData(canvas.width, canvas.height);
  picture.data.fill(0);
  for (let i = 3; i < picture.data.length; i += 4) picture.data[i] = 255;
  for (let index = 0; index < count; index++) {
    const top = GRID_PADDING + Math.floor(index / columns) * (h + GRID_PADDING);
    const left = GRID_PADDING + (index % columns) * (w + GRID_PADDING);
    for (let y = 0; y < h; y++) {
      for (let x = 0; x < w; x++) {
        const from = ((index * h + y) * w + x) * c;
        const to = ((top + y) * canvas.width + left + x) * 4;
        for (let k = 0; k < 3; k++) picture.data[to + k] = pixels[from + (c === 1 ? 0 : k)];
      }
    }
  }
  context.putImageData(picture, 0, 0);
  // Shown at a whole multiple of its size, so pixels stay square at any zoom.
  const scale = Math.max(1, Math.floor(Math.min(640, window.innerWidth * 0.96) / canvas.width));
  canvas.style.width = `${canvas.width * scale}px`;
}

function slerp(a, b, t) {  // spherical interpolation, as ganzoo.sampling.slerp (White 2016)
  let dot = 0, na = 0, nb = 0;
  for (let i = 0; i < a.length; i++) { dot += a[i] * b[i]; na += a[i] * a[i]; nb += b[i] * b[i]; }
  const omega = Math.acos(Math.min(1, Math.max(-1, dot / Math.max(Math.sqrt(na * nb), 1e-12))));
  const out = new Float32Array(a.length);
  for (let i = 0; i < a.length; i++) {
    out[i] = omega < 1e-6 ? (1 - t) * a[i] + t * b[i]
      : (Math.sin((1 - t) * omega) * a[i] + Math.sin(t * omega) * b[i]) / Math.sin(omega);
  }
  return out;
}

async function checkWebGPU(ort, z, labels, count, reference) {
  // WebGPU only where the browser has it, and only once it has drawn what WebAssembly drew.
  if (!("gpu" in navigator)) return { used: false, reason: "this browser has no WebGPU" };
  try {
    if (!(await navigator.gpu.requestAdapter())) {
      return { used: false, reason: "no WebGPU adapter here" };
    }
    const pixels = await run(ort, "webgpu", z, labels, count);
    let maxDiff = 0;
    for (let i = 0; i < pixels.length; i++) maxDiff = Math.max(maxDiff, Math.abs(pixels[i] - reference[i]));
    return maxDiff <= WEBGPU_TOLERANCE ? { used: true, maxDiff }
      : { used: false, maxDiff, reason: `WebGPU differed from WebAssembly by ${maxDiff} levels` };
  } catch (error) {
    return { used: false, reason: `WebGPU failed: ${error.message || error}` };
  }
}

async function draw(ort, options) {
  const meta = state.meta;
  const { n, seed, label, truncation } = options;
  const indices = [...Array(n).keys()];
  const z = latents(indices, meta.latent_dim, seed, truncation > 0 ? truncation : null);
  const labels = meta.num_classes
    ? Int32Array.from(indices, (i) => (label === null ? i % meta.num_classes : label)) : null;
  const started = performance.now();
  let pixels = await run(ort, state.backend, z, labels, n);
  if (options.backend === "auto" && state.check === null) {
    state.check = await checkWebGPU(ort, z, labels, n, pixels);
    if (state.check.used) state.backend = "webgpu";
  }
  const seconds = (performance.now() - started) / 1000;
  drawGrid($("grid"), pixels, n, gridColumns(n, label));
  state.pixels = pixels;
  state.shape = [n, ...meta.image_shape];
  const checked = state.check && !state.check.used ? ` (${state.check.reason})` : "";
  $("status").textContent = `${n} pictures of seed ${seed} in ${seconds.toFixed(2)} s on ` +
    `${state.backend === "webgpu" ? "WebGPU" : "WebAssembly"}${checked}.`;
}

async function walk(ort, options) {
  clearInterval(state.walkTimer);
  const meta = state.meta;
  const to = BigInt($("walk-to").value || "1");
  const a = latents([0], meta.latent_dim, options.seed);
  const b = latents([0], meta.latent_dim, to);
  const frames = new Float32Array(WALK_FRAMES * meta.latent_dim);
  for (let f = 0; f < WALK_FRAMES; f++) frames.set(slerp(a, b, f / (WALK_FRAMES - 1)), f * meta.latent_dim);
  const labels = meta.num_classes
    ? new Int32Array(WALK_FRAMES).fill(options.label === null ? 0 : options.label) : null;
  const pixels = await run(ort, state.backend, frames, labels, WALK_FRAMES);
  const perImage = meta.image_shape.reduce((x, y) => x * y, 1);
  let frame = 0, step = 1;
  const canvas = $("walk");
  state.walkTimer = setInterval(() => {
    drawGrid(canvas, pixels.subarray(frame * perImage, (frame + 1) * perImage), 1, 1);
    canvas.style.width = "192px";
    if (frame + step < 0 || frame + step >= WALK_FRAMES) step = -step;  // back and forth
    frame += step;
  }, 100);
}

function download() {
  const source = $("grid");
  const scale = Math.max(1, Math.ceil(MIN_WIDTH / source.width));
  const big = document.createElement("canvas");
  big.width = source.width * scale;
  big.height = source.height * scale;
  const context = big.getContext("2d");
  context.imageSmoothingEnabled = false;
  context.drawImage(source, 0, 0, big.width, big.height);
  const link = document.createElement("a");
  link.download = `ganzoo-seed-${$("seed").value}.png`;
  link.href = big.toDataURL("image/png");
  link.click();
}

function setQuery(changes) {
  const query = new URLSearchParams(location.search);
  for (const [key, value] of Object.entries(changes)) {
    if (value === null || value === "") query.delete(key); else query.set(key, value);
  }
  history.replaceState(null, "", `?${query}`);
}

async function main() {
  const ort = await import("./ort/ort.webgpu.min.mjs");
  ort.env.wasm.wasmPaths = new URL("./ort/", location.href).href;
  // Threads need cross-origin isolation (the headers `ganzoo serve` sends); else one thread.
  ort.env.wasm.numThreads = self.crossOriginIsolated ? Math.min(4, navigator.hardwareConcurrency || 1) : 1;
  const response = await fetch("model.json");
  if (!response.ok) throw new Error(`model.json: HTTP ${response.status}`);
  state.meta = await response.json();
  const meta = state.meta;
  $("name").textContent = `${meta.architecture} on ${meta.data}, step ${meta.training_step}`;
  let options = params();
  if (options.backend === "webgpu") state.backend = "webgpu";
  if (meta.num_classes) {
    $("class-picker").hidden = false;
    const select = $("label");
    select.add(new Option("every class", ""));
    meta.class_names.forEach((name, i) => select.add(new Option(name || String(i), name || String(i))));
    select.value = options.label === null ? "" : (meta.class_names[options.label] || String(options.label));
  }
  $("seed").value = String(options.seed);
  $("n").value = String(options.n);
  $("truncation").value = String(options.truncation);
  const showTruncation = () => {
    const value = parseFloat($("truncation").value);
    $("truncation-value").textContent = value > 0 ? value.toFixed(2) : "off";
  };
  showTruncation();
  await draw(ort, options);
  document.title = "drawn";
  const redraw = async () => {
    try {
      setQuery({ seed: $("seed").value, n: $("n").value,
                 label: meta.num_classes ? $("label").value : null,
                 truncation: parseFloat($("truncation").value) > 0 ? $("truncation").value : null });
      options = params();
      await draw(ort, options);
    } catch (error) { fail(error); }
  };
  $("draw").onclick = redraw;
  $("reroll").onclick = () => { $("seed").value = String(Math.floor(Math.random() * 2 ** 31)); redraw(); };
  $("truncation").oninput = showTruncation;
  $("truncation").onchange = redraw;
  $("label").onchange = redraw;
  $("download").onclick = download;
  $("walk-button").onclick = () => walk(ort, options).catch(fail);
  walk(ort, options).catch(fail);
}

main().catch(fail);
