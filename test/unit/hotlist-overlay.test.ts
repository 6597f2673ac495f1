import t from "tap";
import { HotlistOverlay } from "../../agent/till/hotlist-overlay.js";

/** A held hotlist the test moves on, as the policy cache would when a delta arrives. */
function held(cards: string[], version: number) {
  const state = { cards: new Set(cards) as ReadonlySet<string>, version };
  return {
    state,
    source: { cards: () => state.cards, version: () => state.version },
    receive(next: string[], v: number) {
      state.cards = new Set(next);
      state.version = v;
    },
  };
}

t.test("a card lost at this till is listed at once, until the server's own list catches up", async (t) => {
  const h = held(["ic:AA"], 4);
  const overlay = new HotlistOverlay(h.source);
  t.equal(overlay.view(), h.state.cards, "with no marks the held set itself is the view");
  overlay.mark("ic:BB", true, 5);
  t.ok(overlay.view().has("ic:BB"), "lost here: refused here before the delta arrives");
  t.ok(overlay.view().has("ic:AA"), "the held cards stay listed");
  t.notOk(h.state.cards.has("ic:BB"), "the held document is not edited");
  h.receive(["ic:AA", "ic:BB"], 5);
  t.equal(overlay.view(), h.state.cards, "at version 5 the server's list decides and the mark is gone");
});

t.test("a card unblocked here is taken again at once, and a later change at the server wins", async (t) => {
  const h = held(["ic:AA", "ic:BB"], 7);
  const overlay = new HotlistOverlay(h.source);
  overlay.mark("ic:BB", false, 8);
  t.notOk(overlay.view().has("ic:BB"), "unlost here: not listed any more");
  // The server moved on past our mark (the card lost again elsewhere at version 9).
  h.receive(["ic:AA", "ic:BB"], 9);
  t.ok(overlay.view().has("ic:BB"), "the newer held version decides, not the older mark");
});

t.test("a mark older than the held version is dropped at once", async (t) => {
  const h = held([], 10);
  const overlay = new HotlistOverlay(h.source);
  overlay.mark("ic:CC", true, 9);
  t.notOk(overlay.view().has("ic:CC"), "a replayed outcome from an older version changes nothing");
});
