import { useMutation, useQueryClient } from "@tanstack/react-query";
import { api, unwrap, type Schemas } from "../../../lib/api-client";
import { ticketKeys } from "../../tickets/api/tickets";

/** A fake inbound text: `from` the pretend customer, `to` one of our numbers (default: the default sender). */
export type SimulatedText = Schemas["SimulatedText"];
export type SimulatedTextFiled = Schemas["SimulatedTextFiled"];

/** Files a fake inbound text as a gateway's webhook would (admins, while `sms_simulator_enabled` is on). */
export function useSimulateInboundText() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (text: SimulatedText) => unwrap(api.POST("/api/simulator/messages", { body: text })),
    onSuccess: () => queryClient.invalidateQueries({ queryKey: ticketKeys.all }),
  });
}
