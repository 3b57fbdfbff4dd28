/* Work without signal (issue 14): kept on the device in IndexedDB (npm idb, /idb.umd.js) and sent when the connection
   returns, each item once (its own Idempotency-Key):
   - interactions (visit, call, meeting, note) to POST /sync/notes, a visit's location check-in with it when the RM
     allows one (navigator.geolocation; a refusal or no fix is said and kept as such);
   - new tasks to POST /sync/tasks, tasks rescheduled offline to POST /sync/reschedules with the task as this device
     last saw it: when it changed meanwhile (another device, a manager) the server answers 409 with the task as it is,
     and the RM sees both versions and chooses (keep mine: sent again against what they were shown; keep theirs:
     dropped from the device);
   - a note's text revised offline (the offline page's customer view: its recent interactions) to POST
     /sync/notes/<id>/revisions with the revision this device saw: revised meanwhile, the server answers 409 with the
     note as it is (who, when, text) and the RM sees both texts and chooses the same way.
   Nothing is dropped silently: an item the server refuses (customer no longer in the RM's scope, a bad item) stays on
   the device with the server's words until the RM retries or discards it; an ended session keeps every item and asks
   the RM to sign in; a full device (QuotaExceededError, navigator.storage.estimate) says so and leaves the typed text
   in the form.
   Read offline: the RM's open tasks (GET /sync/tasks) and the summary of the customers the RM opened (GET
   /sync/customers/<id>: the 360 page's data as the RM's field policy shows it, masked values masked), shown by the
   offline page (assets/offline.html, served by the service worker when the server cannot be reached). Both are
   forgotten when the login page shows (where sign-out lands) and when another user signs in on the device.
   External file: the Content-Security-Policy allows no inline script. */
(function () {
  "use strict";
  if (!window.idb || !window.indexedDB) return;
  var TEXT = {
    zh_CN: {
      saved: "已保存在此设备上，恢复网络后自动上传。待上传：", waiting: "条离线记录待上传", signIn: "登录已过期，离线记录仍保存在此设备上。请重新登录以上传：",
      signInLink: "重新登录", refused: "未能上传：", retry: "重试", discard: "放弃", by: "记录人：", sent: "离线记录已上传：",
      none: "请先在联网时打开客户页面。", conflict: "此任务已在其他设备上修改：", mine: "此设备：", theirs: "现在：",
      keepMine: "保留此设备的版本", keepTheirs: "保留现在的版本", due: "到期 ", done: "已完成", open: "未完成",
      quota: "此设备存储空间已满，未能保存。内容仍在表单中，请释放空间后再保存。", checkFix: "已记录位置（误差约 {m} 米）。",
      checkRefused: "未允许定位：记录已保存，不含位置。", checkNone: "无法获取位置：记录已保存，不含位置。",
      checkWait: "正在获取位置…", taskSaved: "任务已保存在此设备上，恢复网络后自动上传。", reschedule: "改期",
      reschedSaved: "改期已保存在此设备上，恢复网络后自动上传。", noTasks: "此设备上没有保存的待办任务。",
      idNumber: "证件号", phone: "手机", segment: "客户分层", aum: "资产", risk: "风险等级", recent: "最近互动",
      cachedNote: "离线查看：此为上次在线时看到的内容（敏感信息保持掩码）。", kinds: { note: "记录", task: "任务", reschedule: "改期" },
      pastDue: "请选择将来的时间。", need: "请填写此项。", edit: "编辑", saveEdit: "保存修改在此设备",
      editSaved: "修改已保存在此设备上，恢复网络后自动上传。", pendingEdit: "待上传的修改：",
      noteConflict: "此记录已在其他设备上修改：", theirsBy: "现在（{by}，{when}）：", editing: "编辑记录："
    },
    en: {
      saved: "Saved on this device; sent when the signal returns. Waiting: ", waiting: " item(s) written offline waiting to be sent",
      signIn: "Your session has ended; what you wrote offline is still on this device. Sign in again to send it: ",
      signInLink: "Sign in again", refused: "Not sent: ", retry: "Retry", discard: "Discard", by: "Written by ",
      sent: "Items written offline sent: ", none: "Open a customer's page while online first.",
      conflict: "This task was changed on another device: ", mine: "On this device: ", theirs: "Now: ",
      keepMine: "Keep this device's version", keepTheirs: "Keep the current version", due: "due ", done: "done",
      open: "open", quota: "This device's storage is full: nothing was saved. Your text is still in the form; free some space and save again.",
      checkFix: "Location recorded (within about {m} m).", checkRefused: "Location not allowed: saved without a location.",
      checkNone: "No location fix: saved without a location.", checkWait: "Finding your location…",
      taskSaved: "Task saved on this device; sent when the signal returns.", reschedule: "Reschedule",
      reschedSaved: "New due time saved on this device; sent when the signal returns.",
      noTasks: "No open tasks are kept on this device.", idNumber: "ID number", phone: "Phone", segment: "Segment",
      aum: "AUM", risk: "Risk level", recent: "Recent interactions",
      cachedNote: "Read offline: as last seen online (sensitive values stay masked).",
      kinds: { note: "note", task: "task", reschedule: "reschedule" }, pastDue: "Choose a time in the future.",
      need: "Fill in this field.", edit: "Edit", saveEdit: "Save the edit on this device",
      editSaved: "Edit saved on this device; sent when the signal returns.", pendingEdit: "Edit waiting to be sent: ",
      noteConflict: "This note was changed on another device: ", theirsBy: "Now ({by}, {when}): ",
      editing: "Edit the notes: "
    }
  };
  var MAX_CUSTOMERS = 30;
  var TASKS_EVERY_MS = 5 * 60 * 1000;
  var ENDPOINT = { note: "/sync/notes", task: "/sync/tasks", reschedule: "/sync/reschedules" };
  function endpoint(n) {
    if (n.type === "revision") return "/sync/notes/" + Number(n.interaction_id) + "/revisions";
    return ENDPOINT[n.type || "note"];
  }

  function locale() {
    var m = document.cookie.match(/(?:^|;\s*)fincrm_locale=([^;]*)/);
    return m && decodeURIComponent(m[1]).replace(/^"|"$/g, "") === "en" ? "en" : "zh_CN";
  }
  function t(key) { return TEXT[locale()][key]; }
  function when(iso) {
    if (!iso) return "";
    var d = new Date(iso);
    if (isNaN(d.getTime())) return iso;
    return d.toLocaleString(locale() === "en" ? "en-GB" : "zh-CN",
                            { year: "numeric", month: "2-digit", day: "2-digit", hour: "2-digit", minute: "2-digit" });
  }

  var dbPromise = null;
  function db() {
    if (!dbPromise) {
      dbPromise = window.idb.openDB("fincrm-device", 2, {
        upgrade: function (d, oldVersion) {
          if (oldVersion < 1) {
            d.createObjectStore("notes", { keyPath: "key" });  // the queue (notes, tasks, reschedules)
            d.createObjectStore("customers", { keyPath: "id" });
            d.createObjectStore("meta");
          }
          if (oldVersion < 2) d.createObjectStore("tasks", { keyPath: "id" });
        }
      });
    }
    return dbPromise;
  }

  function newKey() {
    if (window.crypto && crypto.randomUUID) return crypto.randomUUID();
    var a = new Uint8Array(16);
    crypto.getRandomValues(a);
    return Array.prototype.map.call(a, function (b) { return ("0" + b.toString(16)).slice(-2); }).join("");
  }

  function isQuota(e) {
    return !!e && (e.name === "QuotaExceededError" || e.code === 22 ||
                   (e.inner && e.inner.name === "QuotaExceededError"));
  }

  // Keep one queued item, or throw a QuotaExceededError when the device has no room for it (the caller keeps the
  // form as it is and says so).
  async function keep(item) {
    if (navigator.storage && navigator.storage.estimate) {
      try {
        var est = await navigator.storage.estimate();
        var need = JSON.stringify(item).length * 4;
        if (est.quota && est.usage + need > est.quota) {
          var full = new Error("storage full");
          full.name = "QuotaExceededError";
          throw full;
        }
      } catch (e) {
        if (isQuota(e)) throw e;  // an estimate that fails says nothing: try the write
      }
    }
    var d = await db();
    var tx = d.transaction("notes", "readwrite");
    try {
      await tx.store.put(item);
      await tx.done;
    } catch (e) {
      var err = tx.error || e;
      throw err || e;
    }
  }

  async function rememberCustomer(id, name) {
    var d = await db();
    var old = await d.get("customers", id);
    var entry = { id: id, name: name, at: Date.now(), summary: old ? old.summary : null };
    await d.put("customers", entry);
    try {  // the 360 summary as the server shows it to this RM (masked values masked); never a revealed value
      var r = await fetch("/sync/customers/" + id, { credentials: "same-origin", cache: "no-store" });
      if (r.ok) {
        entry.summary = await r.json();
        entry.name = entry.summary.name || name;
        await d.put("customers", entry);
      }
    } catch (e) { /* no signal after all: the name is kept */ }
    var all = await d.getAll("customers");
    all.sort(function (a, b) { return b.at - a.at; });
    for (var i = MAX_CUSTOMERS; i < all.length; i++) await d.delete("customers", all[i].id);
  }

  async function keepTasks(force) {
    var d = await db();
    var last = (await d.get("meta", "tasks_at")) || 0;
    if (!force && Date.now() - last < TASKS_EVERY_MS) return;
    try {
      var r = await fetch("/sync/tasks", { credentials: "same-origin", cache: "no-store" });
      if (!r.ok) return;
      var body = await r.json();
      var tx = d.transaction(["tasks", "meta"], "readwrite");
      await tx.objectStore("tasks").clear();
      for (var i = 0; i < body.tasks.length; i++) await tx.objectStore("tasks").put(body.tasks[i]);
      await tx.objectStore("meta").put(Date.now(), "tasks_at");
      await tx.done;
    } catch (e) { /* offline: keep what the device has */ }
  }

  async function forgetReading() {  // sign-out or another user: what this device showed is not for the next person
    var d = await db();
    await d.clear("customers");
    await d.clear("tasks");
    await d.delete("meta", "tasks_at");
  }

  async function recentCustomers() {
    var all = await (await db()).getAll("customers");
    return all.sort(function (a, b) { return b.at - a.at; });
  }

  async function currentUser() { return (await (await db()).get("meta", "user")) || ""; }

  function payload(n) {
    if (n.payload) return n.payload;
    return { customer_id: n.customer_id, kind: n.kind, notes: n.notes, written_at: n.written_at };  // version 1
  }

  // ------------------------------------------------------------ sending

  var syncing = false;
  var signedOut = false;
  async function sync() {
    if (syncing || !navigator.onLine) return render();
    syncing = true;
    var sent = 0;
    try {
      var d = await db();
      var me = await currentUser();
      var items = await d.getAll("notes");
      items.sort(function (a, b) { return a.written_at < b.written_at ? -1 : 1; });
      for (var i = 0; i < items.length; i++) {
        var n = items[i];
        if (n.status !== "waiting" || (n.author && me && n.author !== me)) continue;
        var r;
        try {
          r = await fetch(endpoint(n), {
            method: "POST", credentials: "same-origin",
            headers: { "Content-Type": "application/json", "Idempotency-Key": n.key },
            body: JSON.stringify(payload(n))
          });
        } catch (e) {
          break;  // no connection after all: later
        }
        if (r.status === 200 || r.status === 201) {
          await d.delete("notes", n.key);
          sent++;
          signedOut = false;
          // A revised note: the device reads the customer again, so a later edit starts from the new revision.
          if (n.type === "revision" && n.customer_id) rememberCustomer(n.customer_id, n.customer_name || "").catch(function () {});
        } else if (r.status === 401) {
          signedOut = true;
          break;
        } else if (r.status >= 500) {
          break;  // the server's trouble: try again later, unchanged
        } else {
          var body = {};
          try { body = await r.json(); } catch (e) { /* not JSON */ }
          n.status = r.status === 409 && body.current ? "conflict" : "refused";
          n.message = body.message || ("HTTP " + r.status);
          if (body.current) n.current = body.current;
          await d.put("notes", n);
        }
      }
      if (sent) await keepTasks(true);
    } finally {
      syncing = false;
    }
    return render(sent);
  }

  // ------------------------------------------------------------ the status bar on the app's pages

  function describe(n) {
    if (n.type === "task") return n.customer_name + " · " + n.payload.title;
    if (n.type === "reschedule") return n.title + " · " + t("due") + when(n.payload.due_at);
    if (n.type === "revision") return n.customer_name + " · " + n.title;
    return n.customer_name;
  }

  // A line of text (a <p>, with a class when given) appended to the sync bar or to one of its boxes.
  function paragraph(parent, text, cls) {
    var p = document.createElement("p");
    p.textContent = text;
    if (cls) p.className = cls;
    parent.appendChild(p);
    return p;
  }

  function button(text, id, onClick) {
    var b = document.createElement("button");
    b.type = "button";
    b.textContent = text;
    if (id) b.id = id;
    b.addEventListener("click", onClick);
    return b;
  }

  async function render(sent) {
    if (document.getElementById("fincrm-offline")) return renderOffline();
    var items = await (await db()).getAll("notes");
    var me = await currentUser();
    var bar = document.getElementById("fincrm-sync");
    var waiting = items.filter(function (n) { return n.status === "waiting"; });
    var refused = items.filter(function (n) { return n.status === "refused"; });
    var conflicts = items.filter(function (n) { return n.status === "conflict"; });
    if (!waiting.length && !refused.length && !conflicts.length && !sent) {
      if (bar) bar.remove();
      return;
    }
    if (!bar) {
      bar = document.createElement("div");
      bar.id = "fincrm-sync";
      bar.className = "fincrm-sync";
      bar.setAttribute("role", "status");
      document.body.appendChild(bar);
    }
    bar.textContent = "";
    function line(text, cls) { return paragraph(bar, text, cls); }
    if (sent) line(t("sent") + sent, "fincrm-sync-sent");
    if (waiting.length) {
      var others = waiting.filter(function (n) { return n.author && me && n.author !== me; });
      var head = line(signedOut ? t("signIn") + waiting.length : waiting.length + t("waiting"));
      if (signedOut) {
        head.id = "fincrm-sync-signin";
        var a = document.createElement("a");
        a.href = "/login?next=" + encodeURIComponent(location.pathname);
        a.textContent = t("signInLink");
        a.className = "fincrm-sync-link";
        head.appendChild(a);
      }
      others.forEach(function (n) { line(t("by") + n.author + " · " + describe(n)); });
    }
    refused.forEach(function (n) {
      var p = line(t("refused") + describe(n) + " · " + n.message, "fincrm-sync-refused");
      p.id = "fincrm-sync-refused-" + n.key;
      p.appendChild(button(t("retry"), null, async function () {
        n.status = "waiting";
        delete n.message;
        await (await db()).put("notes", n);
        sync();
      }));
      p.appendChild(button(t("discard"), null, async function () {
        await (await db()).delete("notes", n.key);
        render();
      }));
    });
    conflicts.forEach(function (n) {
      if (n.type === "revision") return noteConflict(n);
      var c = n.current || {};
      var box = document.createElement("div");
      box.className = "fincrm-sync-conflict";
      box.id = "fincrm-sync-conflict-" + n.key;
      bar.appendChild(box);
      var p1 = document.createElement("p");
      p1.textContent = t("conflict") + (c.title || n.title || "");
      var p2 = document.createElement("p");
      p2.className = "fincrm-sync-mine";
      p2.textContent = t("mine") + t("due") + when(n.payload.due_at);
      var p3 = document.createElement("p");
      p3.className = "fincrm-sync-theirs";
      p3.textContent = t("theirs") + t("due") + when(c.due_at) + " · " + (c.status === "open" ? t("open") : t("done"));
      var p4 = document.createElement("p");
      p4.appendChild(button(t("keepMine"), "fincrm-keep-mine-" + n.key, function () {
        return resend(n, { seen: { due_at: c.due_at, status: c.status } });
      }));
      p4.appendChild(button(t("keepTheirs"), "fincrm-keep-theirs-" + n.key, async function () {
        await (await db()).delete("notes", n.key);
        await keepTasks(true);
        render();
      }));
      box.appendChild(p1);
      box.appendChild(p2);
      box.appendChild(p3);
      box.appendChild(p4);
    });
  }

  // "Keep mine" after a conflict: the queued item sent again based on the version the RM was shown (`patch`: what
  // it now says it saw), under a new key: it is another request.
  async function resend(n, patch) {
    var d = await db();
    await d.delete("notes", n.key);
    n.payload = Object.assign({}, n.payload, patch);
    n.key = newKey();
    n.status = "waiting";
    delete n.message;
    delete n.current;
    await d.put("notes", n);
    sync();
  }

  // A note revised here and elsewhere: both texts, and the RM chooses (nothing is dropped without that choice).
  function noteConflict(n) {
    var c = n.current || {};
    var bar = document.getElementById("fincrm-sync");
    var box = document.createElement("div");
    box.className = "fincrm-sync-conflict";
    box.id = "fincrm-sync-conflict-" + n.key;
    bar.appendChild(box);
    function para(text, cls) { return paragraph(box, text, cls); }
    para(t("noteConflict") + (n.customer_name ? n.customer_name + " · " : "") + (n.title || ""));
    para(t("mine") + n.payload.notes, "fincrm-sync-mine");
    para(t("theirsBy").replace("{by}", c.by || "").replace("{when}", when(c.at)) + (c.notes || ""),
         "fincrm-sync-theirs");
    var p4 = para("");
    p4.appendChild(button(t("keepMine"), "fincrm-keep-mine-" + n.key, function () {
      return resend(n, { base_revision: c.revision });
    }));
    p4.appendChild(button(t("keepTheirs"), "fincrm-keep-theirs-" + n.key, async function () {
      await (await db()).delete("notes", n.key);
      if (n.customer_id) await rememberCustomer(n.customer_id, n.customer_name || "");  // the text as it is now
      render();
    }));
  }

  // ------------------------------------------------------------ the offline page

  function say(id, text, isError) {
    var el = document.getElementById(id);
    if (!el) return;
    el.textContent = text || "";
    el.classList.toggle("error", !!isError);
  }

  async function renderOffline() {
    var count = document.getElementById("offline-waiting");
    if (!count) return;
    var items = await (await db()).getAll("notes");
    count.textContent = items.length ? t("saved") + items.length : "";
  }

  function option(select, value, text) {
    var o = document.createElement("option");
    o.value = String(value);
    o.textContent = text;
    select.appendChild(o);
  }

  function dd(dl, term, value) {
    if (value === null || value === undefined || value === "") return;
    var dt = document.createElement("dt");
    dt.textContent = term;
    var dv = document.createElement("dd");
    dv.textContent = value;
    dl.appendChild(dt);
    dl.appendChild(dv);
  }

  function showCustomer(c) {
    var view = document.getElementById("offline-customer-view");
    if (!view) return;
    view.textContent = "";
    var h = document.createElement("h2");
    h.id = "offline-customer-name";
    h.textContent = c.name;
    view.appendChild(h);
    var note = document.createElement("p");
    note.className = "muted";
    note.textContent = t("cachedNote");
    view.appendChild(note);
    var s = c.summary;
    if (s) {
      var dl = document.createElement("dl");
      dd(dl, t("idNumber"), s.id_number);
      dd(dl, t("phone"), s.phone);
      dd(dl, t("segment"), s.segment);
      dd(dl, t("aum"), s.aum);
      dd(dl, t("risk"), s.risk_level ? s.risk_level + (s.risk_valid_until ? " · " + s.risk_valid_until : "") : "");
      view.appendChild(dl);
      var ids = dl.querySelectorAll("dd");
      if (ids.length && s.id_number) ids[0].id = "offline-customer-id-number";
      if (s.interactions && s.interactions.length) {
        var h3 = document.createElement("h3");
        h3.textContent = t("recent");
        view.appendChild(h3);
        var ul = document.createElement("ul");
        ul.id = "offline-interactions";
        s.interactions.forEach(function (i) { ul.appendChild(interactionItem(c, s, i)); });
        view.appendChild(ul);
        var status = document.createElement("p");
        status.id = "offline-note-status";
        status.setAttribute("role", "status");
        view.appendChild(status);
      }
    }
    view.hidden = false;
  }

  // One of the customer's recent interactions, as last seen online: its notes, an edit waiting to be sent, and (for
  // who may revise notes) Edit: the new text is kept on the device with the revision seen, sent when online.
  function interactionItem(c, s, i) {
    var li = document.createElement("li");
    li.className = "offline-interaction";
    if (i.id) li.id = "offline-interaction-" + i.id;
    var head = document.createElement("p");
    head.textContent = i.at + " · " + i.kind + " · " + i.subject;
    li.appendChild(head);
    var text = document.createElement("p");
    text.className = "muted offline-note-text";
    text.textContent = i.notes || "";
    li.appendChild(text);
    if (!i.id || !s.can_revise) return li;
    var pending = document.createElement("p");
    pending.className = "offline-note-pending";
    li.appendChild(pending);
    db().then(function (d) { return d.getAll("notes"); }).then(function (items) {
      var mine = items.filter(function (n) { return n.type === "revision" && n.interaction_id === i.id; })[0];
      pending.textContent = mine ? t("pendingEdit") + mine.payload.notes : "";
    });
    li.appendChild(button(t("edit"), "offline-note-edit-" + i.id, async function () {
      if (document.getElementById("offline-note-text-" + i.id)) return;
      var items = await (await db()).getAll("notes");
      var queued = items.filter(function (n) { return n.type === "revision" && n.interaction_id === i.id; })[0];
      var label = document.createElement("label");
      label.htmlFor = "offline-note-text-" + i.id;
      label.textContent = t("editing") + i.subject;
      var area = document.createElement("textarea");
      area.id = "offline-note-text-" + i.id;
      area.rows = 5;
      area.maxLength = 4000;
      area.value = queued ? queued.payload.notes : (i.notes || "");
      var save = button(t("saveEdit"), "offline-note-save-" + i.id, async function () {
        var value = area.value.trim();
        if (!value) return say("offline-note-status", t("need"), true);
        // An edit already waiting keeps the revision it was based on: what this device saw before any edit.
        var item = queued || { key: newKey(), type: "revision", status: "waiting", author: await currentUser(),
                               customer_id: c.id, customer_name: c.name, interaction_id: i.id, title: i.subject,
                               payload: { base_revision: i.revision || 1 } };
        item.written_at = new Date().toISOString();
        item.payload = Object.assign({}, item.payload, { notes: value.slice(0, 4000), written_at: item.written_at });
        try {
          await keep(item);
        } catch (e) {
          return say("offline-note-status", isQuota(e) ? t("quota") : String(e && e.message || e), true);
        }
        queued = item;
        pending.textContent = t("pendingEdit") + item.payload.notes;
        say("offline-note-status", t("editSaved"));
        renderOffline();
      });
      li.appendChild(label);
      li.appendChild(area);
      li.appendChild(save);
      var said = document.getElementById("offline-note-status");
      if (said) { said.textContent = ""; save.after(said); }  // what saving says, beside the note being edited
      area.focus();
    }));
    return li;
  }

  function position() {
    return new Promise(function (resolve) {
      if (!navigator.geolocation) return resolve({ status: "unavailable" });
      navigator.geolocation.getCurrentPosition(function (p) {
        resolve({ status: "fix", latitude: p.coords.latitude, longitude: p.coords.longitude,
                  accuracy_m: Math.min(Math.round(p.coords.accuracy * 10) / 10, 100000),
                  taken_at: new Date(p.timestamp || Date.now()).toISOString() });
      }, function (err) {
        resolve({ status: err && err.code === 1 ? "refused" : "unavailable" });
      }, { enableHighAccuracy: true, timeout: 10000, maximumAge: 60000 });
    });
  }

  function checkInWords(where) {
    if (!where) return "";
    if (where.status === "fix") return t("checkFix").replace("{m}", String(Math.round(where.accuracy_m)));
    return where.status === "refused" ? t("checkRefused") : t("checkNone");
  }

  function futureIso(value) {
    if (!value) return null;
    var d = new Date(value);  // datetime-local: the device's own time zone
    if (isNaN(d.getTime()) || d.getTime() < Date.now() - 60000) return null;
    return d.toISOString();
  }

  async function renderTasks() {
    var list = document.getElementById("offline-tasks");
    if (!list) return;
    var d = await db();
    var tasks = await d.getAll("tasks");
    var queued = (await d.getAll("notes")).filter(function (n) { return n.type === "reschedule"; });
    list.textContent = "";
    if (!tasks.length) {
      var p = document.createElement("li");
      p.className = "muted";
      p.textContent = t("noTasks");
      list.appendChild(p);
      return;
    }
    tasks.sort(function (a, b) { return (a.due_at || "") < (b.due_at || "") ? -1 : 1; });
    tasks.forEach(function (task) {
      var pending = queued.filter(function (n) { return n.payload.task_id === task.id; })[0];
      var li = document.createElement("li");
      li.id = "offline-task-" + task.id;
      var title = document.createElement("p");
      title.textContent = task.title + (task.customer_name ? " · " + task.customer_name : "");
      var due = document.createElement("p");
      due.className = "muted";
      due.textContent = t("due") + when(pending ? pending.payload.due_at : task.due_at);
      var label = document.createElement("label");
      label.htmlFor = "offline-resched-" + task.id;
      label.textContent = t("reschedule") + " · " + task.title;
      label.className = "visually-hidden";
      var input = document.createElement("input");
      input.type = "datetime-local";
      input.id = "offline-resched-" + task.id;
      var save = button(t("reschedule"), "offline-resched-save-" + task.id, async function () {
        var iso = futureIso(input.value);
        if (!iso) return say("offline-task-status", t("pastDue"), true);
        var item = pending || { key: newKey(), type: "reschedule", status: "waiting", author: await currentUser(),
                                customer_id: task.customer_id, customer_name: task.customer_name, title: task.title,
                                payload: { task_id: task.id, seen: { due_at: task.due_at, status: task.status } } };
        item.payload = Object.assign({}, item.payload, { due_at: iso });
        item.written_at = new Date().toISOString();
        try {
          await keep(item);
        } catch (e) {
          return say("offline-task-status", isQuota(e) ? t("quota") : String(e && e.message || e), true);
        }
        say("offline-task-status", t("reschedSaved"));
        renderTasks();
        renderOffline();
      });
      li.appendChild(title);
      li.appendChild(due);
      li.appendChild(label);
      li.appendChild(input);
      li.appendChild(save);
      list.appendChild(li);
    });
  }

  async function offlinePage() {
    var section = document.getElementById("offline-note");
    if (!section) return;
    var select = document.getElementById("offline-customer");
    var taskSelect = document.getElementById("offline-task-customer");
    var customers = await recentCustomers();
    renderTasks();
    document.getElementById("offline-tasks-section").hidden = false;
    if (!customers.length) {
      document.getElementById("offline-none").textContent = t("none");
      renderOffline();
      return;
    }
    var list = document.getElementById("offline-customers");
    customers.forEach(function (c) {
      option(select, c.id, c.name);
      option(taskSelect, c.id, c.name);
      var li = document.createElement("li");
      li.appendChild(button(c.name, "offline-open-" + c.id, function () {
        showCustomer(c);
        document.getElementById("offline-customer-view").scrollIntoView({ block: "start" });
      }));
      list.appendChild(li);
    });
    section.hidden = false;
    document.getElementById("offline-task").hidden = false;
    document.getElementById("offline-recent").hidden = false;
    // A customer's address opened without signal: that customer's summary, as last seen.
    var m = location.pathname.match(/^\/customers\/(\d+)\/?$/);
    if (m) {
      var here = customers.filter(function (c) { return c.id === Number(m[1]); })[0];
      if (here) {
        showCustomer(here);
        select.value = String(here.id);
        taskSelect.value = String(here.id);
      }
    }
    function chosen(sel) {
      var id = Number(sel.value);
      return customers.filter(function (c) { return c.id === id; })[0] || { id: id, name: "" };
    }
    document.getElementById("offline-form").addEventListener("submit", async function (e) {
      e.preventDefault();
      var area = document.getElementById("offline-notes");
      var text = area.value.trim();
      if (!text) return say("offline-error", t("need"), true);
      say("offline-error", "");
      var kind = document.getElementById("offline-kind").value;
      var c = chosen(select);
      var item = { key: newKey(), type: "note", customer_id: c.id, customer_name: c.name, status: "waiting",
                   author: await currentUser(), written_at: new Date().toISOString() };
      item.payload = { customer_id: c.id, kind: kind, notes: text.slice(0, 4000), written_at: item.written_at };
      var where = null;
      if (document.getElementById("offline-checkin").checked) {
        say("offline-checkin-status", t("checkWait"));
        where = await position();
        item.payload.location = where;
      }
      try {
        await keep(item);
      } catch (err) {
        say("offline-checkin-status", "");
        return say("offline-error", isQuota(err) ? t("quota") : String(err && err.message || err), true);
      }
      area.value = "";  // only once it is safely on the device
      say("offline-checkin-status", checkInWords(where));
      renderOffline();
    });
    document.getElementById("offline-task-form").addEventListener("submit", async function (e) {
      e.preventDefault();
      var title = document.getElementById("offline-task-title");
      var due = futureIso(document.getElementById("offline-task-due").value);
      if (!title.value.trim()) return say("offline-task-status", t("need"), true);
      if (!due) return say("offline-task-status", t("pastDue"), true);
      var c = chosen(taskSelect);
      var item = { key: newKey(), type: "task", customer_id: c.id, customer_name: c.name, status: "waiting",
                   author: await currentUser(), written_at: new Date().toISOString(),
                   payload: { customer_id: c.id, title: title.value.trim().slice(0, 200), due_at: due } };
      try {
        await keep(item);
      } catch (err) {
        return say("offline-task-status", isQuota(err) ? t("quota") : String(err && err.message || err), true);
      }
      title.value = "";
      say("offline-task-status", t("taskSaved"));
      renderOffline();
    });
    renderOffline();
  }

  // ------------------------------------------------------------ the app's pages

  var lastPath = "";
  async function watchPage() {
    var path = location.pathname.replace(/\/+$/, "");
    var user = document.getElementById("current-user");
    var who = user && user.textContent.trim();
    if (who) {
      var d = await db();
      var before = await d.get("meta", "user");
      if (before !== who) {
        if (before) await forgetReading();  // another person signed in on this device
        await d.put("meta", who, "user");
      }
      if (navigator.onLine) keepTasks(false);
    }
    var m = path.match(/^\/customers\/(\d+)$/);
    var name = document.getElementById("customer-name");
    if (m && name && name.textContent.trim() && path !== lastPath) {
      lastPath = path;
      rememberCustomer(Number(m[1]), name.textContent.trim());
    } else if (!m) {
      lastPath = path;
    }
  }

  async function start() {
    if (document.getElementById("fincrm-offline")) return offlinePage();
    if (/^\/login\/?$/.test(location.pathname)) {  // where sign-out lands: forget whom this device showed
      await forgetReading();
      await (await db()).delete("meta", "user");
    }
    if (navigator.storage && navigator.storage.persist) {
      navigator.storage.persisted().then(function (yes) { if (!yes) navigator.storage.persist(); }).catch(function () {});
    }
    setInterval(watchPage, 1000);
    window.addEventListener("online", function () { sync(); });
    setInterval(sync, 60000);
    setTimeout(sync, 1500);  // after the page's own first requests
  }

  // The agenda's visit dialog asks for a check-in through rx.call_script (state/agenda.py visit_location).
  window.fincrmOfflineNotes = { sync: sync, keepTasks: keepTasks, checkIn: position };
  start();
})();
