/**
 * A tap through each kind of reader reaches an approved sale (issue 4): the PC/SC reader
 * on a real pcscd with the vpcd virtual reader and an emulated card, and the keyboard
 * wedge on recorded key events through a FIFO (this kernel has no uinput; the grab is
 * covered by the driver's own tests). The serial ID reader has its own e2e test.
 */
import { execFileSync } from "node:child_process";
import { constants, promises as fs } from "node:fs";
import t from "tap";
import { postSale } from "../helpers/api-client.js";
import { typed } from "../helpers/input-events.js";
import { lockVpcd, pcscSkipReason, usePcscd } from "../helpers/pcscd.js";
import { startRig } from "../helpers/rig.js";
import { tempDir } from "../helpers/temp-dir.js";
import { insertCard } from "../helpers/vpcd-card.js";
import { waitFor } from "../helpers/wait-for.js";

const skipReason = await pcscSkipReason();

// See test/drivers/pcsc-reader.test.ts: the native binding may keep the process alive.
t.teardown(() => {
  setTimeout(() => process.exit(), 3_000);
});

t.test(
  "a tap on the PC/SC reader and a number typed by the keyboard wedge each reach an approved sale",
  { skip: skipReason === undefined ? false : `needs pcscd + vpcd: ${skipReason}`, timeout: 90_000 },
  async (t) => {
    const unlock = await lockVpcd();
    t.teardown(unlock);
    const pcscd = await usePcscd();
    t.teardown(() => pcscd.stop());
    const dir = await tempDir(t);
    const fifo = `${dir}/usb-wedge-event-kbd`;
    execFileSync("mkfifo", [fifo]);
    const keyboard = await fs.open(fifo, constants.O_RDWR | constants.O_NONBLOCK);
    t.teardown(() => keyboard.close());
    const { hq, agent, api } = await startRig(t, {
      agent: {
        dataDir: `${dir}/agent`,
        ready: "none",
        readers: [
          {
            id: "ic",
            type: "pcsc",
            readerName: "Virtual PCD 00 00",
            identity: "uid",
            feedback: true,
            debounceMs: 1500,
          },
          {
            id: "wedge",
            type: "keyboard-wedge",
            path: fifo,
            format: "decimal",
            technology: "id",
            uidByteOrder: "msbFirst",
            grab: false,
            debounceMs: 1500,
          },
        ],
      },
    });
    await waitFor(
      "both readers present and the link up",
      async () => {
        const s = await api.status();
        return s.broker.connected && s.policy.policy !== null && s.readers.every((r) => r.state === "present");
      },
      20_000,
    );

    const icSale = postSale(agent.url, { amount: 5000, readerId: "ic" });
    await new Promise((r) => setTimeout(r, 300));
    const card = await insertCard(0, { uid: "04A1B2C3" });
    t.teardown(() => card.remove());
    const ic = await icSale;
    t.equal(ic.status, 200);
    t.match(ic.body, { approved: true, mode: "online", balanceAfter: 100_000 - 4_400 }, "张伟's gold card, 88%");

    const wedgeSale = postSale(agent.url, { amount: 1000, readerId: "wedge" });
    await new Promise((r) => setTimeout(r, 300));
    await keyboard.write(typed("0012345678\n"));
    const wedge = await wedgeSale;
    t.match(wedge.body, { approved: true, mode: "online", balanceAfter: 20_000 - 1_000 }, "陈静's ID card");
    t.match(await hq.ledger.getCard("ic:04A1B2C3"), { balance: 95_600 });
    t.match(await hq.ledger.getCard("id:0012345678"), { balance: 19_000 });
  },
);
