// What every page does with its document: find elements, read the texts the server put in
// the page (in its language), build links and list items, and show a problem.
import { refusal } from "./api.js";

export const $ = (id) => document.getElementById(id);

// The page's texts, as the server rendered them into data-text of its <main>.
export const textsOf = (main) => JSON.parse(main.dataset.text);

export function link(href, text) {
  const a = document.createElement("a");
  a.href = href;
  a.textContent = text;
  return a;
}

export function item(text) {
  const li = document.createElement("li");
  li.textContent = text;
  return li;
}

// Say something in the page's problem box (role="alert": a screen reader reads it out).
export function say(problem, text) {
  problem.textContent = text;
  problem.hidden = false;
}

// An API's refusal, in the problem box, after the page's own words for "it failed".
export async function sayRefusal(problem, failed, answer) {
  say(problem, `${failed}: ${await refusal(answer)}`);
}

// Whether an API did what was asked (the status expected); if not, its refusal is shown.
export async function succeeded(problem, failed, answer, expected) {
  if (answer.status === expected) {
    problem.hidden = true;
    return true;
  }
  await sayRefusal(problem, failed, answer);
  return false;
}

// Text whose http(s) addresses are links (for what the suite's own staff wrote: a proposal's
// link, a video room); the rest stays text, never markup.
export function withLinks(text) {
  const out = document.createDocumentFragment();
  let at = 0;
  for (const found of text.matchAll(/https?:\/\/[^\s<>"]+/g)) {
    out.append(document.createTextNode(text.slice(at, found.index)));
    out.append(link(found[0], found[0]));
    at = found.index + found[0].length;
  }
  out.append(document.createTextNode(text.slice(at)));
  return out;
}

// The page's language, carried on to the next page it sends the reader to ("?lang=en"; none
// for Dutch, every page's default), so that a person keeps reading in their own language.
export function langQuery() {
  const lang = document.documentElement.lang;
  return lang && lang !== "nl" ? `?lang=${lang}` : "";
}

// ``input`` with the id ``id`` and its label, added to ``form``; the input, to go on with.
export function labelled(form, id, text, input) {
  input.id = id;
  const label = document.createElement("label");
  label.htmlFor = id;
  label.textContent = text;
  form.append(label, input);
  return input;
}
