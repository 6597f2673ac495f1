import t from "tap";
import { startMosquitto } from "../helpers/mosquitto.js";
import { saleScenario } from "./sale-scenario.js";

t.test("a sale end to end over a real Mosquitto: online, offline within limits, drained exactly once", async (t) => {
  const broker = await startMosquitto();
  t.teardown(() => broker.close());
  await saleScenario(t, broker);
});
