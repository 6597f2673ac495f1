import t from "tap";
import { type EmbeddedBroker, startEmbeddedBroker } from "../../agent/demo/embedded-broker.js";
import { freePort } from "../helpers/free-port.js";
import { saleScenario } from "./sale-scenario.js";

t.test("a sale end to end over the embedded broker: online, offline within limits, drained exactly once", async (t) => {
  const port = await freePort();
  let broker: EmbeddedBroker | undefined = await startEmbeddedBroker(port);
  const restartable = {
    url: broker.url,
    async stop() {
      await broker?.close();
      broker = undefined;
    },
    async start() {
      broker = await startEmbeddedBroker(port);
    },
  };
  t.teardown(() => broker?.close());
  await saleScenario(t, restartable);
});
