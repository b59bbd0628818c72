import { Link, isRouteErrorResponse, useRouteError } from "react-router";

/** Shown when rendering a route threw: better than a blank page. */
export function RouteErrorPage() {
  const error = useRouteError();
  const detail = isRouteErrorResponse(error)
    ? `${error.status} ${error.statusText}`
    : error instanceof Error
      ? error.message
      : "Unknown error";
  return (
    <main className="page-center">
      <div className="state state-error" role="alert">
        <h1>Something went wrong</h1>
        <p>{detail}</p>
        <p>
          <a href="/">Reload smsdesk</a>
        </p>
      </div>
    </main>
  );
}

export function NotFoundPage() {
  return (
    <div className="page">
      <h1>Page not found</h1>
      <p>
        There is nothing here. <Link to="/">Back to the queue</Link>
      </p>
    </div>
  );
}
