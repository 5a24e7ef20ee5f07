// The report form: sends the report to /v1/cases (same origin) and shows the code once.
"use strict";
(function () {
  const form = document.getElementById("report");
  if (!form) return;
  const anonymous = document.getElementById("anonymous");
  const contact = document.getElementById("contact");
  const problem = document.getElementById("problem");
  const showContact = () => { contact.hidden = anonymous.checked; };
  anonymous.addEventListener("change", showContact);
  showContact();

  // (getRandomValues, unlike randomUUID, works on plain http too)
  const reportKey = Array.from(crypto.getRandomValues(new Uint8Array(16)),
                               (b) => b.toString(16).padStart(2, "0")).join("");
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    problem.hidden = true;
    const value = (id) => document.getElementById(id).value.trim();
    const body = {
      organisation: form.dataset.organisation,
      locale: form.dataset.locale,
      category: value("category"),
      reporter_role: value("reporter_role"),
      anonymous: anonymous.checked,
    };
    if (value("meeting_mode")) body.meeting_mode = value("meeting_mode");
    if (value("text")) body.text = value("text");
    if (!anonymous.checked) {
      body.contact = { name: value("name") || null, email: value("email") || null,
                       preferred_channel: "email" };
    }
    const answer = await fetch(apiUrl("/v1/cases"), {
      method: "POST",
      // One key per report: sent again after a lost answer, it returns the same case and
      // code instead of opening a second case.
      headers: { "Content-Type": "application/json", "Idempotency-Key": reportKey },
      body: JSON.stringify(body),
    });
    const data = await answer.json();
    if (answer.status !== 201) {
      const fields = Object.values((data.error && data.error.fields) || {}).join("; ");
      problem.textContent = form.dataset.error + " " + (fields || (data.error && data.error.message) || answer.status);
      problem.hidden = false;
      return;
    }
    form.hidden = true;
    document.getElementById("case-code").textContent = data.case_code;
    // The booking page gets the case token in the fragment: never sent to a server.
    const fragment = new URLSearchParams({ t: data.token, c: data.confidant_id, l: form.dataset.locale });
    document.getElementById("book").href = form.dataset.booking + "book#" + fragment.toString();
    const code = document.getElementById("code");
    code.hidden = false;
    code.focus();
  });
})();
