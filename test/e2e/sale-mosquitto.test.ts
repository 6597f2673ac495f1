import t from "tap";
import { saleScenario } from "./sale-scenario.js";

t.test("a sale end to end over a real Mosquitto: online, offline within limits, drained exactly once", async (t) => {
  await saleScenario(t, "mosquitto");
});
