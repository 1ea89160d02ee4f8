// Times console pages in Debian's Chromium for the console benchmark
// (tests/benches/console_pages.rs): each page loaded `runs` times in one tab with the
// session's cookies; prints per page DOMContentLoaded and load (ms, from the navigation's
// start), and the bytes the first load moved over the wire (page and its assets, encoded).
//
//   node timing.cjs CONFIG.json
"use strict";

const fs = require("fs");

const config = JSON.parse(fs.readFileSync(process.argv[2], "utf8"));
const { chromium } = require(config.playwright);

(async () => {
  const browser = await chromium.launch({
    executablePath: config.chromium,
    args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
      "--disable-background-networking", "--disable-component-update", "--disable-sync"],
  });
  const out = {};
  for (const p of config.pages) {
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    await context.addCookies(config.cookies.map((c) => ({
      name: c.name, value: c.value, domain: "127.0.0.1", path: "/ui", httpOnly: true, sameSite: "Strict",
    })));
    const page = await context.newPage();
    const runs = [];
    for (let i = 0; i < config.runs; i += 1) {
      await page.goto(config.base + p.url, { waitUntil: "load" });
      runs.push(await page.evaluate(() => {
        const nav = performance.getEntriesByType("navigation")[0];
        const assets = performance.getEntriesByType("resource").reduce((n, r) => n + r.transferSize, 0);
        return { dcl: nav.domContentLoadedEventEnd, load: nav.loadEventEnd, bytes: nav.transferSize + assets };
      }));
      if (!page.url().endsWith(p.url)) {
        throw new Error(`${p.url} landed on ${page.url()}`);
      }
    }
    if (p.screenshot) {
      await page.screenshot({ path: p.screenshot, fullPage: true });
    }
    out[p.name] = runs;
    await context.close();
  }
  await browser.close();
  process.stdout.write(JSON.stringify(out));
})().catch((e) => {
  process.stderr.write(String(e && e.stack));
  process.exit(1);
});
