import { Suspense, type ComponentType, type LazyExoticComponent } from "react";
import { Loading } from "../components/States";

/** A route's page that is loaded on first visit. */
export function LazyPage({ page: Page }: { page: LazyExoticComponent<ComponentType> }) {
  return (
    <Suspense fallback={<Loading label="Loading page…" />}>
      <Page />
    </Suspense>
  );
}
