// Our numbers (GET /api/numbers): what agents may text from, and what the simulator may text to. Shared by the
// conversations and simulator features, so that neither imports the other.
import { queryOptions, useQuery } from "@tanstack/react-query";
import { api, unwrap, type Schemas } from "../../../lib/api-client";

export type NumberOfOurs = Schemas["NumberOfOurs"];

export const numbersQuery = queryOptions({
  queryKey: ["numbers"] as const,
  queryFn: ({ signal }) => unwrap(api.GET("/api/numbers", { signal })),
  staleTime: 30_000,
});

/** Our numbers, the default sender first (any signed-in user). */
export function useNumbersOfOurs() {
  return useQuery(numbersQuery);
}

/** The number a picker starts on: the default sender, or none (`""`) when no number is the default. */
export function defaultNumber(numbers: readonly NumberOfOurs[]): string {
  return numbers.find((number) => number.default)?.number ?? "";
}

/** `value` if it is still one of `numbers`, else `""` (an admin removed it since it was chosen). */
export function stillOurs(numbers: readonly NumberOfOurs[], value: string): string {
  return numbers.some((number) => number.number === value) ? value : "";
}
