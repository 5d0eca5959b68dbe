/* The gate scanner: the same offline rules as admit.checkin.validation, in the browser
   (payload.js reads and verifies the QR). Everything the scanner needs after setup is in local storage: the credential, the manifest,
   what this device has seen and the scans waiting to be uploaded. */
"use strict";

const API = "/api/v1/gate";
const STORE = "admit.gate.";
const FORMAT = "admit-manifest/2";  // as admit.checkin.validation.FORMAT
const SYNC_EVERY_MS = 30000;
const MESSAGES = {
  admitted: "Admitted", exited: "Exit recorded", already_inside: "Already inside",
  already_used: "Already used: no re-entry", not_inside: "Not inside", wrong_gate: "Wrong gate",
  wrong_session: "Ticket for another session", unknown: "Not on this gate's list: sync and retry",
  revoked: "Ticket revoked", forged: "Forged or damaged ticket", not_valid_yet: "Not valid yet",
  expired: "Expired", identity_required: "Check the holder's ID",
  identity_mismatch: "ID does not match the ticket",
};
const OK = new Set(["admitted", "exited"]);
const FORGED = {
  malformed: "Not one of our tickets, or damaged",
  unknown_key: "Signed with a key this gate does not know",
  bad_signature: "The signature does not match: altered or forged",
};

const $ = (id) => document.getElementById(id);
const load = (key, fallback) => {
  const raw = localStorage.getItem(STORE + key);
  return raw === null ? fallback : JSON.parse(raw);
};
const save = (key, value) => localStorage.setItem(STORE + key, JSON.stringify(value));
// The manifest is parsed once (a 20,000-ticket one is ~2 MB) and kept in memory.
let held = null;
const manifest = () => held || (held = load("manifest", null));
const keepManifest = (m) => { save("manifest", m); held = m; };

/* ---- the manifest ------------------------------------------------------------------------- */

const ENTRY = ["seat", "section", "level", "kind", "holder", "id_tail", "revoked"];

function mergeManifest(held, doc) {
  if (doc.format !== FORMAT) throw new Error("a manifest this scanner cannot read: reload the page");
  const m = doc.full || !held ? { entries: {} } : held;
  Object.assign(m, {
    format: doc.format, session: doc.session, version: doc.version, policy: doc.policy,
    gates: doc.gates, keys: doc.keys,
    admit_from: Date.parse(doc.admit_from) / 1000, admit_until: Date.parse(doc.admit_until) / 1000,
  });
  for (const row of doc.tickets) {
    const item = Object.fromEntries(doc.columns.map((c, i) => [c, row[i]]));
    m.entries[item.code] = ENTRY.map((f) => (f === "revoked" ? null : item[f] ?? null));
  }
  for (const [code, reason] of Object.entries(doc.revoked)) {
    const old = m.entries[code] || ["", null, null, "", null, null, null];
    m.entries[code] = [...old.slice(0, 6), reason];
  }
  return m;
}

function gateChain(m, gate) {
  const parents = Object.fromEntries(m.gates.map((g) => [g.code, g.parent]));
  const chain = new Set();
  for (let g = gate; g && !chain.has(g); g = parents[g]) chain.add(g);
  return chain;
}

const covers = (rule, e) =>
  (!rule.sections.length || rule.sections.includes(e.section)) &&
  (!rule.levels.length || rule.levels.includes(e.level)) &&
  (!rule.kinds.length || rule.kinds.includes(e.kind));

/* ---- a scan -------------------------------------------------------------------------------- */

async function decide(text, { gate, direction, idNumber, nowSeconds }) {
  const m = manifest();
  let claims;
  try {
    claims = await verify(text.trim(), m.keys);
  } catch (e) {
    if (e instanceof Forged) return { result: "forged", detail: e.reason };
    throw e;
  }
  const code = claims.code;
  if (claims.session !== BigInt(m.session.id) && claims.kind !== "P") {
    return { result: "wrong_session", code, seat: claims.seat };
  }
  const row = m.entries[code];
  if (!row) return { result: "unknown", code, seat: claims.seat };
  const e = Object.fromEntries(ENTRY.map((f, i) => [f, row[i]]));
  const found = { code, seat: e.seat, section: e.section, holder: e.holder };
  const state = load("seen", {})[code];
  if (direction === "out") return { ...found, result: state && state.inside ? "exited" : "not_inside" };
  if (e.revoked) return { ...found, result: "revoked", detail: e.revoked };
  if (nowSeconds < m.admit_from) return { ...found, result: "not_valid_yet" };
  if (nowSeconds > m.admit_until) return { ...found, result: "expired" };
  const rules = m.policy.rules;
  if (rules.length) {
    const chain = gateChain(m, gate);
    if (!rules.some((r) => chain.has(r.gate) && covers(r, e))) {
      const gates = [...new Set(rules.filter((r) => covers(r, e)).map((r) => r.gate))].sort();
      return { ...found, result: "wrong_gate", detail: gates.join(", ") };
    }
  }
  if (state && state.inside) return { ...found, result: "already_inside" };
  if (state && state.entries && !m.policy.reentry) return { ...found, result: "already_used" };
  if (m.policy.identity_check && e.id_tail) {
    // Only the number's last characters are on the device (validation.id_tail).
    if (!idNumber) return { ...found, result: "identity_required" };
    if (!idMatches(e.id_tail, idNumber)) return { ...found, result: "identity_mismatch" };
  }
  return { ...found, result: "admitted" };
}

function record(verdict, gate, direction, at) {
  if (OK.has(verdict.result)) {
    const seen = load("seen", {});
    const s = seen[verdict.code] || { inside: false, entries: 0 };
    if (verdict.result === "admitted") { s.inside = true; s.entries += 1; } else { s.inside = false; }
    seen[verdict.code] = s;
    save("seen", seen);
  }
  const pending = load("pending", []);
  pending.push({
    scan_id: crypto.randomUUID(), code: verdict.code || null, gate, direction,
    result: verdict.result, detail: verdict.detail ? String(verdict.detail).slice(0, 60) : null,
    device_time: at.toISOString(),
  });
  save("pending", pending);
}

function show(verdict) {
  const box = $("result");
  box.className = "result " + (OK.has(verdict.result) ? "ok" : "bad");
  box.dataset.result = verdict.result;
  box.dataset.detail = verdict.detail || "";
  $("result-title").textContent = MESSAGES[verdict.result] || verdict.result;
  $("result-seat").textContent = verdict.seat || "";
  const parts = [];
  if (verdict.section) parts.push(`Section ${verdict.section}`);
  if (verdict.holder) parts.push(verdict.holder);
  if (verdict.result === "wrong_gate" && verdict.detail) parts.push(`Go to gate ${verdict.detail}`);
  else if (verdict.result === "forged") parts.push(FORGED[verdict.detail] || verdict.detail);
  else if (verdict.detail) parts.push(verdict.detail);
  $("result-detail").textContent = parts.join(" · ");
  $("id-box").hidden = !["identity_required", "identity_mismatch"].includes(verdict.result);
  if (navigator.vibrate) navigator.vibrate(OK.has(verdict.result) ? 60 : [120, 60, 120]);
}

async function check(text) {
  if (!text.trim()) return;
  const gate = $("gate").value || "-";
  const direction = document.querySelector("input[name=direction]:checked").value;
  const idNumber = $("id-number").value.trim() || null;
  const at = new Date();
  const verdict = await decide(text, { gate, direction, idNumber, nowSeconds: at.getTime() / 1000 });
  record(verdict, gate, direction, at);
  show(verdict);
  if (verdict.result !== "identity_required") $("id-number").value = "";
  refreshStatus();
}

/* ---- the server ---------------------------------------------------------------------------- */

async function api(path, options = {}) {
  const response = await fetch(API + path, {
    ...options,
    headers: { "X-Device-Key": load("credential", ""), "Content-Type": "application/json", ...(options.headers || {}) },
  });
  const body = await response.json().catch(() => ({}));
  if (!response.ok) throw new Error((body.error && body.error.message) || `HTTP ${response.status}`);
  return body;
}

async function downloadManifest(sessionId) {
  const old = manifest();
  const current = old && old.format === FORMAT && old.session.id === sessionId;
  const since = current ? `?since=${old.version}` : "";
  const doc = await api(`/sessions/${sessionId}/manifest${since}`);
  const merged = mergeManifest(since ? old : null, doc);
  if (!(old && old.session.id === sessionId)) save("seen", {});  // a new format keeps what was seen
  keepManifest(merged);
  return merged;
}

async function upload() {
  const m = manifest();
  let sent = 0;
  let conflicts = 0;
  for (;;) {
    const pending = load("pending", []);
    if (!pending.length) break;
    const batch = pending.slice(0, 500);
    const answer = await api(`/sessions/${m.session.id}/scans`, { method: "POST", body: JSON.stringify({ scans: batch }) });
    const done = new Set(batch.map((s) => s.scan_id));
    save("pending", load("pending", []).filter((s) => !done.has(s.scan_id)));
    sent += answer.received;
    conflicts += answer.conflicts.length;
  }
  return { sent, conflicts };
}

let syncing = false;

async function sync() {
  if (syncing || !manifest()) return;
  syncing = true;
  try {
    const { sent, conflicts } = await upload();
    const m = await downloadManifest(manifest().session.id);
    $("sync-msg").textContent = `Synced: ${sent} scans uploaded (${conflicts} conflicts), manifest v${m.version}.`;
  } catch (e) {
    $("sync-msg").textContent = `Not synced (${e.message}); scans are kept on this device.`;
  } finally {
    syncing = false;
    refreshStatus();
  }
}

function exportScans() {
  const device = load("device", {});
  const lines = load("pending", []).map((s) => JSON.stringify({ device: device.number, ...s })).join("\n");
  const link = document.createElement("a");
  link.href = URL.createObjectURL(new Blob([lines ? lines + "\n" : ""], { type: "application/x-ndjson" }));
  link.download = `scans-${device.number || "device"}-${Date.now()}.jsonl`;
  link.click();
}

/* ---- the screens --------------------------------------------------------------------------- */

function refreshStatus() {
  const m = manifest();
  const device = load("device", null);
  $("net").textContent = navigator.onLine ? "online" : "offline";
  $("net").classList.toggle("off", !navigator.onLine);
  $("device-label").textContent = device ? `${device.number}${device.gate ? " · gate " + device.gate : ""}` : "";
  $("setup").hidden = Boolean(m);
  $("scanner").hidden = !m;
  if (!m) return;
  const tickets = Object.values(m.entries);
  const revoked = tickets.filter((t) => t[6]).length;
  $("session-label").textContent = `${m.session.code} ${m.session.name || ""}`.trim();
  $("manifest-label").textContent = `v${m.version} · ${tickets.length - revoked} tickets · ${revoked} revoked`;
  $("pending-label").textContent = String(load("pending", []).length);
  const gates = m.gates.map((g) => g.code);
  const select = $("gate");
  if (select.options.length !== gates.length + 1) {
    select.replaceChildren(new Option("—", "-"), ...gates.map((g) => new Option(g, g)));
    select.value = load("gate", null) || (device && device.gate) || "-";
  }
}

async function signIn() {
  save("credential", $("credential").value.trim());
  $("setup-msg").textContent = "Signing in…";
  try {
    const me = await api("/device");
    save("device", { number: me.number, gate: me.gate });
    $("session").replaceChildren(
      ...me.sessions.map((s) => new Option(`${s.code} — ${s.name || ""} ${new Date(s.starts_at).toLocaleString()}`, s.id)),
    );
    $("sessions-box").hidden = false;
    $("setup-msg").textContent = me.sessions.length ? `Device ${me.number}: choose the session.` : "No session at this venue.";
    refreshStatus();
  } catch (e) {
    $("setup-msg").textContent = `Refused: ${e.message}`;
  }
}

async function chooseSession() {
  $("setup-msg").textContent = "Downloading the manifest…";
  try {
    await downloadManifest(Number($("session").value));
    refreshStatus();
  } catch (e) {
    $("setup-msg").textContent = `Could not download: ${e.message}`;
  }
}

function wire() {
  $("sign-in").addEventListener("click", signIn);
  $("download").addEventListener("click", chooseSession);
  $("scan-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    await check($("code").value);
    $("code").value = "";
    $("code").focus();
  });
  $("code").addEventListener("keydown", (event) => {
    if (event.key === "Enter" && !event.shiftKey) {  // scanners type the code and Enter
      event.preventDefault();
      $("scan-form").requestSubmit();
    }
  });
  $("gate").addEventListener("change", () => save("gate", $("gate").value));
  $("sync").addEventListener("click", sync);
  $("export").addEventListener("click", exportScans);
  $("reset").addEventListener("click", () => {
    if (load("pending", []).length && !confirm("Scans are waiting to upload. Sign out anyway?")) return;
    for (const key of ["credential", "device", "manifest", "seen", "pending", "gate"]) localStorage.removeItem(STORE + key);
    location.reload();
  });
  GateCamera.wire(check);
  window.addEventListener("online", () => { refreshStatus(); sync(); });
  window.addEventListener("offline", refreshStatus);
  setInterval(() => { if (navigator.onLine) sync(); }, SYNC_EVERY_MS);
  $("credential").value = load("credential", "");
  refreshStatus();
  // Offline after a reload needs the service worker; an engine without one says so.
  if ("serviceWorker" in navigator) {
    navigator.serviceWorker.register("/gate/sw.js", { scope: "/gate/" }).catch((e) => {
      $("offline-note").textContent = `This browser would not keep the page for offline use (${e.message}): keep this tab open.`;
    });
  } else {
    $("offline-note").textContent = "This browser cannot keep the page for offline use: keep this tab open while the network is down.";
  }
}

wire();
