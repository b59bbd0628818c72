// Our numbers (GET /api/numbers): what agents may text from, and what the simulator may text to. Shared by the
// conversations and simulator features, so that neither imports the other.
import { queryOptions, useQuery } from "@tanstack/react-query";
import { ApiError, api, unwrap, type Schemas } from "../../../lib/api-client";

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

/**
 * The number a picker starts on: the default sender, else the only number when there is one, else none (`""`: the
 * picker asks for a choice).
 */
export function defaultNumber(numbers: readonly NumberOfOurs[]): string {
  const chosen = numbers.find((number) => number.default) ?? (numbers.length === 1 ? numbers[0] : undefined);
  return chosen?.number ?? "";
}

/**
 * What to tell an agent when the server refused the number of ours: its own message is written for API clients
 * (it names endpoints and settings), so the dashboard says it in its own words. Other errors keep their message.
 */
export function senderErrorMessage(error: unknown, fallback: string, chosen?: string): string {
  if (error instanceof ApiError) {
    if (error.code === "unknown_sender_number") {
      const which = chosen ? `${chosen} is` : "That number is";
      return `${which} not one of our numbers any more. Choose another one, or ask an admin to add it in Settings.`;
    }
    if (error.code === "no_sender_number") return "Choose which of our numbers to use.";
  }
  return fallback;
}

/** `value` if it is still one of `numbers`, else `""` (an admin removed it since it was chosen). */
export function stillOurs(numbers: readonly NumberOfOurs[], value: string): string {
  return numbers.some((number) => number.number === value) ? value : "";
}
