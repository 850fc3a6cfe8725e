// The page of `byteformer serve`: no framework, no build step, nothing loaded from elsewhere.
// Each file goes in its own request, so that one bad file shows its own error and the server's
// micro-batching joins them into forward passes.
"use strict";

const TOP_K = 5;
const modelSelect = document.getElementById("model");
const modelInfo = document.getElementById("model-info");
const keyRow = document.getElementById("key-row");
const keyInput = document.getElementById("api-key");
const drop = document.getElementById("drop");
const picker = document.getElementById("files");
const statusLine = document.getElementById("status");
const results = document.getElementById("results");
let models = [];

function headers(extra) {
  const h = Object.assign({}, extra);
  if (keyInput.value) h["Authorization"] = "Bearer " + keyInput.value;
  return h;
}

function el(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

function bytes(n) {
  return n < 1024 ? n + " B" : n < 1048576 ? (n / 1024).toFixed(1) + " KB" : (n / 1048576).toFixed(1) + " MB";
}

async function errorMessage(response) {
  try {
    const body = await response.json();
    if (body && body.error) return body.error;
  } catch (_) { /* not JSON */ }
  return "HTTP " + response.status;
}

async function loadModels() {
  const response = await fetch("/v1/models", { headers: headers() });
  if (response.status === 401) {
    keyRow.hidden = false;
    statusLine.textContent = "This service needs an API key: enter it above.";
    keyInput.focus();
    return;
  }
  if (!response.ok) {
    statusLine.textContent = "Cannot list the models: " + await errorMessage(response);
    return;
  }
  models = (await response.json()).models;
  modelSelect.replaceChildren(...models.map(m => { const o = el("option", "", m.name); o.value = m.name; return o; }));
  modelSelect.disabled = false;
  statusLine.textContent = "";
  describeModel();
}

function describeModel() {
  const m = models.find(x => x.name === modelSelect.value);
  if (!m) return;
  const encodings = m.encodings ? "trained on " + m.encodings + " files" : "training encodings not recorded";
  modelInfo.textContent = m.classes.length + " classes (" + m.classes.join(", ") + "); " + encodings +
    "; reads the first " + m.byte_budget.toLocaleString("en") + " bytes of a file.";
}

function showPrediction(item, answer) {
  item.dataset.state = "done";
  item.querySelector(".label").textContent = answer.label;
  const bars = el("div", "bars");
  for (const s of answer.top) {
    const bar = el("div", "bar");
    const fill = el("span");
    fill.style.width = Math.max(0.5, s.score * 100).toFixed(1) + "%";
    bar.append(fill);
    bars.append(el("span", "class", s.label), bar, el("span", "pct", (s.score * 100).toFixed(1) + "%"));
  }
  item.append(bars);
  if (answer.note) item.append(el("p", "note", answer.note));
}

function showError(item, message) {
  item.dataset.state = "error";
  item.querySelector(".label").textContent = "error";
  item.append(el("p", "error", message));
}

async function classify(file) {
  const item = el("li", "result");
  item.dataset.file = file.name;
  item.dataset.state = "pending";
  const head = el("div", "head");
  const model = modelSelect.value;
  head.append(el("span", "name", file.name), el("span", "size", bytes(file.size) + " · " + model));
  item.append(head, el("div", "label", "classifying…"));
  results.prepend(item);
  try {
    const url = "/v1/models/" + encodeURIComponent(model) + "/classify?top_k=" + TOP_K + "&filename=" + encodeURIComponent(file.name);
    const response = await fetch(url, { method: "POST", body: file, headers: headers({ "Content-Type": "application/octet-stream" }) });
    if (response.status === 401) keyRow.hidden = false;
    if (!response.ok) return showError(item, await errorMessage(response));
    const answer = (await response.json()).files[0];
    if (answer.error) showError(item, answer.error);
    else showPrediction(item, answer);
  } catch (e) {
    showError(item, "the request failed: " + e.message);
  }
}

async function classifyAll(files) {
  if (!modelSelect.value || models.length === 0) {
    await loadModels();
    if (models.length === 0) return;
  }
  const list = Array.from(files);
  statusLine.textContent = "Classifying " + list.length + (list.length === 1 ? " file…" : " files…");
  await Promise.all(list.map(classify));
  statusLine.textContent = list.length + (list.length === 1 ? " file" : " files") + " classified with " + modelSelect.value + ".";
}

modelSelect.addEventListener("change", describeModel);
keyInput.addEventListener("change", loadModels);
picker.addEventListener("change", () => { classifyAll(picker.files); picker.value = ""; });
drop.addEventListener("dragover", e => { e.preventDefault(); drop.classList.add("over"); });
drop.addEventListener("dragleave", () => drop.classList.remove("over"));
drop.addEventListener("drop", e => {
  e.preventDefault();
  drop.classList.remove("over");
  if (e.dataTransfer && e.dataTransfer.files.length) classifyAll(e.dataTransfer.files);
});
drop.addEventListener("keydown", e => { if (e.key === "Enter" || e.key === " ") picker.click(); });
loadModels();
