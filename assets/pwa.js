/* FinCRM as an installed app (issue 14): registers the service worker (/sw.js, built by Workbox at build time,
   fincrm_app/pwa.py) through workbox-window, and offers "reload to update" when a new version is deployed.
   An external file, so the Content-Security-Policy (no inline scripts) allows it. Nothing here touches the
   React tree: the update banner is a plain element appended to <body>. */
(function () {
  "use strict";
  var TEXT = {
    zh_CN: { ready: "新版本已就绪。", reload: "重新加载", later: "稍后" },
    en: { ready: "A new version is ready.", reload: "Reload", later: "Later" }
  };

  function locale() {
    var m = document.cookie.match(/(?:^|;\s*)fincrm_locale=([^;]*)/);
    var value = m ? decodeURIComponent(m[1]).replace(/^"|"$/g, "") : "";
    return value === "en" ? "en" : "zh_CN";
  }

  // The manifest in the person's language (the names and shortcuts of the installed app).
  function useManifestLanguage() {
    var link = document.querySelector('link[rel="manifest"]');
    var href = locale() === "en" ? "/manifest.en.webmanifest" : "/manifest.webmanifest";
    if (link && link.getAttribute("href") !== href) link.setAttribute("href", href);
  }

  function showUpdate(onReload) {
    if (document.getElementById("fincrm-update")) return;
    var t = TEXT[locale()];
    var bar = document.createElement("div");
    bar.id = "fincrm-update";
    bar.className = "fincrm-update";
    bar.setAttribute("role", "status");
    var msg = document.createElement("span");
    msg.textContent = t.ready;
    var reload = document.createElement("button");
    reload.type = "button";
    reload.id = "fincrm-update-reload";
    reload.textContent = t.reload;
    reload.addEventListener("click", function () {
      reload.disabled = true;
      onReload();
    });
    var later = document.createElement("button");
    later.type = "button";
    later.className = "fincrm-update-later";
    later.textContent = t.later;
    later.addEventListener("click", function () { bar.remove(); });
    bar.appendChild(msg);
    bar.appendChild(reload);
    bar.appendChild(later);
    document.body.appendChild(bar);
  }

  function register() {
    if (!window.workbox || !window.workbox.Workbox) return;
    var wb = new window.workbox.Workbox("/sw.js", { scope: "/" });
    // A new worker installed while this page runs under the old one: ask before switching.
    wb.addEventListener("waiting", function () {
      showUpdate(function () {
        wb.addEventListener("controlling", function () { window.location.reload(); });
        wb.messageSkipWaiting();
      });
    });
    wb.register().then(function (reg) {
      window.__fincrmSw = reg || null;
    }).catch(function () { /* no service worker in this build (see the server log) */ });
    // Look for a new release when the app comes back to the foreground (an installed app stays open for days).
    document.addEventListener("visibilitychange", function () {
      if (document.visibilityState === "visible") wb.update();
    });
  }

  function load(src, then) {
    var script = document.createElement("script");
    script.src = src;
    if (then) script.onload = then;
    document.head.appendChild(script);
  }

  function start() {
    useManifestLanguage();
    // Notes written without signal (assets/offline-notes.js over npm idb, both copied in by the build).
    load("/idb.umd.js", function () { load("/offline-notes.js"); });
    if (!("serviceWorker" in navigator)) return;
    var script = document.createElement("script");
    script.src = "/workbox-window.prod.umd.js";
    script.onload = register;
    document.head.appendChild(script);
  }

  // Nothing here is needed for the page's first view, and on a phone every script and request before it delays
  // it (web.dev: register the service worker after the page has loaded). So: after the load event, once the page
  // has shown what it was waiting for (no element is aria-busy: the agenda's and the customer list's first
  // answer), and at the latest SETTLE_MS after load.
  var SETTLE_MS = 4000;

  function whenSettled(then) {
    var done = false;
    var observer = null;
    function go() {
      if (done) return;
      done = true;
      if (observer) observer.disconnect();
      // after the frame that shows it
      requestAnimationFrame(function () { setTimeout(then, 0); });
    }
    function busy() { return !!document.querySelector('[aria-busy="true"]'); }
    if (!busy()) return go();
    observer = new MutationObserver(function () { if (!busy()) go(); });
    observer.observe(document.body, { subtree: true, attributes: true, attributeFilter: ["aria-busy"] });
    setTimeout(go, SETTLE_MS);
  }

  function afterLoad() { whenSettled(start); }

  if (document.readyState === "complete") {
    afterLoad();
  } else {
    window.addEventListener("load", afterLoad);
  }
})();
