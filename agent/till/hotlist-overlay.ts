/**
 * The hotlist as this till sees it right after its own card operations: a card
 * lost here is refused here at once, and a card unblocked here is taken again at once —
 * not a moment later, when the server's hotlist delta arrives (policy-cache.ts).
 *
 * Each mark says "at hotlist version V this card is (not) listed", from the server's reply.
 * The held document stays the server's, untouched: its version and delta chain are not
 * ours to edit. A mark only applies while the held version is older than V; once the
 * till holds V or newer, the server's own list decides and the mark is dropped. So a
 * mark can never outlive the delta it stands in for, nor undo a later change.
 */
import type { HotlistReason } from "../../rules/hotlist-reason.js";

export interface HeldHotlist {
  cards(): ReadonlySet<string>;
  version(): number;
  /** Why the server listed a card (rules/hotlist-reason.ts), if it said. */
  reason?(cardId: string): HotlistReason | undefined;
}

interface Mark {
  listed: boolean;
  version: number;
}

export class HotlistOverlay {
  private readonly marks = new Map<string, Mark>();
  /** The view last built, reused until the held set or the marks change. */
  private cached: { base: ReadonlySet<string>; view: ReadonlySet<string> } | undefined;

  constructor(private readonly held: HeldHotlist) {}

  /** The server said: at `version`, `cardId` is listed (or not). */
  mark(cardId: string, listed: boolean, version: number): void {
    this.marks.set(cardId, { listed, version });
    this.cached = undefined;
  }

  /**
   * Why a listed card is listed, as the server said. A card this till marked itself (lost
   * or frozen here) has no server reason yet: the old one (a shortfall, say) would be wrong.
   */
  reason(cardId: string): HotlistReason | undefined {
    const mark = this.marks.get(cardId);
    if (mark && mark.version > this.held.version()) return undefined;
    return this.held.reason?.(cardId);
  }

  /** The held hotlist with the marks the server has not caught up with yet. */
  view(): ReadonlySet<string> {
    const base = this.held.cards();
    const heldVersion = this.held.version();
    for (const [cardId, mark] of this.marks) {
      if (mark.version <= heldVersion) {
        this.marks.delete(cardId);
        this.cached = undefined;
      }
    }
    if (this.marks.size === 0) return base;
    if (this.cached?.base === base) return this.cached.view;
    const view = new Set(base);
    for (const [cardId, mark] of this.marks) {
      if (mark.listed) view.add(cardId);
      else view.delete(cardId);
    }
    this.cached = { base, view };
    return view;
  }
}
