// Coming back with the case code: the messages, a reply, and on to booking.
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
      who.textContent = (m.author === "reporter" ? t.you : t.confidant) + ": ";
      item.append(who, document.createTextNode(m.text));
      list.append(item);
    }
  };
  const load = async () => {
    const answer = await fetch(`/v1/cases/${session.case_id}/messages`, {
      headers: { Authorization: "Bearer " + session.token },
    });
    show((await answer.json()).messages || []);
  };

  document.getElementById("access").addEventListener("submit", async (event) => {
    event.preventDefault();
    problem.hidden = true;
    const answer = await fetch("/v1/cases/access", {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ case_code: document.getElementById("case-code").value.trim() }),
    });
    if (answer.status !== 200) { problem.textContent = t.wrong; problem.hidden = false; return; }
    session = await answer.json();
    document.getElementById("access").hidden = true;
    const fragment = new URLSearchParams({ t: session.token, c: session.confidant_id, l: main.dataset.locale });
    document.getElementById("book").href = main.dataset.booking + "book#" + fragment.toString();
    await load();
    const opened = document.getElementById("opened");
    opened.hidden = false;
    opened.focus();
  });

  document.getElementById("reply").addEventListener("submit", async (event) => {
    event.preventDefault();
    const box = document.getElementById("message");
    if (!box.value.trim()) return;
    const answer = await fetch(`/v1/cases/${session.case_id}/messages`, {
      method: "POST",
      headers: { Authorization: "Bearer " + session.token, "Content-Type": "application/json" },
      body: JSON.stringify({ text: box.value.trim() }),
    });
    if (answer.status === 201) { box.value = ""; await load(); }
  });
})();
