// kgfuse web page: asks /ask, shows term pages (/terms) and audit records (/audit).
// Every piece of server text goes into the page with textContent, never as HTML.
"use strict";

const $ = (id) => document.getElementById(id);
const TOKEN_KEY = "kgfuse-token";
const SECTIONS = ["answer", "term", "audit"];

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

function termHref(curieOrIri) {
  return "#/term/" + encodeURIComponent(curieOrIri);
}

function askHref(question) {
  return "#/ask/" + encodeURIComponent(question);
}

// a node {iri, curie, label}: its label links to its term page, its CURIE to its IRI
function nodeLink(n) {
  if (!n) return "";
  const span = el("span", { class: "node" });
  span.append(el("a", { href: termHref(n.curie), class: "term-link" }, n.label || n.curie));
  span.append(el("a", { href: safeHref(n.iri), class: "iri", target: "_blank", rel: "noopener" }, n.curie));
  return span;
}

// An error the page reports in words (never a raw status line or JSON).
class ApiError extends Error {}

// What an error body's detail says: a sentence, or the first of pydantic's field errors.
function detailText(detail) {
  if (typeof detail === "string") return detail;
  if (Array.isArray(detail) && detail.length) {
    const first = detail[0];
    const field = Array.isArray(first.loc) ? first.loc.filter((p) => p !== "body").join(".") : "";
    return (field ? field + ": " : "") + (first.msg || JSON.stringify(first));
  }
  return detail === undefined ? "" : JSON.stringify(detail);
}

function errorMessage(status, detail) {
  if (status === 401) {
    return "This server needs an API token: enter it in the box at the top right." + (detail ? ` (${detail})` : "");
  }
  if (status === 503) {
    return detail && detail !== "Service Unavailable"
      ? `The server cannot answer this now: ${detail}.`
      : "The server is busy, or has no diagnosis model: try again in a moment.";
  }
  if (status >= 500) return `The server failed to answer (${detail || status}); it goes on serving: try again.`;
  return detail || `The server refused the request (HTTP ${status}).`;
}

async function api(path, options = {}) {
  const headers = { "Content-Type": "application/json" };
  const token = $("token").value || sessionStorage.getItem(TOKEN_KEY);
  if (token) headers.Authorization = "Bearer " + token;
  let response;
  try {
    response = await fetch(path, { ...options, headers });
  } catch (e) {
    if (e.name === "AbortError") throw e;
    throw new ApiError(`Cannot reach the kgfuse server at ${location.origin}: is it still running?`);
  }
  let body;
  try { body = await response.json(); } catch (e) { body = { detail: response.statusText }; }
  if (!response.ok) throw new ApiError(errorMessage(response.status, detailText(body.detail)));
  return body;
}

function status(text, isError = false) {
  $("status").textContent = text;
  $("status").className = isError ? "error" : "";
}

// said to screen readers (a polite live region), not shown
function announce(text) {
  $("announce").textContent = text;
}

function show(id) {
  for (const s of SECTIONS) $(s).hidden = s !== id;
  if (id) window.scrollTo(0, 0);  // a new page starts at its top, not where a link was
}

// a request is under way: what is shown is marked as the previous result
function busy(on) {
  $("results").setAttribute("aria-busy", on ? "true" : "false");
  $("results").classList.toggle("stale", on);
}

// a request failed: its error replaces what was shown (never left under the new question)
function failed(error) {
  busy(false);
  show(null);
  for (const s of SECTIONS) $(s).replaceChildren();
  status(error.message, true);
  announce(error.message);
}

function table(className, columns, rows) {
  const head = el("tr", {}, ...columns.map((c) => el("th", { scope: "col" }, c)));
  const body = el("tbody", {}, ...rows);
  return el("div", { class: "table-scroll" }, el("table", { class: className }, el("thead", {}, head), body));
}

function provenanceOf(f) {
  const span = el("span");
  const parts = [];
  if (f.source) parts.push(f.source);
  if (f.evidence) parts.push(f.evidence);
  for (const s of f.sources || []) {
    parts.push(el("a", { href: safeHref(s.iri), target: "_blank", rel: "noopener" }, s.curie));
  }
  // the annotation node holding the statement, on its own page (not on itself)
  if (f.statement && f.statement.curie && !f.self) {
    parts.push(el("a", { href: termHref(f.statement.curie), class: "statement" }, "annotation"));
  }
  parts.forEach((p, i) => { if (i) span.append(" · "); span.append(p); });
  return span;
}

function factsTable(facts) {
  const withOnset = facts.some((f) => f.onset);
  const columns = ["subject", "relation", "object", "frequency", ...(withOnset ? ["onset"] : []), "provenance"];
  const rows = facts.map((f) => {
    const object = f.object && f.object.literal !== undefined ? f.object.literal : nodeLink(f.object);
    const freq = el("span", f.negated ? { class: "negated" } : {}, (f.negated ? "NOT " : "") + (f.frequency || ""));
    const cells = [el("td", {}, nodeLink(f.subject)), el("td", {}, f.predicate.label || f.predicate.curie),
      el("td", {}, object), el("td", {}, freq)];
    if (withOnset) cells.push(el("td", {}, f.onset ? nodeLink(f.onset) : ""));
    cells.push(el("td", {}, provenanceOf(f)));
    return el("tr", { class: "fact" + (f.negated || f.present === false ? " not" : "") }, ...cells);
  });
  return table("facts", columns, rows);
}

function percent(p) {
  if (p > 0 && p < 0.001) return "<0.1%";
  return (100 * p).toFixed(p >= 0.1 ? 0 : 1) + "%";
}

// a number as a person reads it: integers whole, others to 3 significant digits
function readable(v) {
  return typeof v === "number" && !Number.isInteger(v) ? Number(v.toPrecision(3)).toString() : v;
}

// the details of an answer item in words: a ranked diagnosis (rank, probability, what was
// imputed), or the item's own fields
function itemDetails(item, names) {
  const d = item.detail || {};
  if (d.probability !== undefined && d.rank !== undefined) {
    const parts = [`rank ${d.rank}`, `probability ${percent(d.probability)}`];
    if (d.placed_by && d.placed_by !== "model") parts.push(`placed by ${d.placed_by}`);
    const imputed = d.imputed || [];
    if (imputed.length) {
      parts.push("not annotated for it, credited from its entries in other sources or similar diseases: " +
        imputed.map((c) => (names[c] ? `${names[c]} (${c})` : c)).join(", "));
    }
    return parts.join(" · ");
  }
  // a CURIE the answer names (a linked entity, a listed item) reads with its name
  const value = (v) => (typeof v === "string" && names[v] ? `${names[v]} (${v})` : readable(v));
  return Object.entries(d).map(([k, v]) =>
    k.replaceAll("_", " ") + ": " + (Array.isArray(v) ? v.map(value).join(", ")
      : (v && typeof v === "object" ? (v.label || v.curie || JSON.stringify(v))
        : (v === true ? "yes" : v === false ? "no" : value(v))))).join("; ");
}

function finding(f) {
  const div = el("div", { class: "finding" }, el("span", { class: "badge " + f.status }, f.status.toUpperCase()), f.message);
  const cited = (f.cites || []).filter((c) => c.iri);
  cited.forEach((c, i) => {
    const text = cited.length > 1 ? `annotation ${i + 1}` : "cited annotation";
    div.append(" ", el("a", { href: termHref(c.iri), class: "cite" }, text));
  });
  return div;
}

// the parts a candidate's findings are shown in, in this order: [title, which findings,
// shown open]; the likelihood rule's summary (no patient term) comes first, on its own
const FINDING_PARTS = [
  ["Contradicted", (f) => f.kind === "contradicted", true],
  ["Findings it explains", (f) => f.kind === "supported", true],
  ["Findings it does not explain", (f) => f.kind === "unexplained", true],
  ["Age, sex and onset", (f) => f.kind === "demographics", true],
  ["Hallmarks not reported", (f) => f.kind === "missing_hallmark", false],
  ["Each finding's likelihood ratio", (f) => f.kind === "likelihood", false],
];

function isSummary(f) {
  return f.kind === "likelihood" && !f.patient_term;
}

// "3 pass, 1 warn": the statuses of a part's findings, for its heading
function statusCounts(list) {
  const counts = new Map();
  for (const f of list) counts.set(f.status, (counts.get(f.status) || 0) + 1);
  return [...counts].map(([status, n]) => `${n} ${status}`).join(", ");
}

// one candidate's findings: the summary, then each part under a heading that opens it
function candidateFindings(list) {
  const out = list.filter(isSummary).map(finding);
  const rest = list.filter((f) => !isSummary(f));
  const taken = new Set();
  const parts = FINDING_PARTS.map(([title, test, open]) => {
    const own = rest.filter((f) => !taken.has(f) && test(f));
    own.forEach((f) => taken.add(f));
    return [title, own, open];
  });
  const other = rest.filter((f) => !taken.has(f));  // errors, rules of a user's own kinds
  if (other.length) parts.unshift(["Other findings", other, true]);
  for (const [title, own, open] of parts) {
    if (!own.length) continue;
    const part = el("details", { class: "finding-part" },
      el("summary", {}, `${title} (${own.length}: ${statusCounts(own)})`), ...own.map(finding));
    part.open = open;
    out.push(part);
  }
  return out;
}

// rule findings grouped under the candidate disease each is about, in the answer's order
function findingsByDisease(findings, nameOf) {
  const groups = new Map();
  for (const f of findings) {
    const key = f.disease || "";
    if (!groups.has(key)) groups.set(key, []);
    groups.get(key).push(f);
  }
  const box = el("div", { class: "findings" });
  for (const [disease, list] of groups) {
    box.append(el("h4", {}, disease ? nameOf(disease) : "About the question"));
    box.append(...candidateFindings(list));
  }
  return box;
}

const PROBABILITY_NOTE = "The probability (the model's, made to fall with the rank) weighs the candidates against each other; the rule findings' " +
  "post-test probability is a different measure (likelihood ratios of the annotations alone), so the two can differ.";

function renderAnswer(a) {
  const box = $("answer");
  box.replaceChildren();
  box.append(el("h2", { class: "visually-hidden" }, "Answer"));
  box.append(el("p", { class: "answer-text" + (a.answered ? "" : " cannot") }, a.text));
  if (a.suggestions && a.suggestions.length) {
    // the questions the answer offers instead (a reading it is not sure of, a name it
    // does not know): one click asks them
    const asks = el("p", { class: "suggestions" }, "Ask instead: ");
    a.suggestions.forEach((q, i) => {
      if (i) asks.append(" · ");
      asks.append(el("a", { href: askHref(q) }, q));
    });
    box.append(asks);
  }
  if (a.warnings && a.warnings.length) {
    // what was read and not used (a hedged or a relative's finding, an id newer than the
    // KG ...): said where the answer is, so a linked term is not taken as counted
    box.append(el("div", { class: "warnings", role: "note" }, el("strong", {}, "Note: "),
      el("ul", {}, ...a.warnings.map((w) => el("li", {}, w)))));
  }
  const meta = el("p", { class: "meta" }, `intent ${a.intent} (${a.method}, ${a.confidence.toFixed(2)})`);
  // each entity once (a name repeated in the question is one entity)
  const seen = new Set();
  const entities = a.entities.filter((e) => {
    const key = `${e.curie} ${e.excluded ? "no" : ""}`;
    return seen.has(key) ? false : seen.add(key);
  });
  if (entities.length) meta.append(" · linked: ");
  entities.forEach((e, i) => {
    if (i) meta.append(", ");
    meta.append(e.excluded ? "no " : "", nodeLink(e));
    // "orchidopexy": Cryptorchidism, a finding the question tells by its treatment
    if (e.read_from) meta.append(` (from its ${e.read_from})`);
  });
  box.append(meta);
  const names = {};
  for (const i of a.items) if (i.curie && i.label) names[i.curie] = i.label;
  for (const e of a.entities) names[e.curie] = e.label;
  const ranked = a.items.some((i) => i.detail && i.detail.probability !== undefined);
  if (a.items.length) {
    const heading = a.answered ? "Answer" : "Did you mean";
    box.append(el("h3", {}, `${heading} (${a.items.length} of ${a.total})`));
    const rows = a.items.map((item) => el("tr", { class: "item" }, el("td", {}, nodeLink(item)),
      el("td", { class: "kind" }, (SHORT_KINDS[item.type] || item.type || "").toLowerCase()),
      el("td", {}, itemDetails(item, names))));
    box.append(table("items", ["entity", "type", "details"], rows));
    if (a.items.length < a.total) {
      box.append(showAllButton(a.total, () => ask(a.question, true, Math.min(a.total, MAX_ITEMS))));
    }
  }
  if (a.findings.length) {
    box.append(el("h3", {}, "Rule findings"));
    if (ranked) box.append(el("p", { class: "note" }, PROBABILITY_NOTE));
    const labels = {};
    for (const i of a.items) labels[i.iri] = `${i.label} (${i.curie})`;
    box.append(findingsByDisease(a.findings, (iri) => labels[iri] || iri));
  }
  if (a.facts.length) {
    const title = !a.answered ? "Closest facts in the KG"
      : (a.intent === "diagnose" ? "Facts retrieved for the model" : "Supporting facts");
    box.append(el("h3", {}, title));
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
  busy(true);
  return current;
}

function cancel() {
  if (current) current.abort();
  current = null;
  busy(false);
}

// the request's result is shown: no longer busy, nothing to report but the announcement
function done(said) {
  busy(false);
  status("");
  announce(said);
}

let lastAnswer = null; // going back to an answer shows it again instead of asking again

async function ask(question, again = false, limit = null) {
  const request = supersede();
  if (!again && lastAnswer && lastAnswer.question === question) {
    renderAnswer(lastAnswer);
    done("Answer: " + lastAnswer.text);
    return;
  }
  status("Asking…");
  try {
    const body = limit ? { question, limit } : { question };
    const answer = await api("/ask", { method: "POST", body: JSON.stringify(body), signal: request.signal });
    if (request !== current) return;
    lastAnswer = answer;
    renderAnswer(answer);
    done("Answer: " + answer.text);
  } catch (e) {
    if (request === current) failed(e); // else superseded: the newer one reports
  }
}

const SHORT_KINDS = { TERM: "term", ANNOTATION: "annotation" };
const KINDS = { DISEASE: "disease", GENE: "gene", TERM: "ontology term", ANNOTATION: "annotation (a statement with its provenance)", OTHER: "node" };

// a list of nodes {total, items}: "Title (N)" or "Title (first k of N)", each linked
function nodeList(title, list, extra) {
  if (!list || !list.total) return [];
  const shown = list.items.length < list.total ? `first ${list.items.length} of ${list.total}` : `${list.total}`;
  const ul = el("ul", { class: "nodes" });
  for (const n of list.items) {
    const li = el("li", {}, nodeLink(n));
    const d = n.detail || {};
    if (d.via && d.via.iri !== n.iri) li.append(el("span", { class: "meta" }, " via ", d.via.label || d.via.curie));
    if (d.frequency) li.append(el("span", { class: "meta" }, " · " + d.frequency));
    ul.append(li);
  }
  return [el("h3", {}, `${title} (${shown})`), ...(extra ? [extra] : []), ul];
}

function askLink(question) {
  return el("p", { class: "ask-link" }, "Ask: ", el("a", { href: askHref(question) }, question));
}

function renderTerm(t) {
  const box = $("term");
  box.replaceChildren();
  const name = t.label || t.curie;
  box.append(el("h2", {}, name, " ", el("a", { href: safeHref(t.iri), class: "iri", target: "_blank", rel: "noopener" }, t.iri)));
  box.append(el("p", { class: "meta" }, `${t.curie} · ${KINDS[t.type] || t.type}`));
  if (t.definition) box.append(el("p", { class: "definition" }, t.definition));
  const syn = Object.entries(t.synonyms || {});
  if (syn.length) box.append(el("p", {}, "Synonyms: " + syn.map(([k, v]) => `${v.join(", ")} (${k})`).join("; ")));
  for (const [title, list] of [["Parents", t.parents], ["Children", t.children]]) {
    if (!list.length) continue;
    const ul = el("ul");
    for (const n of list) ul.append(el("li", {}, nodeLink(n)));
    box.append(el("h3", {}, title), ul);
  }
  const annotations = t.annotations || { total: 0, items: [] };
  if (annotations.total) {
    const title = t.type === "ANNOTATION" ? "Statement" : "Features";
    const shown = annotations.items.length < annotations.total
      ? `first ${annotations.items.length} of ${annotations.total}` : `${annotations.total}`;
    const items = t.type === "ANNOTATION" ? annotations.items.map((f) => ({ ...f, self: true })) : annotations.items;
    box.append(el("h3", {}, `${title} (${shown})`), factsTable(items));
  }
  const phenotype = t.type === "TERM";
  box.append(...nodeList(phenotype ? `Diseases annotated with ${name} or a subtype` : "Diseases",
    t.diseases, phenotype ? askLink(`Which diseases have ${name}?`) : null));
  box.append(...nodeList(phenotype ? `Genes linked to ${name} or a subtype` : "Genes",
    t.genes, phenotype ? askLink(`Which genes are linked to ${name}?`) : null));
  const lists = [annotations, t.diseases, t.genes].filter((l) => l && l.items);
  const most = Math.max(0, ...lists.map((l) => l.total));
  if (lists.some((l) => l.items.length < l.total)) {
    box.append(showAllButton(most, () => showTerm(t.curie, Math.min(most, MAX_ITEMS))));
  }
  show("term");
}

// the most items the server lists in one answer or term page (its limit)
const MAX_ITEMS = 1000;

// "Show all N" (or the first 1,000): the page asked again with a larger limit
function showAllButton(total, again) {
  const label = total > MAX_ITEMS ? `Show the first ${MAX_ITEMS.toLocaleString("en")}` : `Show all ${total}`;
  const button = el("button", { type: "button", class: "show-all" }, label);
  button.addEventListener("click", again);
  return el("p", {}, button);
}

async function showTerm(curie, limit = null) {
  const request = supersede();
  status("Loading " + curie + "…");
  try {
    const query = limit ? `?limit=${limit}` : "";
    const t = await api("/terms/" + encodeURIComponent(curie) + query, { signal: request.signal });
    if (request !== current) return;
    renderTerm(t);
    done("Term page: " + (t.label || t.curie));
  } catch (e) {
    if (request === current) failed(e);
  }
}

function renderAudit(r) {
  const box = $("audit");
  box.replaceChildren();
  const ex = r.explanation;
  box.append(el("h2", {}, "Audit record " + r.id));
  box.append(el("p", { class: "meta" }, `${r.kind} · ${r.created_at} · KG ${(r.kg_fingerprint || "").slice(0, 12)} · model ${(r.model_fingerprint || "-").slice(0, 12)} · chain hash ${r.hash.slice(0, 16)}`));
  box.append(el("p", { class: "note" }, "Check it from the shell: ", el("code", {}, `kgfuse audit verify ${r.id}`),
    " re-runs this decision and compares it with what is stored."));
  if (ex.input_text) box.append(el("p", {}, "Input: ", el("q", {}, ex.input_text)));
  if (ex.metadata && ex.metadata.answer_text) box.append(el("p", { class: "answer-text" }, ex.metadata.answer_text));
  const curies = r.curies || {};
  const labels = ex.labels || {};
  const predicates = r.predicates || {};
  const named = (iri) => ({ iri, curie: curies[iri] || iri, label: labels[iri] || "" });
  const mentions = ex.mentions || [];
  if (mentions.length) {
    const p = el("p", { class: "meta" }, "Linked: ");
    mentions.forEach((m, i) => {
      if (i) p.append(", ");
      p.append(m.status === "excluded" ? "no " : "", nodeLink({ ...named(m.iri), label: m.label || labels[m.iri] || "" }));
    });
    box.append(p);
  }
  const ranking = ex.ranking || [];
  if (ranking.length) {
    const probabilities = ranking.some((a) => a.probability !== null && a.probability !== undefined);
    const rows = ranking.map((a, i) => el("tr", { class: "ranked" }, el("td", {}, String(i + 1)),
      el("td", {}, nodeLink({ ...named(a.iri), label: a.label || labels[a.iri] || "" })),
      ...(probabilities ? [el("td", {}, a.probability === null ? "" : percent(a.probability))] : [])));
    box.append(el("h3", {}, `Answers (${ranking.length})`));
    box.append(table("ranking", ["rank", "answer", ...(probabilities ? ["probability"] : [])], rows));
  }
  const facts = (ex.facts || []).map((f) => ({
    subject: named(f.fact.subject),
    predicate: { ...named(f.fact.predicate), label: predicates[f.fact.predicate] || labels[f.fact.predicate] || "" },
    object: f.fact.object_is_literal ? { literal: f.fact.object } : named(f.fact.object),
    negated: f.fact.negated,
    frequency: f.fact.frequency_text || (f.fact.frequency_term && labels[f.fact.frequency_term]) ||
      (typeof f.fact.frequency === "number" ? percent(f.fact.frequency) : ""),
    onset: f.fact.onset ? named(f.fact.onset) : null,
    evidence: f.fact.evidence, source: f.source, statement: f.fact.iri ? named(f.fact.iri) : null,
    sources: (f.fact.sources || []).map((s) => named(s)),
  }));
  if (facts.length) { box.append(el("h3", {}, "Facts")); box.append(factsTable(facts)); }
  const findings = ex.findings || [];
  if (findings.length) {
    box.append(el("h3", {}, "Rule findings"));
    if (ranking.some((a) => a.probability !== null && a.probability !== undefined)) box.append(el("p", { class: "note" }, PROBABILITY_NOTE));
    box.append(findingsByDisease(findings, (iri) => `${labels[iri] || ""} (${curies[iri] || iri})`.trim()));
  }
  box.append(el("details", {}, el("summary", {}, "Full record (JSON)"), el("pre", {}, JSON.stringify(r, null, 2))));
  show("audit");
}

async function showAudit(id) {
  const request = supersede();
  status("Loading audit record…");
  try {
    const r = await api("/audit/" + encodeURIComponent(id), { signal: request.signal });
    if (request !== current) return;
    renderAudit(r);
    done("Audit record " + r.id);
  } catch (e) {
    if (request === current) failed(e);
  }
}

function route() {
  let hash;
  try {
    hash = decodeURIComponent(location.hash || "");
  } catch (e) {  // a stray "%" in a hand-typed link
    cancel();
    failed(new ApiError(`this link is not well formed (${e.message}): ${location.hash}`));
    return;
  }
  if (hash.startsWith("#/term/")) return showTerm(hash.slice(7));
  if (hash.startsWith("#/audit/")) return showAudit(hash.slice(8));
  if (hash.startsWith("#/ask/")) {
    const q = hash.slice(6);
    $("question").value = q;
    return ask(q);
  }
  cancel(); // another page (#/, the brand's link): what was loading is no longer wanted
  status("");
  show(null);
  $("question").value = "";
}

document.addEventListener("DOMContentLoaded", () => {
  $("token").value = sessionStorage.getItem(TOKEN_KEY) || "";
  $("token").addEventListener("change", () => sessionStorage.setItem(TOKEN_KEY, $("token").value));
  $("token-form").addEventListener("submit", (event) => event.preventDefault());
  $("ask-form").addEventListener("submit", (event) => {
    event.preventDefault();
    const q = $("question").value.trim();
    if (!q) return;
    const target = askHref(q);
    if (location.hash === target) ask(q, true); else { lastAnswer = null; location.hash = target; }
  });
  $("question").addEventListener("input", () => {
    const q = $("question");
    // the input keeps the server's limit: a longer paste is cut, which is said at once
    if (q.maxLength > 0 && q.value.length >= q.maxLength) {
      status(`A question holds at most ${q.maxLength.toLocaleString("en")} characters; the rest ` +
        "was cut. For a longer note use POST /diagnose or kgfuse diagnose --text.", true);
    } else if ($("status").classList.contains("error") && $("status").textContent.startsWith("A question holds")) {
      status("");
    }
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
