import { Navigate, Outlet, useLocation } from "react-router";
import { ErrorState, Loading } from "../components/States";
import { CurrentUserContext, useCurrentUser, useSession } from "../features/auth/api/session";
import { errorMessage } from "../lib/api-client";

/** Renders its routes only for a signed-in user; sends everyone else to the sign-in page (and back afterwards). */
export function RequireSession() {
  const session = useSession();
  const location = useLocation();
  if (session.isPending) return <Loading label="Loading smsdesk…" fullPage />;
  if (session.isError) {
    return (
      <main className="page-center">
        <ErrorState message={errorMessage(session.error)} onRetry={() => void session.refetch()} />
      </main>
    );
  }
  if (!session.data) {
    const next = location.pathname + location.search;
    const to = next === "/" ? "/sign-in" : `/sign-in?next=${encodeURIComponent(next)}`;
    return <Navigate to={to} replace />;
  }
  return (
    <CurrentUserContext value={session.data.user}>
      <Outlet />
    </CurrentUserContext>
  );
}

/** Admin pages: agents get a plain refusal (they never see links to them). */
export function RequireAdmin() {
  const user = useCurrentUser();
  if (user.role !== "admin") {
    return (
      <div className="page">
        <h1>Admins only</h1>
        <p>This page is for admins. Ask an admin if you need something changed.</p>
      </div>
    );
  }
  return <Outlet />;
}
