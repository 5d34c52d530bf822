import { start } from "./app.js";

start(document.getElementById("till"));
// The service worker keeps the app shell for a reload without network (scope /till/).
if ("serviceWorker" in navigator) navigator.serviceWorker.register("/till/sw.js", { scope: "/till/" });
