// Drives Debian's Chromium through the pgmon web console as a person would, as viewer,
// operator and admin, at 1280 and 390 px: every screen visited and photographed, every
// action a role may take done from the page, and every refusal it must meet tried. It counts
// what must never happen (a dialog, a Content-Security-Policy violation, an element made from
// a hostile value) and prints one JSON report; the Rust test (tests/tests/console) asserts on
// it and on what the daemon and PostgreSQL saw.
//
//   node drive.cjs CONFIG.json     (CONFIG: see tests/tests/console/main.rs)
"use strict";

const fs = require("fs");
const http = require("http");
const path = require("path");

const config = JSON.parse(fs.readFileSync(process.argv[2], "utf8"));
const { chromium } = require(config.playwright);

const report = { dialogs: 0, csp: [], failures: [], screens: [], facts: {} };
const fail = (what) => report.failures.push(what);
const expect = (ok, what) => { if (!ok) fail(what); };

const enc = encodeURIComponent;
const base = config.base;

async function shot(page, role, width, name) {
  const file = path.join(config.screens, `${name}-${role}-${width}.png`);
  await page.screenshot({ path: file, fullPage: true });
  report.screens.push(file);
}

// What every console page must be: no image or foreign script made from a value, only the
// console's own script, every control labelled.
async function clean(page, where) {
  const facts = await page.evaluate(() => ({
    imgs: document.querySelectorAll("img").length,
    scripts: [...document.querySelectorAll("script")].map((s) => s.getAttribute("src") || "inline"),
    unlabelled: [...document.querySelectorAll("input:not([type=hidden]), select, textarea")]
      .filter((e) => !(e.labels && e.labels.length) && !e.getAttribute("aria-label")).length,
    csp: window.__csp || [],
    pwned: window.__pwned || 0,
  }));
  expect(facts.imgs === 0, `${where}: ${facts.imgs} img elements`);
  expect(facts.scripts.length === 1 && facts.scripts[0].startsWith("/ui/assets/console.js"),
    `${where}: scripts ${JSON.stringify(facts.scripts)}`);
  expect(facts.unlabelled === 0, `${where}: ${facts.unlabelled} unlabelled controls`);
  expect(facts.pwned === 0, `${where}: a hostile value ran`);
  report.csp.push(...facts.csp.map((c) => `${where}: ${c}`));
}

async function visit(page, url, where, status = 200) {
  const r = await page.goto(base + url);
  expect(r && r.status() === status, `${where}: ${url} answered ${r && r.status()}, not ${status}`);
  await clean(page, where);
  return r;
}

async function signIn(page, role) {
  const [login, password] = config.users[role];
  await page.fill("#username", login);
  await page.fill("#password", password);
  await Promise.all([page.waitForNavigation(), page.click("button[type=submit]")]);
}

const text = (page) => page.evaluate(() => document.body.innerText);

async function screens(page, role, width) {
  const live = `/ui/server/${enc(config.live)}`;
  await visit(page, "/ui/", `fleet ${role}`);
  const fleet = await text(page);
  expect(fleet.includes(config.live) && fleet.includes(config.down), `fleet ${role}: servers missing`);
  expect(fleet.includes(config.hostile_server), `fleet ${role}: hostile server name not shown as text`);
  expect(/Firing alerts/.test(fleet) && fleet.includes(config.alert_rule), `fleet ${role}: the firing alert is not shown`);
  const rows = await page.evaluate(({ live, down }) => {
    const cls = (name) => {
      const a = [...document.querySelectorAll("#fleet td a")].find((x) => x.textContent === name);
      return a ? a.closest("tr").children[1].className : null;
    };
    return { live: cls(live), down: cls(down) };
  }, { live: config.live, down: config.down });
  expect(rows.live === "status-ok", `fleet ${role}: live server is ${rows.live}`);
  expect(rows.down === "status-bad", `fleet ${role}: down server is ${rows.down}`);
  const t = await page.evaluate(() => {
    const el = document.querySelector("time");
    return el ? [el.textContent, el.getAttribute("title")] : null;
  });
  expect(t && t[1].endsWith("UTC") && t[0] !== t[1], `fleet ${role}: time not local with UTC on hover: ${t}`);
  await shot(page, role, width, "fleet");

  await visit(page, live, `server ${role}`);
  expect((await text(page)).includes(config.alert_rule), `server ${role}: the firing alert is not shown`);
  await visit(page, `${live}?range=1h`, `server hour ${role}`);
  const lines = await page.locator("figure.chart svg polyline").count();
  expect(lines > 0, `server ${role}: no chart line drawn`);
  report.facts.chart_lines = lines;
  await shot(page, role, width, "server");
  await visit(page, `${live}?range=1y`, `server year ${role}`);

  await visit(page, `${live}/sessions`, `sessions ${role}`);
  const sessions = await text(page);
  for (const h of config.hostile_texts) {
    expect(sessions.includes(h), `sessions ${role}: hostile text ${h} not shown as text`);
  }
  const tree = await page.evaluate(() => {
    const roots = [...document.querySelectorAll("ul.tree > li")];
    return roots.map((li) => ({
      root: li.querySelector(".node strong").textContent,
      kids: [...li.querySelectorAll(":scope > ul > li > .node strong")].map((s) => s.textContent),
    }));
  });
  const chain = tree.find((n) => n.root === `pid ${config.blocker}`);
  expect(chain && chain.kids.includes(`pid ${config.staying}`),
    `sessions ${role}: tree ${JSON.stringify(tree)} lacks ${config.blocker} -> ${config.staying}`);
  const actions = await page.locator('a[href$="/cancel"], a[href$="/terminate"]').count();
  expect(role === "viewer" ? actions === 0 : actions > 0, `sessions ${role}: ${actions} action links`);
  await shot(page, role, width, "sessions");

  for (const tab of ["replication", "statements", "checks", "analysis"]) {
    await visit(page, `${live}/${tab}`, `${tab} ${role}`);
    await shot(page, role, width, tab);
  }
  await visit(page, `${live}/db/${enc(config.database)}`, `database ${role}`);
  await shot(page, role, width, "database");
  await visit(page, `/ui/server/${enc(config.hostile_server)}`, `hostile server ${role}`);
  expect((await text(page)).includes(config.hostile_server), `hostile server page ${role}`);

  const admin = [
    ["servers", "/ui/admin/servers", "operator"],
    ["server-new", "/ui/admin/servers/new", "operator"],
    ["keys", "/ui/admin/keys", "operator"],
    ["users", "/ui/admin/users", "admin"],
    ["settings", "/ui/admin/settings", "admin"],
    ["audit", "/ui/admin/audit", "admin"],
  ];
  const rank = { viewer: 0, operator: 1, admin: 2 };
  for (const [name, url, least] of admin) {
    const allowed = rank[role] >= rank[least];
    await visit(page, url, `${name} ${role}`, allowed ? 200 : 403);
    if (allowed) {
      await shot(page, role, width, name);
    }
    if (allowed && name === "servers") {
      expect((await text(page)).includes(config.hostile_server), `servers ${role}: hostile name not shown as text`);
    }
    const linked = await page.locator(`header nav a[href="${url}"]`).count();
    expect(url.endsWith("/new") || linked === (allowed ? 1 : 0), `${name} ${role}: nav link ${linked}`);
  }
  if (role === "viewer") {
    for (const url of ["/ui/", live, `${live}/sessions`, `${live}/checks`]) {
      await visit(page, url, `viewer controls ${url}`);
      const forms = await page.locator('form[method="post"]:not(.signout)').count();
      expect(forms === 0, `viewer sees ${forms} change forms on ${url}`);
    }
  }
}

// Live parts refresh on their own, and stop when paused.
async function refreshes(page) {
  await visit(page, `/ui/server/${enc(config.live)}/sessions`, "live refresh");
  const isRefresh = (r) => r.headers()["x-console-refresh"] === "1";
  const seen = await page.waitForRequest(isRefresh, { timeout: 12000 }).then(() => true, () => false);
  expect(seen, "the sessions page did not refresh within 12 s");
  await page.click("[data-live-toggle]");
  expect(await page.getAttribute("[data-live-toggle]", "aria-pressed") === "true", "pause not pressed");
  await page.waitForTimeout(1000);
  const again = await page.waitForRequest(isRefresh, { timeout: 7000 }).then(() => true, () => false);
  expect(!again, "the paused page refreshed");
  await clean(page, "after refreshes");
}

// The viewer's own session forging what it may not do: the API refuses it.
async function forge(page) {
  const statuses = await page.evaluate(async ({ live, blocked }) => {
    const csrf = document.querySelector("form.signout input[name=csrf]").value;
    const post = (url, body) => fetch(url, {
      method: "POST",
      headers: { "Content-Type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({ csrf, ...body }).toString(),
    }).then((r) => r.status);
    return [
      await post(`/ui/server/${encodeURIComponent(live)}/sessions/${blocked}/cancel`, {}),
      await post("/ui/admin/users", { login: "viewer-made", password: "viewer-made-pass-1", role: "admin" }),
      await post("/ui/admin/settings", { long_query_seconds: "7" }),
    ];
  }, { live: config.live, blocked: config.blocked });
  report.facts.viewer_forged = statuses;
  expect(statuses.every((s) => s === 403), `viewer's forged requests answered ${statuses}`);
}

async function cancelBlocked(page, width) {
  await visit(page, `/ui/server/${enc(config.live)}/sessions`, "operator cancel list");
  await Promise.all([
    page.waitForNavigation(),
    page.click(`a[href$="/sessions/${config.blocked}/cancel"]`),
  ]);
  await clean(page, "cancel confirm");
  const confirm = await text(page);
  for (const fact of [String(config.blocked), config.blocked_user, config.database, "Query started"]) {
    expect(confirm.includes(fact), `cancel confirm lacks ${fact}`);
  }
  expect(await page.locator("input[name=force]").count() === 0, "operator offered force");
  await shot(page, "operator", width, "cancel-confirm");
  await Promise.all([page.waitForNavigation(), page.click("button.danger")]);
  expect(page.url().includes("done=cancel"), `after cancel: ${page.url()}`);
  expect((await text(page)).includes(`Session ${config.blocked}: cancelled.`), "no cancel notice");
}

async function submitAndWait(page, selector) {
  const [r] = await Promise.all([page.waitForNavigation(), page.click(selector)]);
  await clean(page, `after ${selector}`);
  return r;
}

async function administer(page, browser, width) {
  const n = config.new_server;
  // A failing test does not save.
  await visit(page, "/ui/admin/servers/new", "new server (bad)");
  await page.fill("input[name=name]", n.name);
  await page.fill("input[name=host]", "127.0.0.1");
  await page.fill("input[name=port]", String(config.closed_port));
  await page.fill("input[name=user]", n.user);
  let r = await submitAndWait(page, 'button[value="save"]');
  expect(r.status() === 422, `failed test answered ${r.status()}`);
  expect((await text(page)).includes("PostgreSQL:"), "failed test not shown");
  await shot(page, "admin", width, "server-test-failed");
  // A successful test saves.
  await page.fill("input[name=port]", String(n.port));
  r = await submitAndWait(page, 'button[value="save"]');
  expect(page.url().endsWith("/ui/admin/servers?done=created"), `after save: ${page.url()}`);
  expect((await text(page)).includes(n.name), "new server not listed");
  // Edit.
  await visit(page, `/ui/admin/servers/${enc(n.name)}/edit`, "edit server");
  await page.fill("input[name=collect_interval]", "30");
  await submitAndWait(page, "button.primary");
  expect(page.url().endsWith("done=updated"), `after edit: ${page.url()}`);
  // Delete.
  await submitAndWait(page, `button[aria-label="Delete ${n.name}"]`);
  expect(page.url().endsWith("done=deleted"), `after delete: ${page.url()}`);
  expect(!(await text(page)).includes(n.name), "deleted server still listed");

  // A user created, then deactivated.
  await visit(page, "/ui/admin/users", "users");
  await page.fill("input[name=login]", config.new_user);
  await page.fill("input[name=password]", "console-pass-123");
  await page.selectOption("form[action='/ui/admin/users'] select[name=role]", "operator");
  await submitAndWait(page, "form[action='/ui/admin/users'] button.primary");
  expect(page.url().endsWith("done=created"), `after user create: ${page.url()}`);
  const row = page.locator(`form[action="/ui/admin/users/${config.new_user}"]`);
  await row.locator("input[name=is_active]").uncheck();
  await submitAndWait(page, `button[aria-label="Save ${config.new_user}"]`);
  const users = await text(page);
  expect(page.url().endsWith("done=updated") && users.includes("deactivated"), "user not deactivated");

  // A key generated and its public key downloaded.
  await visit(page, "/ui/admin/keys", "keys");
  await page.fill("form[action='/ui/admin/keys/generate'] input[name=name]", config.new_key);
  await page.selectOption("select[name=key_type]", "ed25519");
  await submitAndWait(page, "form[action='/ui/admin/keys/generate'] button.primary");
  expect(page.url().endsWith("done=generated"), `after generate: ${page.url()}`);
  const link = page.locator("tr", { hasText: config.new_key }).locator("a[download]");
  const [download] = await Promise.all([page.waitForEvent("download"), link.click()]);
  const pub = fs.readFileSync(await download.path(), "utf8");
  report.facts.public_key = pub;
  report.facts.public_key_file = download.suggestedFilename();
  expect(pub.startsWith("ssh-ed25519 "), `downloaded ${JSON.stringify(pub.slice(0, 40))}`);

  // Settings.
  await visit(page, "/ui/admin/settings", "settings");
  await page.fill("#s-long_query_seconds", "301");
  await submitAndWait(page, "button.primary");
  expect(page.url().endsWith("done=saved"), `after settings: ${page.url()}`);
  expect(await page.inputValue("#s-long_query_seconds") === "301", "setting not kept");

  // The audit page shows the console's actions.
  await visit(page, "/ui/admin/audit", "audit");
  const audit = await text(page);
  const seen = ["backend.cancel", "server.create", "server.update", "server.delete", "user.create",
    "user.update", "ssh_key.generate", "settings.update", "login"].filter((a) => audit.includes(a));
  report.facts.audit_actions = seen;
  await shot(page, "admin", width, "audit-after");

  // A form on another origin posting to the console is refused.
  const attacker = http.createServer((req, res) => {
    res.setHeader("Content-Type", "text/html");
    res.end(`<form method="post" action="${base}/ui/admin/users">
      <input name="login" value="${config.forged_user}"><input name="password" value="forged-pass-123">
      <input name="role" value="admin"><input name="csrf" value="guessed"></form>
      <script>document.forms[0].submit()</script>`);
  });
  await new Promise((ok) => attacker.listen(0, "127.0.0.1", ok));
  const [answer] = await Promise.all([
    page.waitForResponse((x) => x.url() === `${base}/ui/admin/users` && x.request().method() === "POST"),
    page.goto(`http://127.0.0.1:${attacker.address().port}/`),
  ]);
  report.facts.cross_origin_status = answer.status();
  expect(answer.status() === 403, `cross-origin post answered ${answer.status()}`);
  attacker.close();

  // An expired access token is refreshed; a session gone sends to sign-in, keeping the page.
  const context = page.context();
  const cookies = await context.cookies();
  await context.addCookies(cookies.filter((c) => c.name === "pgmon_access")
    .map((c) => ({ ...c, value: "expired.token.here" })));
  await visit(page, `/ui/server/${enc(config.live)}/replication`, "after a refresh");
  const after = await context.cookies();
  expect(after.find((c) => c.name === "pgmon_access").value !== "expired.token.here", "token not refreshed");
  const httpOnly = after.filter((c) => c.name.startsWith("pgmon_")).every((c) => c.httpOnly && c.sameSite === "Strict");
  expect(httpOnly, `cookies not HttpOnly/Strict: ${JSON.stringify(after.map((c) => [c.name, c.httpOnly, c.sameSite]))}`);
  expect(await page.evaluate(() => document.cookie) === "", "a cookie is readable by scripts");
  const kept = await context.cookies();
  await context.clearCookies();
  await page.goto(`${base}/ui/server/${enc(config.live)}/statements`);
  expect(page.url().startsWith(`${base}/ui/login?next=`), `no sign-in after expiry: ${page.url()}`);
  await signIn(page, "admin");
  expect(page.url() === `${base}/ui/server/${enc(config.live)}/statements`, `not back at the page: ${page.url()}`);

  // Sign-out ends the session on the daemon: its old cookies open nothing.
  const before = await context.cookies();
  await submitAndWait(page, "form.signout button");
  expect(page.url().startsWith(`${base}/ui/login`), `after sign-out: ${page.url()}`);
  await context.addCookies(before);
  await page.goto(`${base}/ui/`);
  expect(page.url().startsWith(`${base}/ui/login`), `old cookies still open the console: ${page.url()}`);
  void kept;
  void browser;
}

async function main() {
  const browser = await chromium.launch({
    executablePath: config.chromium,
    args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
      "--disable-background-networking", "--disable-component-update", "--disable-sync"],
  });
  try {
    for (const width of [1280, 390]) {
      for (const role of ["viewer", "operator", "admin"]) {
        const context = await browser.newContext({
          viewport: { width, height: width > 600 ? 900 : 844 },
          timezoneId: "America/New_York",
          acceptDownloads: true,
        });
        await context.addInitScript(() => {
          window.__csp = [];
          document.addEventListener("securitypolicyviolation", (e) => {
            window.__csp.push(`${e.violatedDirective} ${e.blockedURI}`);
          });
        });
        const page = await context.newPage();
        page.on("dialog", (d) => { report.dialogs += 1; d.dismiss().catch(() => {}); });
        page.on("console", (m) => {
          if (/Content Security Policy|Refused to/.test(m.text())) report.csp.push(m.text());
        });
        await visit(page, "/ui/", `sign-in redirect ${role}`);
        expect(page.url().startsWith(`${base}/ui/login`), `unsigned visit not sent to sign-in: ${page.url()}`);
        await page.keyboard.press("Tab");
        const focused = await page.evaluate(() => document.activeElement && document.activeElement.id);
        expect(focused === "username" || focused === "password", `keyboard: focus on ${focused}`);
        await shot(page, role, width, "sign-in");
        await signIn(page, role);
        expect(page.url() === `${base}/ui/`, `after sign-in ${role}: ${page.url()}`);
        await page.keyboard.press("Tab");
        const skip = await page.evaluate(() => document.activeElement && document.activeElement.className);
        expect(skip === "skip", `keyboard: first Tab reaches ${skip}, not the skip link`);
        await screens(page, role, width);
        if (width === 1280) {
          if (role === "viewer") {
            await forge(page);
            await refreshes(page);
          }
          if (role === "operator") await cancelBlocked(page, width);
          if (role === "admin") await administer(page, browser, width);
        }
        await context.close();
      }
    }
  } catch (e) {
    fail(`driver stopped: ${e && e.stack}`);
  } finally {
    await browser.close();
  }
  process.stdout.write(JSON.stringify(report));
}

main();
