// POST /api/contact
import { useMutation } from "@tanstack/react-query";
import { api, unwrap } from "@/api/client";
import type { ContactIn, ContactOut } from "@/api/types";

export function useSendContact() {
  return useMutation({
    mutationFn: (body: ContactIn): Promise<ContactOut> => unwrap(api.POST("/api/contact", { body })),
  });
}
