// Checks Communs in a real browser, with `playwright-core` driving the system's Chromium:
// 1. GraphiQL at `/`, every request to a host other than 127.0.0.1 aborted: a query typed
//    in its editor and run shows the demo's answer (the page needs nothing from outside);
// 2. a page served from another origin (another port) posts to /graphql with the headers
//    of frontend tools (Apollo, Sentry, W3C tracing): the preflight lets them through;
// 3. /metrics, on its own address, counts the requests of both.
// Usage: node browser-check.cjs HOST:PORT METRICS_HOST:PORT MODULES_DIR
const http = require("node:http");
const path = require("node:path");

const [address, metrics, modules] = process.argv.slice(2);
const { chromium } = require(path.join(modules, "node_modules", "playwright-core"));
const api = `http://${address}`;
const QUERY = "{ initiatives(first: 1, orderBy: {field: TITLE}) { nodes { title } } }";
const ANSWER = "Confection de masques";

function check(condition, message) {
  if (!condition) throw new Error(message);
}

async function graphiqlOffline(context) {
  const page = await context.newPage();
  const aborted = [];
  await page.route("**/*", (route) => {
    const url = new URL(route.request().url());
    if (url.hostname === "127.0.0.1") return route.continue();
    aborted.push(url.href);
    return route.abort();
  });
  const errors = [];
  page.on("pageerror", (error) => errors.push(error.message));
  await page.goto(`${api}/`);
  const editor = page.locator(".graphiql-query-editor .CodeMirror").first();
  await editor.waitFor({ timeout: 20000 });
  await editor.click();
  await page.keyboard.press("Control+A");
  await page.keyboard.press("Delete");
  // The editor closes brackets as they open: typing the closing ones steps over them.
  await page.keyboard.type(QUERY);
  const typed = await page.evaluate(
    () => document.querySelector(".graphiql-query-editor .CodeMirror").CodeMirror.getValue(),
  );
  check(typed.replace(/\s+/g, " ").trim() === QUERY, `the editor holds ${typed}`);
  await page.locator(".graphiql-execute-button").click();
  await page.waitForFunction(
    (answer) => (document.querySelector(".graphiql-response")?.innerText ?? "").includes(answer),
    ANSWER,
    { timeout: 20000 },
  );
  check(errors.length === 0, `the page failed: ${errors.join("; ")}`);
  check(aborted.length === 0, `GraphiQL asked other hosts for ${aborted.join(", ")}`);
  await page.close();
  console.log(`GraphiQL, offline: typed a query, ran it, saw "${ANSWER}"`);
}

/** A page on another origin (another port), calling the API from the browser. */
async function crossOrigin(context) {
  const site = http.createServer((_, response) => {
    response.writeHead(200, { "content-type": "text/html; charset=utf-8" });
    response.end("<!DOCTYPE html><title>A frontend</title><p>A frontend of Communs</p>");
  });
  await new Promise((resolve) => site.listen(0, "127.0.0.1", resolve));
  const origin = `http://127.0.0.1:${site.address().port}`;
  try {
    const page = await context.newPage();
    await page.goto(`${origin}/`);
    const result = await page.evaluate(
      async ({ endpoint, query }) => {
        const response = await fetch(endpoint, {
          method: "POST",
          headers: {
            "content-type": "application/json",
            "apollographql-client-name": "browser-check",
            "apollographql-client-version": "1.0.0",
            "apollo-require-preflight": "true",
            "sentry-trace": "0123456789abcdef0123456789abcdef-0123456789abcdef-1",
            baggage: "sentry-environment=ci,sentry-release=browser-check",
            traceparent: "00-0123456789abcdef0123456789abcdef-0123456789abcdef-01",
          },
          body: JSON.stringify({ query, operationName: "FromAnotherOrigin" }),
        });
        return {
          status: response.status,
          requestId: response.headers.get("x-request-id"),
          body: await response.json(),
        };
      },
      { endpoint: `${api}/graphql`, query: `query FromAnotherOrigin ${QUERY}` },
    );
    check(result.status === 200, `status ${result.status}`);
    check(
      JSON.stringify(result.body).includes(ANSWER),
      `the answer: ${JSON.stringify(result.body)}`,
    );
    check(!!result.requestId, "the request id is readable from another origin");
    await page.close();
    console.log(`another origin (${origin}): a POST with Apollo, Sentry and tracing headers answered`);
  } finally {
    site.close();
  }
}

async function scrapeMetrics(context) {
  const page = await context.newPage();
  const response = await page.goto(`http://${metrics}/metrics`);
  check(response.status() === 200, `/metrics answered ${response.status()}`);
  const text = await response.text();
  for (const expected of [
    'communs_graphql_requests_total{operation="IntrospectionQuery",outcome="ok"}',
    'communs_graphql_requests_total{operation="FromAnotherOrigin",outcome="ok"}',
    "communs_graphql_request_duration_seconds_bucket",
    "communs_sql_statements_total",
  ]) {
    check(text.includes(expected), `/metrics lacks ${expected}:\n${text}`);
  }
  const onTheApi = await context.request.get(`${api}/metrics`);
  check(onTheApi.status() === 404, "the API's address serves no metrics");
  await page.close();
  console.log("/metrics, on its own address: GraphiQL's and the other origin's requests counted");
}

(async () => {
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
    headless: true,
    // As root in CI, Chromium's sandbox cannot start.
    args: ["--no-sandbox"],
  });
  try {
    const context = await browser.newContext();
    await graphiqlOffline(context);
    await crossOrigin(context);
    await scrapeMetrics(context);
  } finally {
    await browser.close();
  }
})().catch((error) => {
  console.error(error);
  process.exit(1);
});
