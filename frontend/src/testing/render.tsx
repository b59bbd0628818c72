import { QueryClientProvider } from "@tanstack/react-query";
import { render } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import type { ReactNode } from "react";
import { RouterProvider, createMemoryRouter } from "react-router";
import { createAppQueryClient } from "../app/query-client";
import { routes } from "../app/router";

/** The whole app (real routes, real QueryClient setup) at `route`, against the MSW server. */
export function renderApp(route = "/") {
  const queryClient = createAppQueryClient({ retry: false });
  const router = createMemoryRouter(routes, { initialEntries: [route] });
  const user = userEvent.setup();
  const view = render(
    <QueryClientProvider client={queryClient}>
      <RouterProvider router={router} />
    </QueryClientProvider>,
  );
  return { ...view, user, router, queryClient };
}

/** One component with the providers it needs (no router). */
export function renderWithQueryClient(ui: ReactNode) {
  const queryClient = createAppQueryClient({ retry: false });
  const user = userEvent.setup();
  const view = render(<QueryClientProvider client={queryClient}>{ui}</QueryClientProvider>);
  return { ...view, user, queryClient };
}
