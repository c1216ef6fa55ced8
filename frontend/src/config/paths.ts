// Every route of the app in one place: `path` for the router, `href()` for links.

export const paths = {
  gallery: { path: "/", href: () => "/" },
  model: {
    path: "/models/:name",
    href: (name: string) => `/models/${encodeURIComponent(name)}`,
  },
  prediction: {
    path: "/predictions/:id",
    href: (id: string) => `/predictions/${encodeURIComponent(id)}`,
  },
  history: { path: "/history", href: () => "/history" },
  contact: { path: "/contact", href: () => "/contact" },
  login: {
    path: "/login",
    href: (next?: string) => (next ? `/login?next=${encodeURIComponent(next)}` : "/login"),
  },
  signup: {
    path: "/signup",
    href: (next?: string) => (next ? `/signup?next=${encodeURIComponent(next)}` : "/signup"),
  },
  forgotPassword: { path: "/forgot-password", href: () => "/forgot-password" },
  /** where a password-reset mail's link leads (?token=…); the backend names the same path */
  resetPassword: { path: "/reset-password", href: () => "/reset-password" },
  /** where the link confirming a new e-mail address leads (?token=…) */
  confirmEmail: { path: "/confirm-email", href: () => "/confirm-email" },
  account: { path: "/account", href: () => "/account" },
  accountDeleted: { path: "/account/deleted", href: () => "/account/deleted" },
  admin: {
    root: { path: "/admin", href: () => "/admin" },
    predictions: { path: "/admin", href: () => "/admin" },
    stats: { path: "/admin/stats", href: () => "/admin/stats" },
    models: { path: "/admin/models", href: () => "/admin/models" },
    catalog: {
      path: "/admin/catalog",
      /** with a model's name: its entry, opened */
      href: (model?: string) => (model ? `/admin/catalog?model=${encodeURIComponent(model)}` : "/admin/catalog"),
    },
    /** a model's releases and replays */
    releases: {
      path: "/admin/catalog/:name/releases",
      href: (model: string) => `/admin/catalog/${encodeURIComponent(model)}/releases`,
    },
    /** a release's candidate against the live version */
    releaseComparison: {
      path: "/admin/catalog/:name/releases/:id/comparison",
      href: (model: string, id: string) => `/admin/catalog/${encodeURIComponent(model)}/releases/${encodeURIComponent(id)}/comparison`,
    },
    /** a replay's version against the live one, on the replayed predictions */
    replayComparison: {
      path: "/admin/catalog/:name/replays/:id/comparison",
      href: (model: string, id: string) => `/admin/catalog/${encodeURIComponent(model)}/replays/${encodeURIComponent(id)}/comparison`,
    },
    messages: { path: "/admin/messages", href: () => "/admin/messages" },
    users: {
      path: "/admin/users",
      /** with an e-mail: the table filtered to that user */
      href: (email?: string) => (email ? `/admin/users?email=${encodeURIComponent(email)}` : "/admin/users"),
    },
    audit: { path: "/admin/audit", href: () => "/admin/audit" },
    feedback: { path: "/admin/feedback", href: () => "/admin/feedback" },
  },
} as const;

/** Only same-site paths are followed after logging in (no open redirect). */
export function safeNext(next: string | null | undefined): string {
  if (!next || !next.startsWith("/") || next.startsWith("//") || next.startsWith("/\\")) {
    return paths.gallery.href();
  }
  return next;
}
