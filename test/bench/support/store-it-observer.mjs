/* global process, fetch, setInterval, clearInterval, AbortController, console, TextDecoder */
// A store-IT observer for bench:till (issue 16), in its own process so its own work does not
// land on the gateway's event loop: scrapes /metrics every second (as Prometheus would) and
// keeps the store page's event stream open, reading every view pushed. Prints "ready" once
// the stream is open; on SIGTERM prints one JSON line with what it saw and exits.
// Usage: node store-it-observer.mjs <gateway url> <metrics token> <store-IT token>
const [url, metricsToken, adminToken] = process.argv.slice(2);
let scrapes = 0;
let scrapeBytes = 0;
let views = 0;
let failures = 0;
const scrape = async () => {
  try {
    const res = await fetch(`${url}/metrics`, { headers: { authorization: `Bearer ${metricsToken}` } });
    const text = await res.text();
    if (res.ok) {
      scrapes++;
      scrapeBytes += text.length;
    } else failures++;
  } catch {
    failures++;
  }
};
const timer = setInterval(scrape, 1000);
const ctl = new AbortController();
const res = await fetch(`${url}/api/store/live`, { headers: { authorization: `Bearer ${adminToken}` }, signal: ctl.signal });
if (!res.ok) {
  console.error(`store page stream refused: ${res.status}`);
  process.exit(1);
}
await scrape();
console.log('ready');
process.on('SIGTERM', () => {
  clearInterval(timer);
  ctl.abort();
  console.log(JSON.stringify({ scrapes, scrapeBytes, views, failures }));
  process.exit(0);
});
const decoder = new TextDecoder();
try {
  for await (const chunk of res.body) views += (decoder.decode(chunk, { stream: true }).match(/^event: view$/gm) ?? []).length;
} catch {
  // aborted at SIGTERM
}
