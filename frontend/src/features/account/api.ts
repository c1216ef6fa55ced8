// The signed-in user's own account: /api/account (sessions, password, e-mail, deletion).
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { api, unwrap } from "@/api/client";
import { forgetSignedIn } from "@/api/auth";
import { queryKeys } from "@/api/keys";

const accountKeys = { sessions: [...queryKeys.account, "sessions"] as const };

export function useSessions() {
  return useQuery({ queryKey: accountKeys.sessions, queryFn: () => unwrap(api.GET("/api/account/sessions")) });
}

export function useEndSession() {
  const client = useQueryClient();
  return useMutation({
    mutationFn: (id: string) => unwrap(api.DELETE("/api/account/sessions/{session_id}", { params: { path: { session_id: id } } })),
    onSettled: () => client.invalidateQueries({ queryKey: accountKeys.sessions }),
  });
}

export function useSignOutOthers() {
  const client = useQueryClient();
  return useMutation({
    mutationFn: () => unwrap(api.POST("/api/account/sign-out-others")),
    onSettled: () => client.invalidateQueries({ queryKey: accountKeys.sessions }),
  });
}

export interface PasswordChange {
  current_password: string;
  new_password: string;
}

export function useChangePassword() {
  const client = useQueryClient();
  return useMutation({
    mutationFn: (body: PasswordChange) => unwrap(api.POST("/api/account/password", { body })),
    onSuccess: () => client.invalidateQueries({ queryKey: accountKeys.sessions }),
  });
}

export function useChangeEmail() {
  return useMutation({
    mutationFn: (body: { new_email: string; current_password: string }) => unwrap(api.POST("/api/account/email", { body })),
  });
}

/** Opening the link mailed to a new address: needs no session (the link is the proof). */
export function useConfirmEmail() {
  const client = useQueryClient();
  return useMutation({
    mutationFn: (token: string) => unwrap(api.POST("/api/account/email/confirm", { body: { token } })),
    onSuccess: () => client.invalidateQueries({ queryKey: queryKeys.me }),
  });
}

export function useDeleteAccount() {
  const client = useQueryClient();
  return useMutation({
    mutationFn: (current_password: string) => unwrap(api.DELETE("/api/account", { body: { current_password } })),
    onSuccess: () => forgetSignedIn(client),
  });
}
