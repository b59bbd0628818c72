import { useId, useState } from "react";
import { Navigate, useNavigate, useSearchParams } from "react-router";
import { Loading } from "../../../components/States";
import { errorMessage } from "../../../lib/api-client";
import { useSession, useSignIn } from "../api/session";

/** Where to go after signing in: the page that sent us here, if it is one of ours. */
export function safeNextPath(next: string | null): string {
  return next?.startsWith("/") && !next.startsWith("//") && !next.startsWith("/sign-in") ? next : "/";
}

export function SignInPage() {
  const session = useSession();
  const signIn = useSignIn();
  const navigate = useNavigate();
  const [params] = useSearchParams();
  const next = safeNextPath(params.get("next"));
  const [email, setEmail] = useState("");
  const [password, setPassword] = useState("");
  const errorId = useId();

  if (session.isPending) return <Loading label="Loading smsdesk…" fullPage />;
  if (session.data && !signIn.isSuccess) return <Navigate to={next} replace />;

  function submit() {
    signIn.mutate(
      { email: email.trim(), password },
      {
        onSuccess: () => {
          void navigate(next, { replace: true });
        },
      },
    );
  }

  return (
    <main className="sign-in" id="main">
      <form className="card sign-in-card" onSubmit={(event) => {
          event.preventDefault();
          submit();
        }} aria-describedby={signIn.isError ? errorId : undefined}>
        <div className="sign-in-brand">
          <span className="brand-mark" aria-hidden="true" />
          <span>smsdesk</span>
        </div>
        <h1>Sign in</h1>
        {signIn.isError ? (
          <p className="inline-error" role="alert" id={errorId}>
            {errorMessage(signIn.error)}
          </p>
        ) : null}
        <div className="field">
          <label htmlFor="sign-in-email">Email</label>
          <input
            id="sign-in-email"
            type="email"
            autoComplete="username"
            required
            value={email}
            onChange={(event) => {
              setEmail(event.target.value);
            }}
          />
        </div>
        <div className="field">
          <label htmlFor="sign-in-password">Password</label>
          <input
            id="sign-in-password"
            type="password"
            autoComplete="current-password"
            required
            value={password}
            onChange={(event) => {
              setPassword(event.target.value);
            }}
          />
        </div>
        <button type="submit" className="button button-primary button-block" disabled={signIn.isPending} aria-busy={signIn.isPending}>
          Sign in
        </button>
      </form>
    </main>
  );
}
