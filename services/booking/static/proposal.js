// The booking page opened from a proposal's link (?proposal=<id>#p=<token>): the times the
// confidant proposed, the number to call where the conversation is by phone, and one click
// to book. The token stays in this tab (never in a server's log) and goes as a header.
import { client } from "/static/common/api.js";
import { $, say as sayIn, sayRefusal, textsOf } from "/static/common/dom.js";

(function () {
  const proposal = new URLSearchParams(location.search).get("proposal");
  if (!proposal) return; // the ordinary booking page (book.js)
  const main = $("booking");
  const t = textsOf(main);
  const problem = $("problem");
  const key = `proposal:${proposal}`;
  const fragment = new URLSearchParams(location.hash.slice(1));
  if (fragment.get("p")) {
    sessionStorage.setItem(key, fragment.get("p"));
    history.replaceState(null, "", location.pathname + location.search);
  }
  const token = sessionStorage.getItem(key);
  if (!token) { sayIn(problem, t.no_token); return; }
  const api = client(null);
  const headers = { "X-Proposal-Token": token };
  const lang = document.documentElement.lang;
  const when = (start) => new Date(start).toLocaleString(lang, { dateStyle: "full", timeStyle: "short" });
  const form = $("proposal");
  let chosen = null;

  function booked(a) {
    form.hidden = true;
    $("done").hidden = false;
    $("when").textContent = `${when(a.start)} · ${t[a.mode] || a.mode}`;
    const where = $("where");
    where.textContent = "";
    if (a.video_url) {
      const link = document.createElement("a");
      link.href = a.video_url;
      link.textContent = a.video_url;
      where.append(link);
    } else if (a.address) {
      where.textContent = a.address;
    }
    $("ics").hidden = true; // the calendar file needs the case's own token
    $("done").focus();
  }

  async function load() {
    const answer = await api(`/v1/proposals/${proposal}`, "GET", undefined, headers);
    if (!answer.ok) { await sayRefusal(problem, t.failed, answer); return; }
    const p = await answer.json();
    if (p.appointment) { sayIn(problem, t.used); booked(p.appointment); return; }
    $("proposal-who").textContent = t.proposed_by.replace("%s", p.confidant);
    const times = $("proposal-times");
    for (const start of p.starts) {
      const b = document.createElement("button");
      b.type = "button";
      b.textContent = `${when(start)} · ${t[p.mode] || p.mode}`;
      b.setAttribute("aria-pressed", "false");
      b.addEventListener("click", () => {
        for (const other of times.querySelectorAll("button")) other.setAttribute("aria-pressed", "false");
        b.setAttribute("aria-pressed", "true");
        chosen = start;
      });
      times.append(b);
    }
    $("proposal-phone").hidden = !p.ask_phone;
    $("proposal-phone-number").required = p.ask_phone;
    form.hidden = false;
  }

  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    if (!chosen) { sayIn(problem, t.time); return; }
    const body = { start: chosen };
    if (!$("proposal-phone").hidden) body.phone = $("proposal-phone-number").value.trim();
    const answer = await api(`/v1/proposals/${proposal}/accept`, "POST", body, headers);
    if (answer.status !== 201) { await sayRefusal(problem, t.failed, answer); return; }
    problem.hidden = true;
    booked(await answer.json());
  });

  load();
})();
