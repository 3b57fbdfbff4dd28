// Web Push of reminders (issue 14): the agenda's "turn on notifications" button calls fincrmPush.enable(key)
// with the server's VAPID public key; the browser asks the person, the service worker's pushManager subscribes,
// and the subscription goes to POST /push/subscriptions with the session cookie. Resolves to a word the page
// shows: "subscribed", "denied", "unsupported" or "failed". The push event itself is handled by sw-push.js.
(function () {
  "use strict";
  function keyBytes(base64url) {
    var padded = (base64url + "===".slice((base64url.length + 3) % 4)).replace(/-/g, "+").replace(/_/g, "/");
    var raw = atob(padded);
    var out = new Uint8Array(raw.length);
    for (var i = 0; i < raw.length; i++) out[i] = raw.charCodeAt(i);
    return out;
  }
  async function enable(key) {
    if (!key || !("serviceWorker" in navigator) || !("PushManager" in window) || !("Notification" in window)) {
      return "unsupported";
    }
    try {
      var permission = await Notification.requestPermission();
      if (permission !== "granted") return "denied";
      var reg = await navigator.serviceWorker.ready;
      var sub = await reg.pushManager.getSubscription();
      if (!sub) {
        sub = await reg.pushManager.subscribe({ userVisibleOnly: true, applicationServerKey: keyBytes(key) });
      }
      var res = await fetch("/push/subscriptions", {
        method: "POST", credentials: "same-origin",
        headers: { "Content-Type": "application/json" }, body: JSON.stringify(sub.toJSON()),
      });
      return res.ok ? "subscribed" : "failed";
    } catch (e) {
      return "failed";
    }
  }
  window.fincrmPush = { enable: enable };
})();
