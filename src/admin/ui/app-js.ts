/**
 * The dashboard's script, served as `/__admin/ui/app.js`: plain JavaScript for the browser, kept as a string so the
 * bundled command line carries it (no file to find at run time, no front-end build). Edit it as JavaScript: it may
 * hold no backtick and no dollar-brace (this is a raw template), and the dashboard's test checks that it parses.
 */
export const APP_JS = String.raw`"use strict";
// The idv-sandbox dashboard. Every value from the sandbox is written as text (textContent, never markup); the admin
// token stays in this tab's sessionStorage and goes only in the Authorization header.
(() => {
  const TOKEN_KEY = "idv-sandbox admin token";
  const ADMIN = new URL("../", location.href);
  const JOURNAL_ROWS = 200;
  const $ = (id) => document.getElementById(id);
  const state = {
    ns: new URLSearchParams(location.search).get("namespace") || "default",
    cursor: undefined,
    adminReads: false,
    journal: undefined,
    clock: undefined,
    scenarios: undefined,
    subjects: new Map(),
    refreshTimer: undefined,
    /** Counts the starts (and the token requests): a start that another one overtook stops where it is. */
    run: 0,
  };

  class Unauthorized extends Error {}
  class Stale extends Error {}

  // ---- DOM, as text only -------------------------------------------------------------------------------------
  function el(tag, props, ...children) {
    const node = document.createElement(tag);
    for (const [name, value] of Object.entries(props || {})) {
      if (value === undefined || value === null) continue;
      if (name.startsWith("on")) node.addEventListener(name.slice(2), value);
      else if (typeof value === "boolean") node[name] = value;
      else node.setAttribute(name, String(value));
    }
    for (const child of children.flat(2))
      if (child !== undefined && child !== null && child !== false && child !== "")
        node.append(child instanceof Node ? child : String(child));
    return node;
  }
  const text = (value) =>
    value === undefined || value === null ? "—" : typeof value === "string" ? value : JSON.stringify(value);
  const when = (iso) => (iso ? iso.replace("T", " ").replace(/\.\d+Z$/, "Z") : "—");
  const badge = (value) => el("span", { class: "badge" }, value);
  function facts(context) {
    if (!context || typeof context !== "object") return "—";
    const pairs = Object.entries(context);
    if (pairs.length === 0) return "—";
    return el(
      "dl",
      { class: "facts" },
      pairs.map(([k, v]) => [el("dt", {}, k), el("dd", { "data-key": k }, text(v))]),
    );
  }
  function row(table, cells, props) {
    const labels = Array.from($(table).tHead.rows[0].cells, (th) => th.textContent);
    return el(
      "tr",
      props,
      cells.map((cell, i) => el("td", { "data-label": labels[i] }, el("div", {}, cell))),
    );
  }
  /** What each table shows (its namespace and data, as JSON): a refresh that brings nothing new redraws nothing. */
  const drawn = new Map();
  /**
   * Replaces a table's rows. With the data they show: only if that changed, so a row stays the same element (a
   * button being clicked, a cell being read) while nothing changes.
   */
  function fill(table, rows, empty, data) {
    const shows = data === undefined ? undefined : JSON.stringify([state.ns, data]);
    if (shows !== undefined && drawn.get(table) === shows) return;
    drawn.set(table, shows);
    const columns = $(table).tHead.rows[0].cells.length;
    const body = el(
      "tbody",
      {},
      rows.length > 0 ? rows : el("tr", { class: "none" }, el("td", { colspan: columns }, empty)),
    );
    $(table).tBodies[0].replaceWith(body);
  }
  function say(message, bad) {
    $("message").textContent = message;
    $("message").className = bad ? "message error" : "message";
  }
  function live(label, level) {
    $("live").textContent = label;
    $("live").dataset.state = level;
  }

  // ---- The admin API -----------------------------------------------------------------------------------------
  function adminUrl(path, query) {
    const url = new URL(path, ADMIN);
    if (state.ns !== "default") url.searchParams.set("namespace", state.ns);
    for (const [k, v] of Object.entries(query || {})) if (v !== undefined) url.searchParams.set(k, String(v));
    return url;
  }
  function headers(extra) {
    const token = sessionStorage.getItem(TOKEN_KEY);
    return Object.assign(token ? { authorization: "Bearer " + token } : {}, extra);
  }
  function refused() {
    const had = sessionStorage.getItem(TOKEN_KEY) !== null;
    sessionStorage.removeItem(TOKEN_KEY);
    askToken(had ? "The sandbox refused that token." : "");
    return new Unauthorized("unauthorized");
  }
  async function api(method, path, body, query) {
    const ns = state.ns;
    const res = await fetch(adminUrl(path, query), {
      method,
      cache: "no-store",
      headers: headers(body === undefined ? {} : { "content-type": "application/json" }),
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    if (res.status === 401) throw refused();
    const data = await res.json().catch(() => undefined);
    if (state.ns !== ns) throw new Stale("namespace changed");
    if (!res.ok) throw new Error((data && data.message) || method + " " + path + " answered " + res.status);
    return data;
  }
  function report(error) {
    if (error instanceof Unauthorized || error instanceof Stale) return;
    say(error.message, true);
  }
  /** Runs a button's call: the button waits, the outcome is said. */
  async function act(button, work) {
    if (button) button.disabled = true;
    try {
      const done = await work();
      if (done) say(done);
    } catch (error) {
      report(error);
    } finally {
      if (button) button.disabled = false;
    }
  }

  // ---- The token ---------------------------------------------------------------------------------------------
  function askToken(error) {
    state.run++;
    stopJournal();
    $("main").hidden = true;
    $("auth").hidden = false;
    $("auth-error").textContent = error;
    live("needs the admin token", "off");
    $("token").focus();
  }
  $("auth").addEventListener("submit", (event) => {
    event.preventDefault();
    const token = $("token").value.trim();
    if (token === "") return;
    sessionStorage.setItem(TOKEN_KEY, token);
    $("token").value = "";
    void start();
  });
  $("forget").addEventListener("click", () => {
    sessionStorage.removeItem(TOKEN_KEY);
    askToken("");
  });

  // ---- Namespaces --------------------------------------------------------------------------------------------
  async function loadNamespaces() {
    const { namespaces } = await api("GET", "namespaces");
    const ids = namespaces.map((n) => n.id);
    if (!ids.includes(state.ns)) ids.push(state.ns);
    $("namespace").replaceChildren(...ids.map((id) => el("option", { value: id }, id)));
    $("namespace").value = state.ns;
  }
  function openNamespace(id) {
    if (id === "" || id === state.ns) return;
    state.ns = id;
    state.cursor = undefined;
    history.replaceState(
      null,
      "",
      id === "default" ? location.pathname : "?namespace=" + encodeURIComponent(id),
    );
    fill("journal", [], "No request yet.");
    void start();
  }
  $("namespace").addEventListener("change", () => openNamespace($("namespace").value));
  $("namespace-form").addEventListener("submit", (event) => {
    event.preventDefault();
    openNamespace($("namespace-other").value.trim());
    $("namespace-other").value = "";
  });
  $("refresh").addEventListener("click", (event) => act(event.currentTarget, () => refresh().then(() => "")));
  $("reset").addEventListener("click", (event) => {
    if (!confirm("Forget everything namespace " + state.ns + " holds (state, journal, deliveries)?")) return;
    void act(event.currentTarget, async () => {
      await api("POST", "reset");
      fill("journal", [], "No request yet.");
      await refresh();
      return "Namespace " + state.ns + " reset.";
    });
  });

  // ---- The clock ---------------------------------------------------------------------------------------------
  function showClock(view) {
    state.clock = { at: Date.parse(view.now), seen: performance.now(), frozen: view.frozen };
    drawClock();
  }
  function drawClock() {
    const c = state.clock;
    if (!c) return;
    const now = c.frozen ? c.at : c.at + (performance.now() - c.seen);
    $("clock-now").textContent = when(new Date(now).toISOString());
    $("clock-now").setAttribute("datetime", new Date(now).toISOString());
    $("clock-state").textContent = c.frozen ? "frozen" : "running";
    $("freeze").textContent = c.frozen ? "Unfreeze" : "Freeze";
  }
  setInterval(() => {
    if (state.clock && !state.clock.frozen) drawClock();
  }, 1000);
  async function moveClock(button, change, done) {
    await act(button, async () => {
      showClock(await api("POST", "clock", change));
      scheduleRefresh();
      return done;
    });
  }
  for (const button of document.querySelectorAll("[data-advance]"))
    button.addEventListener("click", () =>
      moveClock(
        button,
        { advance: Number(button.dataset.advance) },
        "Clock advanced by " + button.textContent + ".",
      ),
    );
  $("advance-form").addEventListener("submit", (event) => {
    event.preventDefault();
    const seconds = Number($("advance-seconds").value);
    void moveClock(event.submitter, { advance: seconds }, "Clock advanced by " + seconds + " s.");
  });
  $("freeze").addEventListener("click", (event) => {
    const freeze = !(state.clock && state.clock.frozen);
    void moveClock(event.currentTarget, { freeze }, freeze ? "Clock frozen." : "Clock running.");
  });
  $("real").addEventListener("click", (event) =>
    moveClock(event.currentTarget, { real: true }, "Clock back to real time."),
  );

  // ---- Tokens, sessions, verdicts ----------------------------------------------------------------------------
  async function loadTokens() {
    const { tokens } = await api("GET", "tokens");
    fill(
      "tokens",
      tokens.map((t) =>
        row(
          "tokens",
          [
            t.kind,
            el("code", {}, t.id),
            t.status ? badge(t.status) : "—",
            facts(t.context),
            when(t.createdAt),
            when(t.expiresAt),
          ],
          {
            "data-kind": t.kind,
          },
        ),
      ),
      "No token held.",
      tokens,
    );
  }
  function verdictButtons(entry) {
    const subject = state.subjects.get(entry.kind);
    if (!subject) return "—";
    return el(
      "div",
      { class: "buttons" },
      subject.verdicts.map((verdict) =>
        el(
          "button",
          {
            type: "button",
            "data-verdict": verdict,
            onclick: (event) =>
              act(event.currentTarget, async () => {
                await api("POST", "verdicts", { vendor: subject.vendor, id: entry.id, verdict });
                scheduleRefresh();
                return subject.subject + " " + entry.id + ": " + verdict + ".";
              }),
          },
          verdict,
        ),
      ),
    );
  }
  async function loadSessions() {
    const { sessions } = await api("GET", "sessions");
    fill(
      "sessions",
      sessions.map((s) =>
        row(
          "sessions",
          [
            s.kind,
            el("code", {}, s.id),
            s.status ? badge(s.status) : "—",
            facts(s.context),
            when(s.expiresAt),
            verdictButtons(s),
          ],
          {
            "data-kind": s.kind,
            "data-id": s.id,
          },
        ),
      ),
      "No session held.",
      sessions,
    );
  }
  async function loadSubjects() {
    const { subjects } = await api("GET", "verdicts");
    state.subjects = new Map(subjects.filter((s) => s.kind).map((s) => [s.kind, s]));
  }

  // ---- Webhooks ----------------------------------------------------------------------------------------------
  async function loadDeliveries() {
    const { deliveries } = await api("GET", "webhooks/deliveries", undefined, { limit: 50 });
    fill(
      "deliveries",
      deliveries.map((d) => {
        const last = d.attempts[d.attempts.length - 1];
        const answer = last
          ? last.status === null
            ? last.error || "no answer"
            : "HTTP " + last.status
          : "—";
        const resend = el(
          "button",
          {
            type: "button",
            disabled: d.status === "pending",
            onclick: (event) =>
              act(event.currentTarget, async () => {
                const again = await api(
                  "POST",
                  "webhooks/deliveries/" + encodeURIComponent(d.id) + "/redeliver",
                );
                await loadDeliveries();
                return "Delivery " + d.id + " sent again: " + again.status + ".";
              }),
          },
          "Redeliver",
        );
        return row(
          "deliveries",
          [
            el("code", {}, d.id),
            d.vendor + " " + d.event,
            badge(d.status),
            d.attempts.length,
            answer,
            when(d.createdAt),
            resend,
          ],
          { "data-id": d.id },
        );
      }),
      "No delivery yet.",
      deliveries,
    );
  }
  async function loadSubscriptions() {
    const { webhooks } = await api("GET", "webhooks");
    fill(
      "subscriptions",
      webhooks.map((s) =>
        row("subscriptions", [
          el("code", {}, s.id),
          s.vendor,
          el("code", {}, s.url),
          s.events ? s.events.join(", ") : "every event",
          s.source,
        ]),
      ),
      "No subscription: POST /__admin/webhooks adds one.",
      webhooks,
    );
  }
  $("flush").addEventListener("click", (event) =>
    act(event.currentTarget, async () => {
      const { deliveries } = await api("POST", "webhooks/flush");
      await loadDeliveries();
      return deliveries.length + " deliveries tried.";
    }),
  );

  // ---- Scenarios ---------------------------------------------------------------------------------------------
  /** Defined over HTTP (and so removable), not loaded from a file. */
  const runTime = (scenario) =>
    scenario.origin ? scenario.origin === "api" : !/\.(ya?ml|json)$/i.test(scenario.source);
  /** What a toggle here changes: in the default namespace, everyone's and its own run-time ones; else its own. */
  function ownList() {
    const active = state.scenarios.active;
    return state.ns === "default" ? active.global.concat(active.namespace) : active.namespace;
  }
  async function loadScenarios() {
    const s = await api("GET", "scenarios");
    state.scenarios = s;
    const own = ownList();
    $("scenarios-scope").textContent =
      (state.ns === "default"
        ? "A scenario switched on here is active for everyone."
        : "A scenario switched on here is active in namespace " + state.ns + " only.") +
      " Queued one-shots: " +
      s.queued +
      ".";
    fill(
      "scenarios",
      s.scenarios.map((scenario) => {
        const everyone = state.ns !== "default" && s.active.global.includes(scenario.name);
        const toggle = el("input", {
          type: "checkbox",
          checked: own.includes(scenario.name),
          "aria-label": "active: " + scenario.name,
          onchange: (event) => toggleScenario(scenario.name, event.currentTarget),
        });
        const remove = !runTime(scenario)
          ? ""
          : el(
              "button",
              {
                type: "button",
                class: "danger",
                onclick: (event) =>
                  act(event.currentTarget, async () => {
                    await api("DELETE", "scenarios/" + encodeURIComponent(scenario.name));
                    await loadScenarios();
                    return "Scenario " + scenario.name + " deleted.";
                  }),
              },
              "Delete",
            );
        return row(
          "scenarios",
          [
            [toggle, everyone ? [" ", badge("on for everyone")] : ""],
            el("strong", {}, scenario.name),
            scenario.description,
            scenario.rules,
            scenario.source,
            remove,
          ],
          { "data-name": scenario.name },
        );
      }),
      "No scenario loaded.",
      s,
    );
  }
  async function toggleScenario(name, box) {
    const on = box.checked;
    const names = ownList().filter((n) => n !== name);
    if (on) names.push(name);
    box.disabled = true;
    try {
      await api("PUT", "scenarios/active", { names });
      say("Scenario " + name + (on ? " on." : " off."));
    } catch (error) {
      report(error);
    }
    // Drawn again whatever the answer: the box clicked is disabled, and may show what the sandbox refused.
    drawn.delete("scenarios");
    await loadScenarios().catch(report);
  }
  function json(id) {
    try {
      return JSON.parse($(id).value);
    } catch (error) {
      throw new Error("Not JSON: " + error.message);
    }
  }
  $("define-form").addEventListener("submit", (event) => {
    event.preventDefault();
    void act(event.submitter, async () => {
      const name = $("define-name").value.trim();
      await api("PUT", "scenarios/" + encodeURIComponent(name), json("define-body"));
      await loadScenarios();
      return "Scenario " + name + " saved.";
    });
  });
  $("enqueue-form").addEventListener("submit", (event) => {
    event.preventDefault();
    void act(event.submitter, async () => {
      const outcome = json("enqueue-outcome");
      const rule = Object.assign({}, outcome, {
        vendor: $("enqueue-vendor").value.trim(),
        route: $("enqueue-route").value.trim(),
      });
      await api("POST", "scenarios/enqueue", rule);
      await loadScenarios();
      return "Queued once: " + rule.vendor + " " + rule.route + ".";
    });
  });

  // ---- The journal, live -------------------------------------------------------------------------------------
  const isAdminRead = (e) =>
    e.direction === "in" &&
    e.vendor === null &&
    (e.method === "GET" || e.method === "HEAD") &&
    /^\/__admin(?:[/?]|$)/.test(e.path);
  function journalRow(e) {
    const error = e.error ? [e.error.name, e.error.message].filter(Boolean).join(": ") : "";
    return row(
      "journal",
      [
        e.id,
        el("time", { datetime: e.time }, e.time.slice(11, 19)),
        [e.direction === "out" ? badge("webhook") : "", " ", el("code", {}, e.method + " " + e.path)],
        e.status,
        e.route ? (e.vendor ? e.vendor + " " : "") + e.route : e.vendor || "",
        error,
        e.scenario || "",
        e.durationMs,
      ],
      {
        "data-id": e.id,
        class: (e.status >= 400 || e.status === 0 ? "failed" : "") + (e.direction === "out" ? " out" : ""),
      },
    );
  }
  /** Entries oldest first: shown newest on top; a change the state may reflect refreshes the views. */
  function showEntries(entries) {
    const body = $("journal").tBodies[0];
    let changed = false;
    for (const e of entries) {
      if (state.cursor !== undefined && e.id <= state.cursor) continue;
      state.cursor = e.id;
      if (isAdminRead(e) && !state.adminReads) continue;
      if (!isAdminRead(e)) changed = true;
      const none = body.querySelector("tr.none");
      if (none) none.remove();
      body.prepend(journalRow(e));
    }
    while (body.rows.length > JOURNAL_ROWS) body.lastElementChild.remove();
    if (changed) scheduleRefresh();
  }
  /** Server-Sent Events from a fetched body (EventSource cannot send the Authorization header). */
  async function readEvents(stream, onEvents) {
    const reader = stream.pipeThrough(new TextDecoderStream()).getReader();
    let buffer = "";
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return;
      buffer += value;
      const blocks = buffer.split("\n\n");
      buffer = blocks.pop();
      const events = [];
      for (const block of blocks) {
        const event = { id: undefined, event: "message", data: [] };
        for (const line of block.split("\n")) {
          if (line === "" || line.startsWith(":")) continue;
          const colon = line.indexOf(":");
          const field = colon < 0 ? line : line.slice(0, colon);
          const value = colon < 0 ? "" : line.slice(colon + 1).replace(/^ /, "");
          if (field === "data") event.data.push(value);
          else if (field === "event") event.event = value;
          else if (field === "id") event.id = value;
        }
        if (event.data.length > 0)
          events.push({ id: event.id, event: event.event, data: event.data.join("\n") });
      }
      if (events.length > 0) onEvents(events);
    }
  }
  function stopJournal() {
    if (!state.journal) return;
    state.journal.stop();
    state.journal = undefined;
  }
  /** Streams the journal; reconnects after the cursor when the stream ends; polls when streaming is refused. */
  function openJournal() {
    stopJournal();
    const controller = new AbortController();
    let retry;
    let poll;
    state.journal = {
      stop: () => {
        controller.abort();
        clearTimeout(retry);
        clearInterval(poll);
      },
    };
    const polling = () => {
      live("polling", "warn");
      poll = setInterval(() => {
        api("GET", "requests", undefined, {
          since: state.cursor,
          limit: state.cursor === undefined ? 100 : 1000,
        })
          .then(({ requests }) => showEntries(requests.reverse()))
          .catch(report);
      }, 1000);
    };
    const connect = async () => {
      live(state.cursor === undefined ? "connecting…" : "reconnecting…", "warn");
      try {
        const res = await fetch(
          adminUrl("requests/stream", {
            since: state.cursor,
            adminReads: state.adminReads ? "true" : undefined,
          }),
          { cache: "no-store", headers: headers({ accept: "text/event-stream" }), signal: controller.signal },
        );
        if (res.status === 401) return void refused();
        // Streaming refused (too many streams open) or not readable here: ask each second instead.
        if (!res.ok || !res.body) return polling();
        live("live", "ok");
        await readEvents(res.body, (events) =>
          showEntries(events.filter((e) => e.event === "request").map((e) => JSON.parse(e.data))),
        );
      } catch {
        // Cut (the sandbox stopped, the network went): reconnect below unless this stream was closed on purpose.
      }
      if (controller.signal.aborted) return;
      live("reconnecting…", "off");
      retry = setTimeout(connect, 1000);
    };
    void connect();
  }
  $("admin-reads").addEventListener("change", (event) => {
    state.adminReads = event.currentTarget.checked;
    state.cursor = undefined;
    fill("journal", [], "No request yet.");
    openJournal();
  });
  $("clear-journal").addEventListener("click", (event) =>
    act(event.currentTarget, async () => {
      await api("DELETE", "requests");
      fill("journal", [], "No request yet.");
      return "Journal cleared.";
    }),
  );

  // ---- Start -------------------------------------------------------------------------------------------------
  async function refresh() {
    const results = await Promise.allSettled([
      api("GET", "clock").then(showClock),
      loadTokens(),
      loadSessions(),
      loadDeliveries(),
      loadSubscriptions(),
      loadScenarios(),
    ]);
    const failed = results.find((r) => r.status === "rejected");
    if (failed) report(failed.reason);
  }
  function scheduleRefresh() {
    clearTimeout(state.refreshTimer);
    state.refreshTimer = setTimeout(() => void refresh(), 150);
  }
  /** Loads every view, then streams the journal: "live" says the views show the namespace and follow it. */
  async function start() {
    if (document.body.dataset.auth === "token" && sessionStorage.getItem(TOKEN_KEY) === null)
      return askToken("");
    const run = ++state.run;
    // Until the views are loaded and the journal streams, the page is not live (nor is the journal it may have
    // been streaming, another namespace's or a refused token's).
    stopJournal();
    live("loading…", "warn");
    try {
      await loadNamespaces();
      await loadSubjects();
    } catch (error) {
      if (error instanceof Unauthorized || error instanceof Stale) return;
      report(error);
    }
    if (run !== state.run) return;
    $("auth").hidden = true;
    $("main").hidden = false;
    $("forget").hidden = sessionStorage.getItem(TOKEN_KEY) === null;
    fill("journal", [], "No request yet.");
    state.cursor = undefined;
    await refresh();
    // A change made meanwhile is in the stream's first events (the newest entries), which refresh the views again.
    if (run === state.run) openJournal();
  }
  void start();
})();
`;
