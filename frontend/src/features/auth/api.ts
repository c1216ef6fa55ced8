// Setting a new password without being logged in: ask for a link, then use it.
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { api, unwrap } from "@/api/client";
import { forgetSignedIn } from "@/api/auth";

export function useRequestReset() {
  return useMutation({
    mutationFn: (email: string) => unwrap(api.POST("/api/auth/password-reset", { body: { email } })),
  });
}

/** Every session of the account ends, this browser's too if it had one. */
export function useConfirmReset() {
  const client = useQueryClient();
  return useMutation({
    mutationFn: (body: { token: string; new_password: string }) => unwrap(api.POST("/api/auth/password-reset/confirm", { body })),
    onSuccess: () => forgetSignedIn(client),
  });
}
