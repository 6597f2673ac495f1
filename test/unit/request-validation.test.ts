/**
 * How a refused request body reads (protocol/request-validation.ts), through fastify with
 * the options both APIs use: the field named as a person writes it, the fields allowed
 * listed, the type sent said but never its value (a PIN must not come back in a reply).
 */
import Fastify from "fastify";
import t from "tap";
import { fieldOf, refusedField, STRICT_AJV_OPTIONS, validationRefusal } from "../../protocol/request-validation.js";

const schema = {
  type: "object",
  additionalProperties: false,
  properties: {
    amount: { type: "integer", minimum: 1 },
    pin: { type: "string", pattern: "^[0-9]{4,12}$" },
    rows: {
      type: "array",
      items: {
        type: "object",
        additionalProperties: false,
        required: ["name"],
        properties: { name: { type: "string" } },
      },
    },
    member: { type: "object", properties: { name: { type: "string" } } },
    memberId: { type: "string" },
  },
  oneOf: [
    { required: ["member"], not: { required: ["memberId"] } },
    { required: ["memberId"], not: { required: ["member"] } },
  ],
};

async function refusal(
  body: unknown,
  bodySchema: object = schema,
): Promise<{ status: number; field?: string; message: string }> {
  const app = Fastify({ ajv: { customOptions: STRICT_AJV_OPTIONS } });
  app.setErrorHandler((caught, _req, reply) => {
    const err = validationRefusal(caught);
    if (!err) return reply.status(500).send({ message: String(caught) });
    const field = refusedField(err);
    return reply.status(400).send({ message: err.message, ...(field === undefined ? {} : { field }) });
  });
  app.post("/", { schema: { body: bodySchema } }, async () => ({ ok: true }));
  const res = await app.inject({ method: "POST", url: "/", payload: body as object });
  await app.close();
  return { status: res.statusCode, ...res.json() };
}

t.test("a field is named as a person writes it", async (t) => {
  t.equal(fieldOf(""), "");
  t.equal(fieldOf("/amount"), "amount");
  t.equal(fieldOf("/countUse/uses"), "countUse.uses");
  t.equal(fieldOf("/doctor/0/name"), "doctor[0].name");
  t.equal(fieldOf("/a~1b/c~0d"), "a/b.c~d", "JSON Pointer escapes undone");
});

t.test("each kind of refusal", async (t) => {
  const base = { memberId: "M1" };
  t.match(await refusal({ ...base, amount: "25.00" }), {
    status: 400,
    field: "amount",
    message: /^CT_BAD_REQUEST: amount must be an integer .* not text$/,
  });
  t.match(await refusal({ ...base, amount: 0 }), { field: "amount", message: /amount must be >= 1/ });
  t.match(await refusal({ ...base, amont: 1 }), {
    field: "amont",
    message: /amont is not a known field; the fields allowed here are amount, pin, rows, member, memberId/,
  });
  t.match(await refusal({ ...base, rows: [{}] }), { field: "rows[0].name", message: /rows\[0\]\.name is required/ });
  t.match(await refusal({ member: { name: "a" }, memberId: "M1" }), {
    message: /the body must hold exactly one of: member; memberId/,
  });
  const root = await refusal([1], { type: "object", additionalProperties: false, properties: {} });
  t.equal(root.field, undefined, "the body as a whole has no field");
  t.match(root.message, /the body must be an object, not a list/);
});

t.test("a value sent is described by its type, never echoed", async (t) => {
  const r = await refusal({ memberId: "M1", pin: 987654 });
  t.equal(r.field, "pin");
  t.match(r.message, /pin must be text, not an integer/);
  t.notMatch(r.message, /987654/, "the PIN is not in the reply");
});

t.test("a field with a fixed set of values names them, missing or wrong (a top-up's payment)", async (t) => {
  const topUp = {
    type: "object",
    additionalProperties: false,
    required: ["amount", "payment"],
    properties: { amount: { type: "integer" }, payment: { enum: ["cash", "wechat", "alipay", "bankcard"] } },
  };
  t.match(await refusal({ amount: 100 }, topUp), {
    field: "payment",
    message: /payment is required: one of cash, wechat, alipay, bankcard$/,
  });
  const wrong = await refusal({ amount: 100, payment: "card" }, topUp);
  t.match(wrong, { field: "payment", message: /payment must be one of cash, wechat, alipay, bankcard$/ });
  t.notMatch(wrong.message, /"card"/, "what was sent is not echoed");
});
