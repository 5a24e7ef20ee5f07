// Coming back with the case code: the messages, a reply, the appointment, and on to booking.
"use strict";
(function () {
  const main = document.getElementById("case");
  const t = JSON.parse(main.dataset.text);
  const problem = document.getElementById("problem");
  let session = null;

  const show = (messages) => {
    const list = document.getElementById("messages");
    list.replaceChildren();
    if (!messages.length) {
      const empty = document.createElement("li");
      empty.textContent = t.none;
      list.append(empty);
    }
    for (const m of messages) {
      const item = document.createElement("li");
      const who = document.createElement("strong");
      who.textContent = ({ reporter: t.you, system: t.automatic }[m.author] || t.confidant) + ": ";
      item.append(who, document.createTextNode(m.text));
      list.append(item);
    }
  };
  const load = async () => {
    const answer = await fetch(apiUrl(`/v1/cases/${session.case_id}/messages?limit=1000`), {
      headers: { Authorization: "Bearer " + session.token },
    });
    show((await answer.json()).items || []);
  };

  // The appointments as the timeline leaves them: the last word on each (booked or moved:
  // when and how; cancelled: gone), in the browser's time zone.
  const appointments = async () => {
    const answer = await fetch(apiUrl(`/v1/cases/${session.case_id}/timeline?limit=1000`), {
      headers: { Authorization: "Bearer " + session.token },
    });
    const last = new Map();
    for (const e of (await answer.json()).items || []) last.set(e.appointment_id, e);
    const current = [...last.values()].filter((e) => !e.type.endsWith(".cancelled") && e.starts_at);
    const list = document.getElementById("appointments");
    list.replaceChildren();
    const item = (text) => { const li = document.createElement("li"); li.textContent = text; return li; };
    if (!current.length) list.append(item(t.no_appointment));
    for (const e of current) {
      const when = new Date(e.starts_at).toLocaleString(main.dataset.locale, { dateStyle: "full", timeStyle: "short" });
      list.append(item(`${when}, ${t[e.mode] || e.mode}`));
    }
    document.getElementById("book").textContent = current.length ? t.change : t.book;
  };

  document.getElementById("access").addEventListener("submit", async (event) => {
    event.preventDefault();
    problem.hidden = true;
    const answer = await fetch(apiUrl("/v1/cases/access"), {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({
        case_code: document.getElementById("case-code").value.trim(),
        ...(main.dataset.org ? { organisation: main.dataset.org } : {}),
      }),
    });
    if (answer.status !== 200) { problem.textContent = t.wrong; problem.hidden = false; return; }
    session = await answer.json();
    document.getElementById("access").hidden = true;
    const fragment = new URLSearchParams({ t: session.token, c: session.confidant_id, l: main.dataset.locale });
    // On to booking in this page's language, the token in the fragment (never sent).
    const lang = main.dataset.locale === "en" ? "?lang=en" : "";
    document.getElementById("book").href = `${main.dataset.booking}book${lang}#${fragment}`;
    await Promise.all([load(), appointments()]);
    const opened = document.getElementById("opened");
    opened.hidden = false;
    opened.focus();
  });

  document.getElementById("reply").addEventListener("submit", async (event) => {
    event.preventDefault();
    const box = document.getElementById("message");
    if (!box.value.trim()) return;
    const answer = await fetch(apiUrl(`/v1/cases/${session.case_id}/messages`), {
      method: "POST",
      headers: { Authorization: "Bearer " + session.token, "Content-Type": "application/json" },
      body: JSON.stringify({ text: box.value.trim() }),
    });
    if (answer.status === 201) { box.value = ""; await load(); }
  });
})();
