// POST /api/contact
import { useMutation } from "@tanstack/react-query";
import { api, unwrap } from "@/lib/api-client";
import type { ContactIn, ContactOut } from "./types";

export function useSendContact() {
  return useMutation({
    mutationFn: (body: ContactIn): Promise<ContactOut> => unwrap(api.POST("/api/contact", { body })),
  });
}
