// The page at /: one card per served model; each task shows its records its own way. No libraries.
"use strict";

const COLORS = ["#ffd6a5", "#caffbf", "#9bf6ff", "#bdb2ff", "#ffc6ff", "#fdffb6", "#a0c4ff", "#ffadad"];
const colorOf = {};

function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (key === "class") node.className = value;
    else if (key === "style") node.style.cssText = value;
    else node.setAttribute(key, value);
  }
  for (const child of children) node.append(child);
  return node;
}

function tagColor(tag) {  // one colour per entity type (B-PER and I-PER share PER's)
  const type = tag.replace(/^[BIES]-/, "");
  if (type === "O") return "transparent";
  if (!(type in colorOf)) colorOf[type] = COLORS[Object.keys(colorOf).length % COLORS.length];
  return colorOf[type];
}

async function postJSON(url, body) {
  const response = await fetch(url, {method: "POST", headers: {"Content-Type": "application/json"}, body: JSON.stringify(body)});
  const data = await response.json();
  if (!response.ok) throw new Error(data.error || response.statusText);
  return data;
}

function showClassification(output, record) {
  const probabilities = Object.entries(record.probabilities).sort((a, b) => b[1] - a[1]);
  for (const [label, p] of probabilities) {
    output.append(el("div", {class: "bar-row" + (label === record.prediction ? " best" : ""), "data-label": label},
      el("span", {class: "label"}, label),
      el("span", {class: "bar"}, el("span", {class: "fill", style: `width:${(100 * p).toFixed(1)}%`})),
      el("span", {class: "value"}, p.toFixed(3))));
  }
  if (record.weights) {  // the attention pooler's weight on each token, as orange shading
    const top = Math.max(...record.weights) || 1;
    const line = el("p", {class: "weights"});
    record.tokens.forEach((token, i) => {
      const strength = record.weights[i] / top;
      line.append(el("span", {class: "token", title: record.weights[i].toFixed(3),
        style: `background: rgba(255, 140, 0, ${strength.toFixed(3)})`}, token), " ");
    });
    output.append(line);
  }
}

function showTags(output, record) {
  const line = el("div", {class: "tagged"});
  const starts = {};
  for (const span of record.spans || []) starts[span.start] = span;
  for (let i = 0; i < record.tokens.length;) {
    const span = starts[i];
    const group = span ? el("span", {class: "entity", "data-type": span.type, style: `border-color: ${tagColor(span.type)}`}) : line;
    const end = span ? span.end : i + 1;
    for (; i < end; i++) {
      group.append(el("span", {class: "tok", "data-tag": record.prediction[i], style: `background: ${tagColor(record.prediction[i])}`},
        record.tokens[i], el("small", {}, record.prediction[i])));
    }
    if (span) { group.append(el("span", {class: "type"}, span.type)); line.append(group); }
  }
  output.append(line);
}

function showTranslation(output, record) {
  output.append(el("p", {class: "translation"}, record.prediction));
  if (!record.attention) return;
  const table = el("table", {class: "attention"});  // rows: target tokens (and the end), columns: source tokens
  table.append(el("thead", {}, el("tr", {}, el("th"), ...record.source_tokens.map(t => el("th", {}, t)))));
  const body = el("tbody");
  const targets = [...record.tokens, "</s>"];
  record.attention.forEach((row, i) => {
    body.append(el("tr", {}, el("th", {}, targets[i] || ""),
      ...row.map(w => el("td", {title: w.toFixed(3), style: `background: rgba(47, 111, 222, ${w.toFixed(3)})`}))));
  });
  table.append(body);
  output.append(table);
}

async function streamGeneration(model, prompt, maxTokens, output) {
  const text = el("div", {class: "generated"}, el("b", {}, prompt));
  output.append(text);
  const response = await fetch(`/v1/models/${encodeURIComponent(model.name)}/generate`, {
    method: "POST", headers: {"Content-Type": "application/json"}, body: JSON.stringify({prompt, max_tokens: maxTokens})});
  if (!response.ok) throw new Error((await response.json()).error);
  const reader = response.body.getReader();
  const decoder = new TextDecoder();
  let buffer = "";
  for (;;) {
    const {value, done} = await reader.read();
    if (done) break;
    buffer += decoder.decode(value, {stream: true});
    let cut;
    while ((cut = buffer.indexOf("\n\n")) >= 0) {  // one server-sent event
      const lines = buffer.slice(0, cut).split("\n");
      buffer = buffer.slice(cut + 2);
      const event = (lines.find(l => l.startsWith("event: ")) || "").slice(7);
      const data = JSON.parse((lines.find(l => l.startsWith("data: ")) || "data: {}").slice(6));
      if (event === "token") text.append(data.text);
      else if (event === "error") throw new Error(data.error);
      else if (event === "done") output.dataset.done = "true";
    }
  }
}

async function run(model, card) {
  const input = card.querySelector("textarea").value;
  const output = card.querySelector(".output");
  const button = card.querySelector("button");
  output.replaceChildren();
  delete output.dataset.done;
  button.disabled = true;
  try {
    const url = `/v1/models/${encodeURIComponent(model.name)}/predict`;
    if (model.task === "lm") {
      await streamGeneration(model, input, Number(card.querySelector("input.max-tokens").value) || 60, output);
    } else {
      const body = {inputs: [input]};
      if (model.explain) body.explain = true;
      if (model.attention) body.attention = true;
      const record = (await postJSON(url, body)).results[0];
      if (model.task === "classify") showClassification(output, record);
      else if (model.task === "tag") showTags(output, record);
      else if (model.task === "seq2seq") showTranslation(output, record);
      else output.append(el("pre", {}, JSON.stringify(record, null, 2)));
      output.dataset.done = "true";
    }
  } catch (error) {
    output.append(el("p", {class: "error"}, error.message));
    output.dataset.done = "error";
  } finally {
    button.disabled = false;
  }
}

const EXAMPLES = {classify: "a gripping , beautifully shot film", tag: "The cat sat on the mat .", lm: "The ",
                  seq2seq: "three hundred forty two"};

function card(model) {
  const metrics = Object.entries(model.metrics).map(([k, v]) => `${k} ${typeof v === "number" ? v.toFixed(3) : v}`);
  const section = el("section", {class: "model", id: `model-${model.name}`, "data-task": model.task},
    el("h2", {}, model.name),
    el("p", {class: "meta"}, [model.architecture, model.task, ...metrics].join(" · ")),
    el("textarea", {"aria-label": `input for ${model.name}`, placeholder: EXAMPLES[model.task] || "some text"}),
    el("div", {class: "controls"}, el("button", {type: "button"}, model.task === "lm" ? "Generate" : "Run")),
    el("div", {class: "output", "aria-live": "polite"}));
  const controls = section.querySelector(".controls");
  if (model.task === "lm") {
    controls.append(el("label", {}, "tokens ", el("input", {class: "max-tokens", type: "number", min: "1", value: "60"})));
  }
  section.querySelector("button").addEventListener("click", () => run(model, section));
  section.querySelector("textarea").addEventListener("keydown", event => {
    if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) run(model, section);
  });
  return section;
}

async function main() {
  const list = document.getElementById("models");
  try {
    const response = await fetch("/v1/models");
    const models = await response.json();
    list.replaceChildren(...models.map(card));
  } catch (error) {
    list.replaceChildren(el("p", {class: "error"}, `cannot list the models: ${error.message}`));
  }
}

main();
