// Walks through the app in headless Chromium and saves screenshots, at desktop and phone
// width, with a strict Content-Security-Policy added to every page (violations are listed).
//
//   BASE_URL=http://127.0.0.1:8123 OUT=/tmp/mg-shots node scripts/screenshots.mjs [step ...]
//
// The backend must serve the built app (npm run build; FRONTEND_DIST) or BASE_URL must be
// the Vite dev server. Steps: gallery, upload, contact, auth, admin, results (the last needs
// models that take images, videos and NIfTI volumes: object-detection, face-gender, skin).
import { mkdir } from "node:fs/promises";
import path from "node:path";
import { chromium } from "playwright-core";

const BASE = process.env.BASE_URL ?? "http://127.0.0.1:8123";
const OUT = process.env.OUT ?? "/tmp/mg-shots";
const SAMPLES = process.env.SAMPLES ?? "/work/shared/assets/samples";
const ADMIN = { email: process.env.ADMIN_EMAIL ?? "admin@example.org", password: process.env.ADMIN_PASSWORD ?? "correct horse battery" };
// the app's policy, as nginx sends it (the map in nginx/templates/default.conf.template)
const CSP =
  "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' blob: data:; media-src 'self' blob:; " +
  "connect-src 'self'; worker-src 'self' blob:; font-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'";
const PHONE = { width: 375, height: 812 };
const DESKTOP = { width: 1280, height: 900 };

const steps = process.argv.slice(2);
const wanted = (name) => steps.length === 0 || steps.includes(name);
const problems = [];

await mkdir(OUT, { recursive: true });
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM ?? "/usr/bin/chromium",
  args: ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--use-angle=swiftshader", "--enable-unsafe-swiftshader",
    // a fake camera that needs no permission prompt, for the webcam capture
    "--use-fake-device-for-media-stream", "--use-fake-ui-for-media-stream"],
});

async function newPage(viewport = DESKTOP) {
  const context = await browser.newContext({ viewport, deviceScaleFactor: 1 });
  const page = await context.newPage();
  // add the CSP the app must live with to every HTML page
  await page.route("**/*", async (route) => {
    if (route.request().resourceType() !== "document") return route.continue();
    const response = await route.fetch();
    await route.fulfill({ response, headers: { ...response.headers(), "content-security-policy": CSP } });
  });
  page.on("console", (message) => {
    const text = message.text();
    // anonymous visitors ask /api/auth/me and get 401: expected, not a problem
    if (/status of 401/.test(text) && message.location().url.endsWith("/api/auth/me")) return;
    if (message.type() === "error" || /Content Security Policy|Refused to/i.test(text)) {
      problems.push(`${page.url()}: console ${message.type()}: ${text}`);
    }
  });
  page.on("pageerror", (error) => problems.push(`${page.url()}: page error: ${error.message}`));
  return { page, context };
}

async function shot(page, name, fullPage = true) {
  await page.waitForTimeout(300);
  const file = path.join(OUT, `${name}.png`);
  await page.screenshot({ path: file, fullPage });
  console.log("saved", file);
}

async function login(page, { email, password }) {
  await page.goto(`${BASE}/login`);
  await page.getByLabel("E-mail").fill(email);
  await page.getByLabel("Password").fill(password);
  await page.getByRole("button", { name: "Log in" }).click();
  await page.waitForURL((url) => !url.pathname.startsWith("/login"));
}

async function waitForJob(page) {
  await page.waitForURL(/\/predictions\//, { timeout: 60_000 });
  await page.getByText(/Succeeded|Failed|Cancelled/).first().waitFor({ timeout: 120_000 });
}

if (wanted("gallery")) {
  for (const [label, viewport] of [["desktop", DESKTOP], ["phone", PHONE]]) {
    const { page, context } = await newPage(viewport);
    await page.goto(BASE);
    await page.getByRole("heading", { name: "Model gallery" }).waitFor();
    await page.locator(".model-card").first().waitFor();
    await shot(page, `gallery-${label}`);
    if (label === "desktop") {
      // keyboard: the skip link, then the first links show a visible focus ring
      await page.keyboard.press("Tab");
      await shot(page, "focus-skip-link", false);
      for (let i = 0; i < 5; i++) await page.keyboard.press("Tab");
      await shot(page, "focus-card", false);
    }
    if (label === "phone") {
      await page.getByRole("button", { name: "Menu" }).click();
      await shot(page, "gallery-phone-menu", false);
    }
    await context.close();
  }
}

if (wanted("upload")) {
  const model = process.env.UPLOAD_MODEL ?? "toy";
  const { page, context } = await newPage();
  await page.goto(`${BASE}/models/${model}`);
  await page.getByRole("heading", { level: 1 }).waitFor();
  await shot(page, "model-page");
  // a file of the wrong type: refused in the browser
  await page.locator('input[type="file"]').setInputFiles({ name: "notes.pdf", mimeType: "application/pdf", buffer: Buffer.from("%PDF-1.4") });
  await page.getByRole("button", { name: /run/i }).click();
  await shot(page, "model-page-wrong-type");
  await page.getByRole("button", { name: /Remove notes.pdf/ }).click();
  await page.locator('input[type="file"]').setInputFiles(path.join(SAMPLES, "zidane.jpg"));
  const sleep = page.getByLabel("Sleep s");
  if (await sleep.count()) await sleep.fill("4");
  await page.getByRole("button", { name: /run/i }).click();
  await page.waitForURL(/\/predictions\//);
  await page.waitForTimeout(1200);
  await shot(page, "job-running");
  await waitForJob(page);
  await shot(page, "job-finished");
  await context.close();

  const phone = await newPage(PHONE);
  await phone.page.goto(`${BASE}/models/${model}`);
  await phone.page.getByRole("heading", { level: 1 }).waitFor();
  await shot(phone.page, "model-page-phone");
  await phone.context.close();
}

if (wanted("contact")) {
  const { page, context } = await newPage(PHONE);
  await page.goto(`${BASE}/contact`);
  await page.getByRole("button", { name: /send/i }).click();
  await shot(page, "contact-errors-phone");
  await page.getByLabel("Your name").fill("Ada Lovelace");
  await page.getByLabel("Your e-mail").fill("ada@example.org");
  await page.getByLabel("Subject").fill("A question about the models");
  await page.getByLabel("Message").fill("Hello! How large may a video be for the object detection model?");
  await page.getByRole("button", { name: /send/i }).click();
  await page.getByText("Your message was received.").waitFor();
  await shot(page, "contact-sent-phone");
  await context.close();
}

if (wanted("auth")) {
  const { page, context } = await newPage();
  await page.goto(`${BASE}/signup`);
  await page.getByRole("button", { name: /create/i }).click();
  await shot(page, "signup-errors");
  const email = `user${Date.now()}@example.org`;
  await page.getByLabel("Name (optional)").fill("Plain User");
  await page.getByLabel("E-mail").fill(email);
  await page.getByLabel("Password").fill("a long enough password");
  await page.getByRole("button", { name: /create/i }).click();
  await page.waitForURL(`${BASE}/`);
  await page.goto(`${BASE}/admin`);
  await page.getByRole("heading", { name: "For administrators only" }).waitFor();
  await shot(page, "admin-as-user");
  await page.goto(`${BASE}/history`);
  await page.getByRole("heading", { name: "My predictions" }).waitFor();
  await shot(page, "history-empty");
  await context.close();
}

if (wanted("admin")) {
  for (const [label, viewport] of [["desktop", DESKTOP], ["phone", PHONE]]) {
    const { page, context } = await newPage(viewport);
    await login(page, ADMIN);
    for (const tab of ["", "stats", "models", "messages", "users", "audit"]) {
      await page.goto(`${BASE}/admin${tab ? `/${tab}` : ""}`);
      await page.getByRole("heading", { level: 2 }).first().waitFor();
      await page.waitForLoadState("networkidle");
      await shot(page, `admin-${tab || "predictions"}-${label}`);
      if (label === "phone" && tab !== "" && tab !== "stats") break;
    }
    await context.close();
  }
}

if (wanted("results")) {
  const runs = [
    ["detection", "object-detection", [path.join(SAMPLES, "bus.jpg")]],
    ["faces", "face-gender", [path.join(SAMPLES, "face_test_image.jpg")]],
    ["batch", "object-detection", [path.join(SAMPLES, "bus.jpg"), path.join(SAMPLES, "zidane.jpg")]],
    ["video", "object-detection", [path.join(SAMPLES, "people_movement.mp4")]],
    ["skin", "skin", [path.join(SAMPLES, "ch2.nii.gz")]],
  ];
  const only = process.env.RESULTS?.split(",");
  for (const [name, model, files] of runs) {
    if (only && !only.includes(name)) continue;
    for (const [label, viewport] of [["desktop", DESKTOP], ["phone", PHONE]]) {
      if (label === "phone" && !["detection", "skin", "batch"].includes(name)) continue;
      const { page, context } = await newPage(viewport);
      await page.goto(`${BASE}/models/${model}`);
      await page.getByRole("heading", { level: 1 }).waitFor();
      await page.locator('input[type="file"]').setInputFiles(files);
      await page.getByRole("button", { name: /run/i }).click();
      await waitForJob(page);
      await page.waitForLoadState("networkidle");
      if (name === "skin") await page.waitForTimeout(3000);
      await shot(page, `result-${name}-${label}`);
      if (name === "detection" && label === "desktop") {
        await page.getByRole("checkbox", { name: /person/ }).uncheck();
        await shot(page, "result-detection-no-person", false);
      }
      await context.close();
    }
  }
}

if (wanted("errors")) {
  // a model whose weights are missing: the server answers 503 with the reason
  const { page, context } = await newPage();
  await page.goto(`${BASE}/models/toy-weighted`);
  await page.getByRole("heading", { level: 1 }).waitFor();
  await page.locator('input[type="file"]').setInputFiles(path.join(SAMPLES, "zidane.jpg"));
  await page.getByRole("button", { name: /run/i }).click();
  await page.getByRole("alert").getByText("Not available right now").waitFor();
  await shot(page, "error-unavailable");
  // a job that fails in the model
  await page.goto(`${BASE}/models/toy`);
  await page.getByRole("heading", { level: 1 }).waitFor();
  await page.locator('input[type="file"]').setInputFiles(path.join(SAMPLES, "zidane.jpg"));
  await page.getByLabel("Behaviour").selectOption("fail");
  await page.getByRole("button", { name: /run/i }).click();
  await waitForJob(page);
  await shot(page, "job-failed");
  await page.goto(`${BASE}/predictions/${"0".repeat(32)}`);
  await page.getByText("Not found").waitFor();
  await shot(page, "job-not-found", false);
  await context.close();
}

if (wanted("webcam")) {
  const model = process.env.WEBCAM_MODEL ?? "toy";
  const { page, context } = await newPage(PHONE);
  await page.goto(`${BASE}/models/${model}`);
  await page.getByText("Or take a photo with your camera").click();
  await page.getByRole("button", { name: "Use the camera" }).click();
  await page.getByRole("button", { name: "Take photo" }).waitFor();
  await page.waitForTimeout(800);
  await shot(page, "webcam-live-phone");
  await page.getByRole("button", { name: "Take photo" }).click();
  await page.getByRole("img", { name: /photo you took/ }).waitFor();
  await shot(page, "webcam-captured-phone");
  await page.getByRole("button", { name: /run/i }).click();
  await waitForJob(page);
  await shot(page, "webcam-result-phone");
  await context.close();
}

if (wanted("history")) {
  const { page, context } = await newPage();
  await page.goto(`${BASE}/signup`);
  await page.getByLabel("E-mail").fill(`hist${Date.now()}@example.org`);
  await page.getByLabel("Password").fill("a long enough password");
  await page.getByRole("button", { name: /create/i }).click();
  await page.waitForURL(`${BASE}/`);
  const model = process.env.UPLOAD_MODEL ?? "toy";
  for (const file of ["zidane.jpg", "bus.jpg"]) {
    await page.goto(`${BASE}/models/${model}`);
    await page.locator('input[type="file"]').setInputFiles(path.join(SAMPLES, file));
    await page.getByRole("button", { name: /run/i }).click();
    await waitForJob(page);
  }
  await page.goto(`${BASE}/history`);
  await page.getByRole("table").waitFor();
  await shot(page, "history");
  await page.setViewportSize(PHONE);
  await shot(page, "history-phone");
  await context.close();
}

await browser.close();
if (problems.length) {
  console.log(`\n${problems.length} problem(s):`);
  for (const p of problems) console.log(" -", p);
} else {
  console.log("\nno console errors, no CSP violations");
}

