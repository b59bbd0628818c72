import { queryOptions, useQuery } from "@tanstack/react-query";
import { api, unwrap, type Schemas } from "../../../lib/api-client";

export type TeamMember = Schemas["TeamMember"];

export const teamQuery = queryOptions({
  queryKey: ["team"] as const,
  queryFn: ({ signal }) => unwrap(api.GET("/api/team", { signal })),
  staleTime: 5 * 60_000,
});

/** Everyone on the team, for names and assignment. */
export function useTeam() {
  return useQuery(teamQuery);
}

/** Looks up a team member's name by id (`undefined` while the team loads or for an unknown id). */
export function useTeamNames(): (id: number | null) => string | undefined {
  const { data } = useTeam();
  return (id) => (id === null ? undefined : data?.find((member) => member.id === id)?.name);
}
