/** The one error shape of the local API, as the OpenAPI document publishes it (http-api.ts sends it). */
export const errorBody = {
  type: "object",
  required: ["code", "message"],
  properties: {
    code: { type: "string", example: "CT_BAD_REQUEST" },
    message: { type: "string" },
    field: {
      type: "string",
      description:
        "With CT_BAD_REQUEST: the field refused (amount, countUse.uses, an unknown field's name). Types are never coerced and unknown fields never dropped",
      example: "amount",
    },
  },
} as const;
