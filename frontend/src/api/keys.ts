// Query keys, in one place so that mutations invalidate the right queries. A feature's own
// keys (features/<feature>/api.ts) start with one of these prefixes.
export const queryKeys = {
  me: ["auth", "me"] as const,
  models: ["models"] as const,
  model: (name: string) => ["models", name] as const,
  prediction: (id: string) => ["predictions", id] as const,
  /** the signed-in user's own predictions (history); cleared at log-out */
  myPredictions: ["predictions", "mine"] as const,
  /** everything under /api/admin; cleared at log-out */
  admin: ["admin"] as const,
  /** the signed-in user's account page (sessions); cleared at log-out */
  account: ["account"] as const,
};
