import type { ReactElement } from "react";
import { render } from "@testing-library/react";
import { QueryClient, QueryClientProvider } from "@tanstack/react-query";
import { createMemoryRouter, RouterProvider } from "react-router";

/** Renders a component inside a fresh query client and a router at `path`. */
export function renderWithProviders(element: ReactElement, { path = "/", route = "/" }: { path?: string; route?: string } = {}) {
  const client = new QueryClient({ defaultOptions: { queries: { retry: false }, mutations: { retry: false } } });
  const router = createMemoryRouter([{ path, element }, { path: "*", element: <p>elsewhere</p> }], { initialEntries: [route] });
  const utils = render(
    <QueryClientProvider client={client}>
      <RouterProvider router={router} />
    </QueryClientProvider>,
  );
  return { ...utils, client, router };
}

/** A fetch stub answering JSON per "METHOD /path" (query strings ignored). */
export function stubFetch(routes: Record<string, (request: Request) => { status?: number; body?: unknown; headers?: Record<string, string> }>) {
  const calls: Request[] = [];
  const fetchStub = async (input: RequestInfo | URL, init?: RequestInit) => {
    const request = input instanceof Request ? input : new Request(new URL(String(input), "http://localhost"), init);
    calls.push(request);
    const url = new URL(request.url, "http://localhost");
    const handler = routes[`${request.method} ${url.pathname}`];
    if (!handler) return new Response(JSON.stringify({ detail: "not stubbed", code: "not_found" }), { status: 404 });
    const { status = 200, body = null, headers = {} } = handler(request);
    return new Response(status === 204 ? null : JSON.stringify(body), {
      status,
      headers: { "Content-Type": "application/json", ...headers },
    });
  };
  return { fetchStub, calls };
}
