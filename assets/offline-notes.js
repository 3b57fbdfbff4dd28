/* Notes written without signal (issue 14): kept on the device in IndexedDB (npm idb, /idb.umd.js) and sent to
   POST /sync/notes when the connection returns, each once (its own Idempotency-Key). Nothing is dropped silently:
   a note the server refuses (customer no longer in the RM's scope, a bad note) stays on the device with the server's
   words until the RM retries or discards it; an ended session keeps every note until the RM signs in again.
   - On the offline page (assets/offline.html): the form to write a note about a recently opened customer.
   - On the app's pages: remembers the customers the RM opens (name only, as shown), sends waiting notes and shows
     what is waiting or refused (#fincrm-sync). The login page (where sign-out lands) forgets the recent customers.
   External file: the Content-Security-Policy allows no inline script. */
(function () {
  "use strict";
  if (!window.idb || !window.indexedDB) return;
  var TEXT = {
    zh_CN: {
      saved: "已保存在此设备上，恢复网络后自动上传。待上传：", waiting: "条离线记录待上传", signIn: "请重新登录以上传离线记录：",
      refused: "未能上传：", retry: "重试", discard: "放弃", by: "记录人：", sent: "离线记录已上传：", none: "请先在联网时打开客户页面。"
    },
    en: {
      saved: "Saved on this device; sent when the signal returns. Waiting: ", waiting: " note(s) written offline waiting to be sent",
      signIn: "Sign in again to send the notes written offline: ", refused: "Not sent: ", retry: "Retry", discard: "Discard",
      by: "Written by ", sent: "Notes written offline sent: ", none: "Open a customer's page while online first."
    }
  };
  var MAX_CUSTOMERS = 30;

  function locale() {
    var m = document.cookie.match(/(?:^|;\s*)fincrm_locale=([^;]*)/);
    return m && decodeURIComponent(m[1]).replace(/^"|"$/g, "") === "en" ? "en" : "zh_CN";
  }
  function t(key) { return TEXT[locale()][key]; }

  var dbPromise = null;
  function db() {
    if (!dbPromise) {
      dbPromise = window.idb.openDB("fincrm-device", 1, {
        upgrade: function (d) {
          d.createObjectStore("notes", { keyPath: "key" });
          d.createObjectStore("customers", { keyPath: "id" });
          d.createObjectStore("meta");
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

  async function rememberCustomer(id, name) {
    var d = await db();
    await d.put("customers", { id: id, name: name, at: Date.now() });
    var all = await d.getAll("customers");
    all.sort(function (a, b) { return b.at - a.at; });
    for (var i = MAX_CUSTOMERS; i < all.length; i++) await d.delete("customers", all[i].id);
  }

  async function recentCustomers() {
    var all = await (await db()).getAll("customers");
    return all.sort(function (a, b) { return b.at - a.at; });
  }

  async function currentUser() { return (await (await db()).get("meta", "user")) || ""; }

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
      var notes = await d.getAll("notes");
      notes.sort(function (a, b) { return a.written_at < b.written_at ? -1 : 1; });
      for (var i = 0; i < notes.length; i++) {
        var n = notes[i];
        if (n.status !== "waiting" || (n.author && me && n.author !== me)) continue;
        var r;
        try {
          r = await fetch("/sync/notes", {
            method: "POST", credentials: "same-origin",
            headers: { "Content-Type": "application/json", "Idempotency-Key": n.key },
            body: JSON.stringify({ customer_id: n.customer_id, kind: n.kind, notes: n.notes, written_at: n.written_at })
          });
        } catch (e) {
          break;  // no connection after all: later
        }
        if (r.status === 200 || r.status === 201) {
          await d.delete("notes", n.key);
          sent++;
        } else if (r.status === 401) {
          signedOut = true;
          break;
        } else if (r.status >= 500) {
          break;  // the server's trouble: try again later, unchanged
        } else {
          var body = {};
          try { body = await r.json(); } catch (e) { /* not JSON */ }
          n.status = "refused";
          n.message = body.message || ("HTTP " + r.status);
          await d.put("notes", n);
        }
      }
      if (sent) signedOut = false;
    } finally {
      syncing = false;
    }
    return render(sent);
  }

  // ------------------------------------------------------------ the status bar on the app's pages

  async function render(sent) {
    if (document.getElementById("fincrm-offline")) return renderOffline();
    var notes = await (await db()).getAll("notes");
    var me = await currentUser();
    var bar = document.getElementById("fincrm-sync");
    var waiting = notes.filter(function (n) { return n.status === "waiting"; });
    var refused = notes.filter(function (n) { return n.status === "refused"; });
    if (!waiting.length && !refused.length && !sent) {
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
    function line(text, cls) {
      var p = document.createElement("p");
      p.textContent = text;
      if (cls) p.className = cls;
      bar.appendChild(p);
      return p;
    }
    if (sent) line(t("sent") + sent, "fincrm-sync-sent");
    if (waiting.length) {
      var others = waiting.filter(function (n) { return n.author && me && n.author !== me; });
      line(signedOut ? t("signIn") + waiting.length : waiting.length + t("waiting"));
      others.forEach(function (n) { line(t("by") + n.author + " · " + n.customer_name); });
    }
    refused.forEach(function (n) {
      var p = line(t("refused") + n.customer_name + " · " + n.message, "fincrm-sync-refused");
      p.id = "fincrm-sync-refused-" + n.key;
      var retry = document.createElement("button");
      retry.type = "button";
      retry.textContent = t("retry");
      retry.addEventListener("click", async function () {
        n.status = "waiting";
        delete n.message;
        await (await db()).put("notes", n);
        sync();
      });
      var discard = document.createElement("button");
      discard.type = "button";
      discard.textContent = t("discard");
      discard.addEventListener("click", async function () {
        await (await db()).delete("notes", n.key);
        render();
      });
      p.appendChild(retry);
      p.appendChild(discard);
    });
  }

  // ------------------------------------------------------------ the offline page's form

  async function renderOffline() {
    var count = document.getElementById("offline-waiting");
    if (!count) return;
    var notes = await (await db()).getAll("notes");
    count.textContent = notes.length ? t("saved") + notes.length : "";
  }

  async function offlinePage() {
    var section = document.getElementById("offline-note");
    if (!section) return;
    var select = document.getElementById("offline-customer");
    var customers = await recentCustomers();
    if (!customers.length) {
      document.getElementById("offline-none").textContent = t("none");
      return;
    }
    customers.forEach(function (c) {
      var o = document.createElement("option");
      o.value = String(c.id);
      o.textContent = c.name;
      select.appendChild(o);
    });
    section.hidden = false;
    document.getElementById("offline-form").addEventListener("submit", async function (e) {
      e.preventDefault();
      var text = document.getElementById("offline-notes").value.trim();
      if (!text) return;
      var id = Number(select.value);
      var chosen = customers.filter(function (c) { return c.id === id; })[0];
      await (await db()).put("notes", {
        key: newKey(), customer_id: id, customer_name: chosen ? chosen.name : "",
        kind: document.getElementById("offline-kind").value, notes: text.slice(0, 4000),
        written_at: new Date().toISOString(), status: "waiting", author: await currentUser()
      });
      document.getElementById("offline-notes").value = "";
      renderOffline();
    });
    renderOffline();
  }

  // ------------------------------------------------------------ the app's pages

  var lastPath = "";
  function watchPage() {
    var path = location.pathname.replace(/\/+$/, "");
    var user = document.getElementById("current-user");
    if (user && user.textContent.trim()) {
      db().then(function (d) { d.put("meta", user.textContent.trim(), "user"); });
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
      var d = await db();
      await d.clear("customers");
      await d.delete("meta", "user");
    }
    setInterval(watchPage, 1000);
    window.addEventListener("online", function () { sync(); });
    setInterval(sync, 60000);
    setTimeout(sync, 1500);  // after the page's own first requests
  }

  window.fincrmOfflineNotes = { sync: sync };
  start();
})();
