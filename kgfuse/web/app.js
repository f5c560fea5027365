// kgfuse web page: asks /ask, shows term pages (/terms) and audit records (/audit).
// Every piece of server text goes into the page with textContent, never as HTML.
"use strict";

const $ = (id) => document.getElementById(id);
const TOKEN_KEY = "kgfuse-token";

function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (key === "class") node.className = value;
    else node.setAttribute(key, value);
  }
  for (const child of children) {
    if (child === null || child === undefined) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

function safeHref(iri) {
  return /^https?:\/\//.test(iri || "") ? iri : "#";
}

// a node {iri, curie, label}: its label links to its term page, its CURIE to its IRI
function nodeLink(n) {
  if (!n) return "";
  const span = el("span", { class: "node" });
  span.append(el("a", { href: "#/term/" + encodeURIComponent(n.curie), class: "term-link" }, n.label || n.curie));
  span.append(el("a", { href: safeHref(n.iri), class: "iri", target: "_blank", rel: "noopener" }, n.curie));
  return span;
}

async function api(path, options = {}) {
  const headers = { "Content-Type": "application/json" };
  const token = $("token").value || sessionStorage.getItem(TOKEN_KEY);
  if (token) headers.Authorization = "Bearer " + token;
  const response = await fetch(path, { ...options, headers });
  let body;
  try { body = await response.json(); } catch (e) { body = { detail: response.statusText }; }
  if (!response.ok) {
    const detail = typeof body.detail === "string" ? body.detail : JSON.stringify(body.detail);
    throw new Error(response.status + ": " + detail);
  }
  return body;
}

function status(text, isError = false) {
  $("status").textContent = text;
  $("status").className = isError ? "error" : "";
}

function show(id) {
  for (const s of ["answer", "term", "audit"]) $(s).hidden = s !== id;
}

function factsTable(facts) {
  const table = el("table", { class: "facts" });
  table.append(el("tr", {}, el("th", {}, "subject"), el("th", {}, "relation"), el("th", {}, "object"),
    el("th", {}, "frequency"), el("th", {}, "provenance")));
  for (const f of facts) {
    const object = f.object && f.object.literal !== undefined ? f.object.literal : nodeLink(f.object);
    const provenance = el("span");
    if (f.source) provenance.append(f.source);
    if (f.evidence) provenance.append(" · " + f.evidence);
    for (const s of f.sources || []) {
      provenance.append(" · ");
      provenance.append(el("a", { href: safeHref(s.iri), target: "_blank", rel: "noopener" }, s.curie));
    }
    const freq = el("span", f.negated ? { class: "negated" } : {}, (f.negated ? "NOT " : "") + (f.frequency || ""));
    table.append(el("tr", { class: "fact" }, el("td", {}, nodeLink(f.subject)),
      el("td", {}, f.predicate.label || f.predicate.curie), el("td", {}, object), el("td", {}, freq),
      el("td", {}, provenance)));
  }
  return table;
}

function renderAnswer(a) {
  const box = $("answer");
  box.replaceChildren();
  box.append(el("p", { class: "answer-text" + (a.answered ? "" : " cannot") }, a.text));
  const meta = el("p", { class: "meta" }, `intent ${a.intent} (${a.method}, ${a.confidence.toFixed(2)}) · linked: `);
  a.entities.forEach((e, i) => {
    if (i) meta.append(", ");
    meta.append(e.excluded ? "no " : "", nodeLink(e));
  });
  box.append(meta);
  if (a.items.length) {
    const heading = a.answered ? "Answer" : "Did you mean";
    box.append(el("h3", {}, `${heading} (${a.items.length} of ${a.total})`));
    const table = el("table", { class: "items" });
    table.append(el("tr", {}, el("th", {}, "entity"), el("th", {}, "type"), el("th", {}, "details")));
    for (const item of a.items) {
      const details = Object.entries(item.detail).map(([k, v]) =>
        k + ": " + (Array.isArray(v) ? v.join(", ") : (v && typeof v === "object" ? (v.label || v.curie || JSON.stringify(v)) : v))).join("; ");
      table.append(el("tr", { class: "item" }, el("td", {}, nodeLink(item)), el("td", {}, item.type), el("td", {}, details)));
    }
    box.append(table);
  }
  if (a.findings.length) {
    box.append(el("h3", {}, "Rule findings"));
    for (const f of a.findings) {
      box.append(el("div", { class: "finding" }, el("span", { class: "badge " + f.status }, f.status.toUpperCase()), f.message));
    }
  }
  if (a.facts.length) {
    box.append(el("h3", {}, a.answered ? "Supporting facts" : "Closest facts in the KG"));
    box.append(factsTable(a.facts));
  }
  if (a.audit_id) {
    box.append(el("p", { class: "meta" }, "Audit record: ",
      el("a", { href: "#/audit/" + encodeURIComponent(a.audit_id), id: "audit-link" }, a.audit_id)));
  }
  show("answer");
}

// Only the latest request's response is ever shown: each request (an answer, a term page,
// an audit record) aborts the one before it, and one that answers anyway (its response was
// already on its way) is dropped: a slow answer never replaces a newer question's.
let current = null; // the AbortController of the request the page waits for

function supersede() {
  if (current) current.abort();
  current = new AbortController();
  return current;
}

function cancel() {
  if (current) current.abort();
  current = null;
}

let lastAnswer = null; // going back to an answer shows it again instead of asking again

async function ask(question, again = false) {
  const request = supersede();
  if (!again && lastAnswer && lastAnswer.question === question) {
    renderAnswer(lastAnswer);
    status("");
    return;
  }
  status("Asking…");
  try {
    const answer = await api("/ask", { method: "POST", body: JSON.stringify({ question }), signal: request.signal });
    if (request !== current) return;
    lastAnswer = answer;
    renderAnswer(answer);
    status("");
  } catch (e) {
    if (request === current) status(e.message, true); // else superseded: the newer one reports
  }
}

async function showTerm(curie) {
  const request = supersede();
  status("Loading " + curie + "…");
  try {
    const t = await api("/terms/" + encodeURIComponent(curie), { signal: request.signal });
    if (request !== current) return;
    const box = $("term");
    box.replaceChildren();
    box.append(el("h2", {}, t.label || t.curie, " ", el("a", { href: safeHref(t.iri), class: "iri", target: "_blank", rel: "noopener" }, t.iri)));
    box.append(el("p", { class: "meta" }, `${t.curie} · ${t.type}`));
    if (t.definition) box.append(el("p", { class: "definition" }, t.definition));
    const syn = Object.entries(t.synonyms || {});
    if (syn.length) box.append(el("p", {}, "Synonyms: " + syn.map(([k, v]) => `${v.join(", ")} (${k})`).join("; ")));
    for (const [title, list] of [["Parents", t.parents], ["Children", t.children]]) {
      if (!list.length) continue;
      const ul = el("ul");
      for (const n of list) ul.append(el("li", {}, nodeLink(n)));
      box.append(el("h3", {}, title), ul);
    }
    show("term");
    status("");
  } catch (e) {
    if (request === current) status(e.message, true);
  }
}

async function showAudit(id) {
  const request = supersede();
  status("Loading audit record…");
  try {
    const r = await api("/audit/" + encodeURIComponent(id), { signal: request.signal });
    if (request !== current) return;
    const box = $("audit");
    box.replaceChildren();
    const ex = r.explanation;
    box.append(el("h2", {}, "Audit record " + r.id));
    box.append(el("p", { class: "meta" }, `${r.kind} · ${r.created_at} · KG ${(r.kg_fingerprint || "").slice(0, 12)} · model ${(r.model_fingerprint || "-").slice(0, 12)} · chain hash ${r.hash.slice(0, 16)}`));
    if (ex.input_text) box.append(el("p", {}, "Input: ", el("q", {}, ex.input_text)));
    if (ex.metadata && ex.metadata.answer_text) box.append(el("p", { class: "answer-text" }, ex.metadata.answer_text));
    const curies = r.curies || {};
    const labels = ex.labels || {};
    const named = (iri) => ({ iri, curie: curies[iri] || iri, label: labels[iri] || "" });
    const facts = (ex.facts || []).map((f) => ({
      subject: named(f.fact.subject),
      predicate: named(f.fact.predicate),
      object: f.fact.object_is_literal ? { literal: f.fact.object } : named(f.fact.object),
      negated: f.fact.negated, frequency: f.fact.frequency_text || "", evidence: f.fact.evidence,
      sources: (f.fact.sources || []).map((s) => named(s)),
    }));
    if (facts.length) { box.append(el("h3", {}, "Facts")); box.append(factsTable(facts)); }
    for (const f of ex.findings || []) {
      box.append(el("div", { class: "finding" }, el("span", { class: "badge " + f.status }, f.status.toUpperCase()), f.message));
    }
    box.append(el("details", {}, el("summary", {}, "Full record (JSON)"), el("pre", {}, JSON.stringify(r, null, 2))));
    show("audit");
    status("");
  } catch (e) {
    if (request === current) status(e.message, true);
  }
}

function route() {
  let hash;
  try {
    hash = decodeURIComponent(location.hash || "");
  } catch (e) {  // a stray "%" in a hand-typed link
    cancel();
    status(`this link is not well formed (${e.message}): ${location.hash}`, true);
    return;
  }
  if (hash.startsWith("#/term/")) return showTerm(hash.slice(7));
  if (hash.startsWith("#/audit/")) return showAudit(hash.slice(8));
  if (hash.startsWith("#/ask/")) {
    const q = hash.slice(6);
    $("question").value = q;
    return ask(q);
  }
  cancel(); // another page (#/): what was loading is no longer wanted
  status("");
}

document.addEventListener("DOMContentLoaded", () => {
  $("token").value = sessionStorage.getItem(TOKEN_KEY) || "";
  $("token").addEventListener("change", () => sessionStorage.setItem(TOKEN_KEY, $("token").value));
  $("ask-form").addEventListener("submit", (event) => {
    event.preventDefault();
    const q = $("question").value.trim();
    if (!q) return;
    const target = "#/ask/" + encodeURIComponent(q);
    if (location.hash === target) ask(q, true); else { lastAnswer = null; location.hash = target; }
  });
  for (const a of document.querySelectorAll("a.example")) {
    a.addEventListener("click", (event) => {
      event.preventDefault();
      $("question").value = a.textContent;
      $("ask-form").requestSubmit();
    });
  }
  window.addEventListener("hashchange", route);
  route();
});
