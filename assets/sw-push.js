// Imported into the service worker (workbox-config.cjs importScripts): shows a reminder pushed by the server
// (services/agenda/push.py: JSON {title, body, url, tag}) and opens the agenda when it is tapped.
self.addEventListener("push", function (event) {
  var data = {};
  try { data = event.data ? event.data.json() : {}; } catch (e) { data = { body: event.data ? event.data.text() : "" }; }
  event.waitUntil(self.registration.showNotification(data.title || "FinCRM", {
    body: data.body || "", tag: data.tag || "fincrm-reminders", renotify: true,
    icon: "/icons/icon-192.png", badge: "/icons/icon-192.png", data: { url: data.url || "/agenda" },
  }));
});
self.addEventListener("notificationclick", function (event) {
  event.notification.close();
  var url = (event.notification.data && event.notification.data.url) || "/agenda";
  event.waitUntil(self.clients.matchAll({ type: "window", includeUncontrolled: true }).then(function (list) {
    for (var i = 0; i < list.length; i++) {
      if (new URL(list[i].url).pathname === url && "focus" in list[i]) return list[i].focus();
    }
    return self.clients.openWindow(url);
  }));
});
