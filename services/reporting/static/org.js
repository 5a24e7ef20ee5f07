// The organisation's published reports (read and download) and raised signals.
"use strict";
(function () {
  const main = document.getElementById("org");
  const t = JSON.parse(main.dataset.text);
  const token = (window.handover("org") || {}).t;
  const problem = document.getElementById("problem");
  if (!token) { problem.textContent = t.no_token; problem.hidden = false; return; }
  const claims = window.claims(token);
  const org = claims.org_id || (claims.orgs || [])[0];
  const api = (path) => fetch(apiUrl(path), { headers: { Authorization: "Bearer " + token } });
  const lang = document.documentElement.lang;

  const download = async (report, format, label) => {
    const link = document.createElement("a");
    link.textContent = label;
    link.download = `rapport-${report.period_from}.${format}`;
    const answer = await api(`/v1/reports/${report.id}?format=${format}&lang=${lang}`);
    link.href = URL.createObjectURL(await answer.blob());
    return link;
  };

  (async () => {
    const reports = (await (await api(`/v1/orgs/${encodeURIComponent(org)}/reports`)).json()).items || [];
    const list = document.getElementById("reports");
    if (!reports.length) { const li = document.createElement("li"); li.textContent = t.none; list.append(li); }
    for (const r of reports) {
      const li = document.createElement("li");
      li.append(document.createTextNode(`${t[r.kind] || r.kind} ${r.period_from} – ${r.period_to}: `));
      for (const [format, label] of [["html", "HTML"], ["pdf", "PDF"], ["csv", "CSV"]]) {
        li.append(await download(r, format, label), document.createTextNode(" "));
      }
      list.append(li);
    }
    const signals = (await (await api(`/v1/orgs/${encodeURIComponent(org)}/signals`)).json()).items || [];
    const box = document.getElementById("signals");
    if (!signals.length) { const li = document.createElement("li"); li.textContent = t.none; box.append(li); }
    for (const s of signals) {
      const li = document.createElement("li");
      // With the confidant's note, when they wrote one.
      li.textContent = `${t[s.rule] || s.rule} (${s.window_end})${s.note ? ": " + s.note : ""}`;
      box.append(li);
    }
  })();
})();
