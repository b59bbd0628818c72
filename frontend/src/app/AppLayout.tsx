import { useEffect } from "react";
import { NavLink, Outlet, useLocation, useNavigate } from "react-router";
import { useCurrentUser, useSignOut } from "../features/auth/api/session";
import { useSettings } from "../features/settings/api/settings";
import { AvailabilityToggle } from "../features/inboxes/components/AvailabilityToggle";
import { useDesktopNotifications } from "../features/notifications/useDesktopNotifications";
import { useTicketCounts } from "../features/tickets/api/tickets";
import { errorMessage } from "../lib/api-client";

const APP_NAME = "smsdesk";

/** "(3) smsdesk" while 3 tickets wait for the viewer: unread in Mine plus unread in Unassigned. */
export function documentTitle(unread: number | undefined): string {
  if (!unread) return APP_NAME;
  // The server counts unread unassigned tickets only up to 100.
  return `(${unread > 99 ? "99+" : String(unread)}) ${APP_NAME}`;
}

function navClass({ isActive }: { isActive: boolean }) {
  return isActive ? "nav-link active" : "nav-link";
}

/** The frame around every signed-in page: header (who is signed in), navigation and the main area. */
export function AppLayout() {
  const user = useCurrentUser();
  const isAdmin = user.role === "admin";
  const counts = useTicketCounts();
  const settings = useSettings(isAdmin);
  const signOut = useSignOut();
  const navigate = useNavigate();
  const unread = counts.data?.unread_mine;
  const waiting = counts.data ? counts.data.unread_mine + counts.data.unread_unassigned : undefined;
  useDesktopNotifications();
  const { pathname } = useLocation();
  const inQueue = pathname === "/" || pathname.startsWith("/tickets");

  useEffect(() => {
    document.title = documentTitle(waiting);
  }, [waiting]);

  return (
    <div className="app">
      <a className="skip-link" href="#main">
        Skip to main content
      </a>
      <header className="topbar">
        <NavLink to="/" className="brand" aria-label="smsdesk, the queue">
          <span className="brand-mark" aria-hidden="true" />
          smsdesk
        </NavLink>
        <div className="topbar-user">
          <span className="user-name">
            {user.name}
            {isAdmin ? <span className="badge badge-muted">Admin</span> : null}
          </span>
          <AvailabilityToggle />
          <button
            type="button"
            className="button button-quiet"
            disabled={signOut.isPending}
            onClick={() => {
              signOut.mutate(undefined, {
                onSuccess: () => {
                  void navigate("/sign-in", { replace: true });
                },
              });
            }}
          >
            Sign out
          </button>
        </div>
        {signOut.isError ? <p className="inline-error" role="alert">{errorMessage(signOut.error)}</p> : null}
      </header>
      <nav className="sidebar" aria-label="Main">
        <ul>
          <li>
            <NavLink to="/" className={() => navClass({ isActive: inQueue })} aria-current={inQueue ? "page" : undefined}>
              Queue
              {unread ? (
                <span className="count-pill" aria-label={`${unread} unread`}>
                  {unread}
                </span>
              ) : null}
            </NavLink>
          </li>
          <li>
            <NavLink to="/new" className={navClass}>
              New conversation
            </NavLink>
          </li>
          <li>
            <NavLink to="/contacts" className={navClass}>
              Contacts
            </NavLink>
          </li>
          <li>
            <NavLink to="/reports" className={navClass}>
              Reports
            </NavLink>
          </li>
          <li>
            <NavLink to="/preferences" className={navClass}>
              Notifications
            </NavLink>
          </li>
        </ul>
        {isAdmin ? (
          <>
            <h2 className="nav-heading">Admin</h2>
            <ul>
              <li>
                <NavLink to="/admin/users" className={navClass}>
                  Users
                </NavLink>
              </li>
              <li>
                <NavLink to="/admin/tokens" className={navClass}>
                  API tokens
                </NavLink>
              </li>
              <li>
                <NavLink to="/admin/canned-replies" className={navClass}>
                  Canned replies
                </NavLink>
              </li>
              <li>
                <NavLink to="/admin/tags" className={navClass}>
                  Tags
                </NavLink>
              </li>
              <li>
                <NavLink to="/admin/inboxes" className={navClass}>
                  Inboxes
                </NavLink>
              </li>
              <li>
                <NavLink to="/admin/settings" className={navClass}>
                  Settings
                </NavLink>
              </li>
              {settings.data?.sms_simulator_enabled ? (
                <li>
                  <NavLink to="/simulator" className={navClass}>
                    SMS simulator
                  </NavLink>
                </li>
              ) : null}
            </ul>
          </>
        ) : null}
      </nav>
      <main id="main" className="main" tabIndex={-1}>
        <Outlet />
      </main>
    </div>
  );
}
