import { keepPreviousData, useQuery } from "@tanstack/react-query";
import { api, unwrap, type Schemas } from "../../../lib/api-client";
import { useDebounced } from "../../../lib/hooks";

export type SegmentCount = Schemas["SegmentCount"];

/** How long typing must pause before the draft is measured again. */
export const SEGMENT_DEBOUNCE_MS = 150;

/**
 * The server's count of SMS segments and encoding for `body`, asked for once typing pauses (the previous answer
 * stays shown meanwhile). Nothing is asked for an empty draft or while `enabled` is false.
 */
export function useSegmentCount(body: string, enabled = true) {
  const debounced = useDebounced(body, SEGMENT_DEBOUNCE_MS);
  const active = enabled && debounced.length > 0;
  const query = useQuery({
    queryKey: ["sms-segments", debounced] as const,
    queryFn: ({ signal }) => unwrap(api.POST("/api/sms/segments", { body: { body: debounced }, signal })),
    enabled: active,
    placeholderData: keepPreviousData,
    staleTime: Infinity,
    gcTime: 60_000,
  });
  return {
    count: active && body.length > 0 ? query.data : undefined,
    /** The count shown is for an older draft (typing, or the request is out). */
    pending: body !== debounced || query.isFetching,
    error: query.error,
  };
}
