// Browser smoke test: start the real demo, sign in with the login it prints, and look at the
// dashboard the way a civil servant would — in headless Debian Chromium, driven by
// playwright-core. Screenshots go to target/screenshots/ for people to review.
import { spawn } from "node:child_process";
import { mkdtempSync, mkdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { chromium } from "playwright-core";

const bin = process.env.SMOKE_CIVITAS_BIN || "target/debug/civitas";
const browserPath = process.env.CHROMIUM || "/usr/bin/chromium";
const shots = "target/screenshots";
mkdirSync(shots, { recursive: true });

function fail(message) {
  console.error(`browser smoke test FAILED: ${message}`);
  process.exitCode = 1;
  throw new Error(message);
}

function check(condition, message) {
  if (!condition) fail(message);
  console.log(`  ok  ${message}`);
}

// WCAG 2 contrast ratio of two "rgb(r, g, b)" colours.
function contrast(a, b) {
  const lum = (c) => {
    const [r, g, bl] = c.match(/\d+(\.\d+)?/g).slice(0, 3).map(Number).map((v) => {
      const s = v / 255;
      return s <= 0.03928 ? s / 12.92 : ((s + 0.055) / 1.055) ** 2.4;
    });
    return 0.2126 * r + 0.7152 * g + 0.0722 * bl;
  };
  const [x, y] = [lum(a), lum(b)].sort((p, q) => q - p);
  return (x + 0.05) / (y + 0.05);
}

async function startDemo() {
  const data = mkdtempSync(join(tmpdir(), "civitas-smoke-"));
  const child = spawn(bin, ["demo", "--data-dir", data, "--listen", "127.0.0.1:0"], {
    stdio: ["ignore", "pipe", "inherit"],
    env: { ...process.env, CIVITAS_LOG_FORMAT: "json", CIVITAS_LOG_LEVEL: "warn" },
  });
  let out = "";
  const info = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`demo did not start:\n${out}`)), 180_000);
    child.stdout.on("data", (chunk) => {
      out += chunk;
      const url = out.match(/網址 URL:\s+(http:\/\/\S+?)\/?\s/);
      const pw = out.match(/密碼 password:\s+(\S+)/);
      if (url && pw && out.includes("Ctrl+C")) {
        clearTimeout(timer);
        resolve({ url: url[1], password: pw[1] });
      }
    });
    child.on("exit", (code) => reject(new Error(`demo exited with ${code}:\n${out}`)));
  });
  return { child, ...info };
}

const demo = await startDemo();
console.log(`demo at ${demo.url}`);
const browser = await chromium.launch({
  executablePath: browserPath,
  args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync"],
});
try {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, locale: "en-US" });
  const page = await context.newPage();
  const problems = [];
  page.on("console", (m) => { if (m.type() === "error") problems.push(m.text()); });
  page.on("pageerror", (e) => problems.push(String(e)));

  await page.goto(`${demo.url}/`);
  check(page.url().includes("/login"), "an anonymous visitor is sent to the sign-in page");
  check((await page.getAttribute("html", "lang")) === "zh-Hant-TW", "the page is Traditional Chinese even for an English browser");
  await page.getByLabel("帳號").fill("admin");
  await page.getByLabel("密碼").fill(demo.password);
  await page.getByRole("button", { name: "登入" }).click();
  await page.waitForURL(`${demo.url}/`);
  check((await page.textContent("h1")) === "首頁", "the dashboard opens after signing in");
  await page.keyboard.press("Tab");
  check(await page.evaluate(() => document.activeElement?.classList.contains("skip")), "the first Tab reaches the skip link");
  await page.keyboard.press("Enter");
  check(await page.evaluate(() => document.activeElement?.id === "main"), "the skip link moves focus to the main content");
  const lead = await page.textContent(".lead");
  check(/今天是民國\d+年\d+月\d+日/.test(lead), `dates are in the ROC calendar: ${lead.trim()}`);
  await page.waitForSelector('[data-chart="activity"] canvas', { timeout: 10_000 });
  check(true, "the activity chart draws (scripts run under the Content-Security-Policy)");
  const cards = await page.locator(".card").count();
  check(cards >= 3, `the dashboard shows its key numbers (${cards} cards)`);

  const colours = await page.evaluate(() => {
    const pick = (sel) => {
      const el = document.querySelector(sel);
      if (!el) return null;
      let bg = "rgba(0, 0, 0, 0)";
      for (let n = el; n && (bg === "rgba(0, 0, 0, 0)" || bg === "transparent"); n = n.parentElement) {
        bg = getComputedStyle(n).backgroundColor;
      }
      return { fg: getComputedStyle(el).color, bg };
    };
    return { body: pick("main p"), nav: pick(".side li a"), top: pick(".brand"), muted: pick(".muted") };
  });
  for (const [name, c] of Object.entries(colours)) {
    if (!c) continue;
    const ratio = contrast(c.fg, c.bg);
    check(ratio >= 4.5, `${name} text has sufficient contrast (${ratio.toFixed(1)}:1)`);
  }
  await page.screenshot({ path: `${shots}/dashboard.png`, fullPage: true });

  await Promise.all([page.waitForURL(/\/agencies$/), page.locator('nav.side a[href="/agencies"]').click()]);
  check(await page.getByText("桃園市政府文化局").isVisible(), "the organisation tree lists the bureaus");
  await page.screenshot({ path: `${shots}/agencies.png`, fullPage: true });

  await page.goto(`${demo.url}/catalog?q=停車`);
  const found = await page.textContent("#results .hits p.muted");
  check(/找到 \d+ 筆資料集/.test(found), `searching 停車 finds parking datasets (${found.trim()})`);
  await page.screenshot({ path: `${shots}/catalog.png`, fullPage: false });
  await page.locator("#results .hit h3 a").first().click();
  await page.waitForURL(/\/catalog\/datasets\/\d+$/);
  check(await page.locator(".freshness .state").count() === 1, "a dataset page shows its freshness");
  await page.screenshot({ path: `${shots}/dataset.png`, fullPage: true });
  await page.goto(`${demo.url}/freshness`);
  await page.waitForSelector('[data-chart="ontime"] canvas', { timeout: 10_000 });
  check(true, "the on-time trend draws from a year of history");
  await page.screenshot({ path: `${shots}/freshness.png`, fullPage: false });

  // The exchange gateway: a month of calls draws the traffic charts; a container verifies.
  await page.goto(`${demo.url}/exchange`);
  await Promise.all([page.waitForURL(/\/traffic/), page.locator('a[href$="/traffic"]').first().click()]);
  await page.waitForSelector('[data-chart="exchange-calls"] canvas', { timeout: 10_000 });
  check(true, "a service's traffic chart draws from the demo's month of calls");
  await page.screenshot({ path: `${shots}/exchange-traffic.png`, fullPage: true });
  await page.goto(`${demo.url}/exchange/verify`);
  await page.setInputFiles("#file", "fixtures/xroad/asic/valid-batch-ts.asice");
  await Promise.all([page.waitForLoadState(), page.click("form.stack button[type=submit]")]);
  await page.waitForSelector("#verify-result");
  check((await page.getAttribute("#verify-result", "data-valid")) === "true", "an uploaded X-Road container is checked item by item");
  await page.screenshot({ path: `${shots}/exchange-verify.png`, fullPage: true });

  await page.goto(`${demo.url}/agencies`);
  await page.getByRole("button", { name: "English" }).click();
  await page.waitForLoadState();
  check((await page.getAttribute("html", "lang")) === "en", "the English switch works");
  await page.goto(`${demo.url}/audit`);
  check((await page.textContent("h1")) === "Audit trail", "the audit trail opens for the administrator");
  await page.screenshot({ path: `${shots}/audit-en.png`, fullPage: true });
  check(problems.length === 0, `no script errors or CSP violations (${problems.join(" | ")})`);

  // Forms work without JavaScript.
  const plain = await browser.newContext({ javaScriptEnabled: false });
  const p2 = await plain.newPage();
  await p2.goto(`${demo.url}/login`);
  await p2.fill("#name", "auditor");
  await p2.fill("#password", demo.password);
  await Promise.all([p2.waitForNavigation(), p2.click("form[action='/login'] button[type=submit]")]);
  await p2.screenshot({ path: `${shots}/no-js.png`, fullPage: true });
  check((await p2.textContent("h1")) === "首頁", "signing in works without JavaScript");
  check(await p2.locator("details table").count() === 1, "without JavaScript the activity is still there as a table");
  await plain.close();

  // A steward of 交通局 sees the bell's count and the notices behind it.
  const steward = await (await browser.newContext({ viewport: { width: 1280, height: 900 } })).newPage();
  await steward.goto(`${demo.url}/login`);
  await steward.fill("#name", "chen.steward");
  await steward.fill("#password", demo.password);
  await Promise.all([steward.waitForNavigation(), steward.click("form[action='/login'] button[type=submit]")]);
  const badge = await steward.textContent("header .bell .badge");
  check(/^\d+\+?$/.test(badge.trim()), `the bell counts the steward's unread notices (${badge.trim()})`);
  const badgeColours = await steward.evaluate(() => {
    const s = getComputedStyle(document.querySelector("header .bell .badge"));
    return { fg: s.color, bg: s.backgroundColor };
  });
  const badgeRatio = contrast(badgeColours.fg, badgeColours.bg);
  check(badgeRatio >= 4.5, `the bell's count has sufficient contrast (${badgeRatio.toFixed(1)}:1)`);
  await Promise.all([steward.waitForURL(/\/notifications$/), steward.click("header .bell")]);
  const first = await steward.textContent(".notice .notice-title a");
  check(/^(未讀 )?資料集「.+」/.test(first.trim()), `the notices name their datasets (${first.trim()})`);
  await steward.screenshot({ path: `${shots}/notifications.png`, fullPage: false });

  // The steward's worklist holds 警察局's request; the decision page offers the three choices.
  await steward.goto(`${demo.url}/worklist`);
  check(await steward.getByText("公車即時車輛位置").first().isVisible(), "the worklist shows the request waiting for 交通局");
  await steward.screenshot({ path: `${shots}/worklist.png`, fullPage: true });
  await Promise.all([
    steward.waitForURL(/\/sharing\/requests\/\d+$/),
    steward.locator("table a[href^='/sharing/requests/']").first().click(),
  ]);
  check(await steward.locator("input[name=decision]").count() === 3, "approve, approve in part and refuse are offered");
  await steward.screenshot({ path: `${shots}/sharing-decision.png`, fullPage: true });
  await steward.goto(`${demo.url}/usage`);
  await steward.waitForSelector('[data-chart="usage"] canvas', { timeout: 10_000 });
  check(true, "the use trend draws from a month of use");
  await steward.screenshot({ path: `${shots}/usage.png`, fullPage: false });
  // Platforms and benefit: the audit's Table 1, and cost against use drawn by year.
  await steward.goto(`${demo.url}/platforms`);
  await steward.waitForSelector('[data-chart="benefit"] canvas', { timeout: 10_000 });
  check(await steward.getByText("89,452,900").first().isVisible(), "the platform register adds up the audit's Table 1");
  await steward.screenshot({ path: `${shots}/platforms.png`, fullPage: false });
  // Supply and demand: the agency × agency matrix with its gaps.
  await steward.goto(`${demo.url}/inventory`);
  check(await steward.locator("table.matrix").isVisible(), "the supply and demand matrix is drawn");
  check(await steward.locator("td.gap").count() > 0, "gaps are highlighted in the matrix");
  await steward.screenshot({ path: `${shots}/inventory.png`, fullPage: true });

  // An agency with no system registers a dataset by hand, then finds the bulk upload.
  await steward.goto(`${demo.url}/catalog/new`);
  await steward.fill("#f-title_zh", "桃園市公共自行車租賃站（測試登錄）");
  await steward.fill("#f-description_zh", "公共自行車租賃站位置與車柱數");
  await steward.fill("#f-frequency", "每月");
  await steward.fill("#f-data_updated", "113/10/01");
  await steward.screenshot({ path: `${shots}/dataset-new.png`, fullPage: true });
  await Promise.all([
    steward.waitForURL(/\/catalog\/datasets\/\d+$/),
    steward.click("form.stack button[type=submit]"),
  ]);
  check((await steward.textContent("h1")).includes("桃園市公共自行車租賃站"), "a dataset registered in the form opens on its own page");
  await steward.goto(`${demo.url}/catalog/import`);
  check(await steward.locator("a[href='/catalog/template.xlsx']").isVisible(), "the bulk upload offers the template");
  await steward.screenshot({ path: `${shots}/dataset-import.png`, fullPage: true });
  console.log(`browser smoke test passed; screenshots in ${shots}/`);
} finally {
  await browser.close();
  demo.child.kill("SIGTERM");
}
