// Workbox generateSW over Reflex's production build (fincrm_app/pwa.py runs it after every build with
// FINCRM_PWA_STATIC_DIR set to the build's static directory). Documentation: developer.chrome.com/docs/workbox.
//
// - Precache (cache first, revisioned): the hashed JavaScript and CSS of this build's app shell, our own
//   static files (CSS, scripts, icons, manifests) and the offline page. The hashed names never go stale; a new
//   build lists new names, and the changed sw.js is what "a new version is ready" (assets/pwa.js) reacts to.
// - Pages (navigations) always go to the network (never a cached page: a release never loops, and a page
//   without its server is useless); when the server cannot be reached, the precached offline page answers.
// - Everything else (the websocket, the REST API, uploads, downloads) is not touched by the service worker.
// - No skipWaiting: the new worker waits until the person chooses to reload (workbox-window's
//   messageSkipWaiting), so a form being typed into is never reloaded under their fingers.
const dir = process.env.FINCRM_PWA_STATIC_DIR;
// The build's app shell (React Router's entry and route modules with their static imports), as exact paths.
const shell = JSON.parse(process.env.FINCRM_PWA_SHELL || "[]");
if (!dir) {
  throw new Error("FINCRM_PWA_STATIC_DIR is not set (fincrm_app/pwa.py sets it to the build's static directory)");
}

module.exports = {
  globDirectory: dir,
  globPatterns: [
    ...shell,
    "*.css",
    "pwa.js",
    "hotkeys.js",
    "workbox-window.prod.umd.js",
    "idb.umd.js",
    "offline-notes.js",
    "push.js",
    "sw-push.js",
    "offline.html",
    "favicon.svg",
    "icons.svg",
    "manifest*.webmanifest",
    "icons/*.png",
  ],
  // Charts (Plotly) are loaded only by the pages that draw them and are not worth a phone's install time.
  globIgnores: ["**/*plotly*", "**/node_modules/**", "sw.js", "workbox-*.js"],
  maximumFileSizeToCacheInBytes: 1536 * 1024,
  dontCacheBustURLsMatching: /^assets\/.+-[A-Za-z0-9_-]{8,}\.(?:js|css)$/,
  swDest: `${dir}/sw.js`,
  mode: "production",
  sourcemap: false,
  inlineWorkboxRuntime: true,
  // Reminders pushed by the server (Web Push): the push and notificationclick handlers (assets/sw-push.js).
  importScripts: ["sw-push.js"],
  cleanupOutdatedCaches: true,
  clientsClaim: false,
  skipWaiting: false,
  navigateFallback: null,
  runtimeCaching: [
    // Chunks loaded on demand (icons, charts): hashed names, so the first copy is good until the next build.
    {
      urlPattern: ({ url, sameOrigin }) => sameOrigin && /^\/assets\/.+-[A-Za-z0-9_-]{8,}\.(?:js|css)$/.test(url.pathname),
      handler: "CacheFirst",
      options: { cacheName: "fincrm-chunks", expiration: { maxEntries: 300, purgeOnQuotaError: true } },
    },
    {
      urlPattern: ({ request }) => request.mode === "navigate",
      handler: "NetworkOnly",
      // Never the browser's HTTP cache either: a page it kept would load without its server (no websocket) instead
      // of the offline page, which shows what the device kept (offline-notes.js).
      options: { precacheFallback: { fallbackURL: "/offline.html" }, fetchOptions: { cache: "no-store" } },
    },
  ],
};
