/**
 * DELETE /api/v1/taps/waiting: the cashier cancels the wait for a card (the console's 取消
 * beside the countdown). Without it, a cancelled screen leaves the agent waiting for the
 * rest of the tap time-out, and the next card tapped — the next customer's — would pay for
 * the sale the cashier gave up on. Every waiting request ends with CT_NO_TAP at once.
 *
 * No permission of its own: it moves no money and shows nothing, so any logged-in operator
 * may end a wait; the API token holds as for every /api/ route.
 */
import type { FastifyInstance } from "fastify";
import type { TapSource } from "../sale/tap-source.js";
import { type ApiAuth, sessionToken } from "./api-auth.js";

export interface TapRouteDeps {
  taps: Pick<TapSource, "cancelWaiting">;
  auth: ApiAuth;
}

export function tapRoutes(app: FastifyInstance, d: TapRouteDeps): void {
  app.delete("/api/v1/taps/waiting", async (req) => {
    if (d.auth.sessions.loginRequired) d.auth.sessions.use(sessionToken(req));
    return { cancelled: d.taps.cancelWaiting() };
  });
}

/** Its entry in the OpenAPI document (openapi.ts). */
export function tapPaths(): Record<string, unknown> {
  return {
    "/api/v1/taps/waiting": {
      delete: {
        summary:
          "Cancel the wait for a card: every request waiting for a tap ends with CT_NO_TAP now; a card tapped after it pays for nothing",
        responses: {
          "200": { description: "{ cancelled: N } — how many waiting requests were ended" },
          "401": { description: "CT_UNAUTHORIZED: no live operator session (when the till has operators)" },
        },
      },
    },
  };
}
