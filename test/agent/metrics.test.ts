/**
 * GET /metrics: the Prometheus text format read back strictly by an independent
 * parser, and the figures moving with real sales, declines and till operations on a real
 * agent against the real central server and broker — online, then offline.
 */
import { randomBytes } from "node:crypto";
import t from "tap";
import { startAgent } from "../../agent/agent.js";
import { MetricsRegistry } from "../../agent/api/metrics-exposition.js";
import { startEmbeddedBroker } from "../../agent/demo/embedded-broker.js";
import { silentLogger } from "../../agent/logger.js";
import { startHqServer } from "../../server/hq-server.js";
import { testAgentConfig } from "../helpers/agent-config.js";
import { freePort } from "../helpers/free-port.js";
import { type ParsedFamily, parsePrometheusText, sampleValue } from "../helpers/prometheus-text.js";
import { tempDir } from "../helpers/temp-dir.js";
import { waitFor } from "../helpers/wait-for.js";

const GOLD = "04A1B2C3"; // 张伟, gold, 1000.00 at the demo server
const TOKEN = "scrape-token-0123456789";

t.test("the exposition format: HELP and TYPE before samples, names checked, label values escaped", async (t) => {
  const r = new MetricsRegistry();
  const c = r.counter("demo_events_total", "Events.\nSecond line with a \\ backslash.", ["reason"]);
  c.declare({ reason: "quiet" });
  c.inc({ reason: 'a "quoted"\\path\nnext line' }, 2);
  c.inc({ reason: 'a "quoted"\\path\nnext line' });
  r.gauge("demo_age_seconds", "Age.", () => Number.POSITIVE_INFINITY);
  r.gauge("demo_states", "States.", () => [
    { labels: { device: "reader:front", state: "present" }, value: 1 },
    { labels: { device: "printer:receipt", state: "paper-out" }, value: 0 },
  ]);
  r.gauge("demo_empty", "A family with no sample now.", () => []);
  const text = r.render();
  const parsed = parsePrometheusText(text);
  t.same([...parsed.keys()], ["demo_events_total", "demo_age_seconds", "demo_states", "demo_empty"]);
  t.equal(parsed.get("demo_events_total")?.type, "counter");
  t.equal(parsed.get("demo_events_total")?.help, "Events.\nSecond line with a \\ backslash.");
  t.equal(sampleValue(parsed, "demo_events_total", { reason: 'a "quoted"\\path\nnext line' }), 3);
  t.equal(sampleValue(parsed, "demo_events_total", { reason: "quiet" }), 0, "declared series start at 0");
  t.equal(sampleValue(parsed, "demo_age_seconds"), Number.POSITIVE_INFINITY);
  t.equal(sampleValue(parsed, "demo_states", { device: "printer:receipt" }), 0);
  t.same(parsed.get("demo_empty")?.samples, []);
  t.match(text, /reason="a \\"quoted\\"\\\\path\\nnext line"/, 'escaped on the wire: \\\\, \\" and \\n');
  t.notOk(
    text.split("\n").some((l) => l.startsWith("next line")),
    "no label value breaks a line",
  );

  t.throws(() => r.counter("demo-bad", "x"), /not a valid metric name/);
  t.throws(() => r.counter("demo_events_total", "again"), /registered twice/);
  t.throws(() => r.counter("demo_x_total", "x", ["__reserved"]), /not a valid label name/);
  t.throws(() => c.inc({ reason: "x" }, -1), /only goes up/);
  t.throws(() => c.inc({}), /declared/, "a missing label is refused, not printed half");
});

t.test("the strict reader refuses what a scraper would misread", async (t) => {
  t.throws(() => parsePrometheusText("x_total 1\n"), /outside its family/);
  t.throws(() => parsePrometheusText('# HELP x a\n# TYPE x gauge\nx{a="\\t"} 1\n'), /unknown escape/);
  t.throws(() => parsePrometheusText("# HELP x a\n# TYPE x gauge\nx 1\nx 2\n"), /duplicate/);
  t.throws(() => parsePrometheusText("# HELP x a\n# TYPE x gauge\nx one\n"), /not a value/);
  t.throws(() => parsePrometheusText("# HELP x a\n# TYPE x gauge\nx 1"), /line feed/);
});

t.test("counts move with real sales, declines and till operations, online and offline", async (t) => {
  const broker = await startEmbeddedBroker(await freePort());
  let brokerUp = true;
  t.teardown(() => (brokerUp ? broker.close() : undefined));
  const key = randomBytes(32);
  const hq = await startHqServer({
    mqttUrl: broker.url,
    seedDemo: { terminals: [{ id: "T001", keyHex: key.toString("hex") }] },
    reconnectPeriodMs: 200,
    log: silentLogger(),
  });
  t.teardown(() => hq.close());
  const agent = await startAgent(
    testAgentConfig({ dataDir: await tempDir(t), mqttUrl: broker.url, key, apiToken: TOKEN, authTimeoutMs: 1000 }),
    { log: silentLogger(), backoff: { baseMs: 100, capMs: 400 }, ackTimeoutMs: 2000 },
  );
  t.teardown(() => agent.close());
  const auth = { authorization: `Bearer ${TOKEN}` };
  const post = async (path: string, body: unknown) => {
    const res = await fetch(`${agent.url}${path}`, {
      method: "POST",
      headers: { ...auth, "content-type": "application/json" },
      body: JSON.stringify(body),
    });
    return { status: res.status, body: (await res.json()) as Record<string, unknown> };
  };
  const scrape = async (): Promise<Map<string, ParsedFamily>> => {
    const res = await fetch(`${agent.url}/metrics`, { headers: auth });
    t.equal(res.status, 200);
    t.equal(res.headers.get("content-type"), "text/plain; version=0.0.4; charset=utf-8");
    return parsePrometheusText(await res.text());
  };
  const sales = (m: Map<string, ParsedFamily>, mode: string, result: string) =>
    sampleValue(m, "cardterm_sales_total", { mode, result }) ?? Number.NaN;

  t.equal((await fetch(`${agent.url}/metrics`)).status, 401, "no token, no figures");
  t.equal((await fetch(`${agent.url}/metrics`, { headers: { authorization: "Bearer wrong" } })).status, 401);
  await waitFor("connected with the policy", () => agent.link.isConnected() && agent.status().policy !== null);
  await waitFor("the policy", async () => (await post("/api/v1/sales", { amount: 1, cardUid: GOLD })).body.approved);

  const m0 = await scrape();
  for (const name of [
    "cardterm_build_info",
    "cardterm_offline_exposure_minor",
    "cardterm_offline_exposure_count",
    "cardterm_journal_pending",
    "cardterm_print_queue_depth",
    "cardterm_device_up",
    "cardterm_broker_connected",
    "cardterm_sync_lag_seconds",
    "cardterm_last_contact_age_seconds",
    "cardterm_reload_total",
  ]) {
    t.ok(m0.has(name), `${name} is exposed`);
  }
  t.equal(sampleValue(m0, "cardterm_broker_connected"), 1);
  t.equal(sampleValue(m0, "cardterm_device_up", { device: "reader:sim" }), 1);
  t.equal(m0.get("cardterm_device_up")?.samples.find((s) => s.labels.device === "reader:sim")?.labels.state, "present");
  t.ok((sampleValue(m0, "cardterm_last_contact_age_seconds") ?? Number.NaN) < 60, "the server answered just now");

  // Online: one approved, one declined by the server (more than the card holds).
  const approved = await post("/api/v1/sales", { amount: 2500, cardUid: GOLD });
  t.match(approved.body, { approved: true, mode: "online" });
  const declined = await post("/api/v1/sales", { amount: 99_000_000, cardUid: GOLD });
  t.match(declined.body, { approved: false, mode: "online" });
  const reason = String(declined.body.code);
  const topUp = await post("/api/v1/topups", { amount: 10_000, cardUid: GOLD, payment: "cash" });
  t.match(topUp.body, { approved: true });
  const m1 = await scrape();
  t.equal(sales(m1, "online", "approved") - sales(m0, "online", "approved"), 1, "an online approval counted");
  t.equal(sales(m1, "online", "declined") - sales(m0, "online", "declined"), 1, "an online decline counted");
  t.equal(
    (sampleValue(m1, "cardterm_declines_total", { reason }) ?? 0) -
      (sampleValue(m0, "cardterm_declines_total", { reason }) ?? 0),
    1,
    `the decline counted under its reason ${reason}`,
  );
  t.equal(
    (sampleValue(m1, "cardterm_till_ops_total", { op: "topup", result: "approved" }) ?? 0) -
      (sampleValue(m0, "cardterm_till_ops_total", { op: "topup", result: "approved" }) ?? 0),
    1,
    "the top-up counted",
  );

  // Offline: the broker goes away; one approval within the limits, one over the per-sale limit.
  await broker.close();
  brokerUp = false;
  await waitFor("the link to notice", () => !agent.link.isConnected());
  const offline = await post("/api/v1/sales", { amount: 5000, cardUid: GOLD });
  t.match(offline.body, { approved: true, mode: "offline" });
  const over = await post("/api/v1/sales", { amount: 40_000, cardUid: GOLD });
  t.match(over.body, { approved: false, mode: "offline", code: "OFFLINE_LIMIT_TXN" });
  const noServer = await post("/api/v1/topups", { amount: 100, cardUid: GOLD, payment: "cash" });
  t.equal(noServer.body.code, "CT_SERVER_TIMEOUT");
  const m2 = await scrape();
  t.equal(sales(m2, "offline", "approved") - sales(m1, "offline", "approved"), 1, "an offline approval counted");
  t.equal(sales(m2, "offline", "declined") - sales(m1, "offline", "declined"), 1, "an offline decline counted");
  t.equal(
    (sampleValue(m2, "cardterm_declines_total", { reason: "OFFLINE_LIMIT_TXN" }) ?? 0) -
      (sampleValue(m1, "cardterm_declines_total", { reason: "OFFLINE_LIMIT_TXN" }) ?? 0),
    1,
  );
  t.equal(
    (sampleValue(m2, "cardterm_till_ops_total", { op: "topup", result: "error" }) ?? 0) -
      (sampleValue(m1, "cardterm_till_ops_total", { op: "topup", result: "error" }) ?? 0),
    1,
    "a top-up that could not reach the server counts as an error",
  );
  const net = (offline.body.transaction as { net: number }).net;
  t.equal(sampleValue(m2, "cardterm_offline_exposure_minor"), net, "the offline exposure is that sale's net, in fen");
  t.equal(sampleValue(m2, "cardterm_offline_exposure_count"), 1);
  t.equal(sampleValue(m2, "cardterm_broker_connected"), 0);
  t.equal(sampleValue(m2, "cardterm_journal_pending"), agent.ledger.pending().length);
  t.ok(agent.ledger.pending().length >= 1, "the offline sale waits for the server");
  await new Promise((r) => setTimeout(r, 1100));
  const m3 = await scrape();
  t.ok((sampleValue(m3, "cardterm_sync_lag_seconds") ?? 0) >= 1, "the sync lag grows while the entry waits");

  // A reload of a config that cannot be read is refused and counted.
  const report = await agent.reload();
  t.equal(report.result, "refused");
  const m4 = await scrape();
  t.equal(sampleValue(m4, "cardterm_reload_total", { result: "refused" }), 1);
  t.equal(sampleValue(m4, "cardterm_config_last_reload_successful"), 0);
});
