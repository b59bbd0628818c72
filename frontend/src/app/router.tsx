import { lazy } from "react";
import { createBrowserRouter, type RouteObject } from "react-router";
import { SignInPage } from "../features/auth/components/SignInPage";
import { NewConversationPage } from "../features/conversations/components/NewConversationPage";
import { QueueLayout } from "../features/tickets/components/QueueLayout";
import { TicketView } from "../features/tickets/components/TicketView";
import { NoTicketSelected } from "../features/tickets/components/NoTicketSelected";
import { AppLayout } from "./AppLayout";
import { RequireAdmin, RequireSession } from "./guards";
import { LazyPage } from "./LazyPage";
import { NotFoundPage, RouteErrorPage } from "./RouteErrorPage";

// Admin pages and the simulator are split into their own chunks: agents never download them.
const UsersPage = lazy(() => import("../features/users/components/UsersPage"));
const TokensPage = lazy(() => import("../features/tokens/components/TokensPage"));
const CannedRepliesPage = lazy(() => import("../features/canned-replies/components/CannedRepliesPage"));
const TagsPage = lazy(() => import("../features/tags/components/TagsPage"));
const SettingsPage = lazy(() => import("../features/settings/components/SettingsPage"));
const InboxesPage = lazy(() => import("../features/inboxes/components/InboxesPage"));
const SimulatorPage = lazy(() => import("../features/simulator/components/SimulatorPage"));
const NotificationsPage = lazy(() => import("../features/notifications/components/NotificationsPage"));
// Contacts is not on the first screen either.
const ContactsPage = lazy(() => import("../features/contacts/components/ContactsPage"));
const ContactPage = lazy(() => import("../features/contacts/components/ContactPage"));
// Reports bring the chart library: it loads with this page only.
const ReportsPage = lazy(() => import("../features/reports/components/ReportsPage"));

export const routes: RouteObject[] = [
  { path: "/sign-in", element: <SignInPage />, errorElement: <RouteErrorPage /> },
  {
    element: <RequireSession />,
    errorElement: <RouteErrorPage />,
    children: [
      {
        element: <AppLayout />,
        children: [
          {
            element: <QueueLayout />,
            children: [
              { index: true, element: <NoTicketSelected /> },
              { path: "tickets", element: <NoTicketSelected /> },
              { path: "tickets/:ticketId", element: <TicketView /> },
            ],
          },
          { path: "new", element: <NewConversationPage /> },
          { path: "preferences", element: <LazyPage page={NotificationsPage} /> },
          { path: "contacts", element: <LazyPage page={ContactsPage} /> },
          { path: "contacts/:contactId", element: <LazyPage page={ContactPage} /> },
          { path: "reports", element: <LazyPage page={ReportsPage} /> },
          {
            element: <RequireAdmin />,
            children: [
              { path: "admin", element: <LazyPage page={UsersPage} /> },
              { path: "admin/users", element: <LazyPage page={UsersPage} /> },
              { path: "admin/tokens", element: <LazyPage page={TokensPage} /> },
              { path: "admin/canned-replies", element: <LazyPage page={CannedRepliesPage} /> },
              { path: "admin/tags", element: <LazyPage page={TagsPage} /> },
              { path: "admin/settings", element: <LazyPage page={SettingsPage} /> },
              { path: "admin/inboxes", element: <LazyPage page={InboxesPage} /> },
              { path: "simulator", element: <LazyPage page={SimulatorPage} /> },
            ],
          },
          { path: "*", element: <NotFoundPage /> },
        ],
      },
    ],
  },
];

export function createAppRouter() {
  return createBrowserRouter(routes);
}
