// Accounts: the session lives in the HttpOnly cookie; /api/auth/session says who is logged in
// (null for a visitor: never a 401, which the browser would log as an error on every page).
import { useMutation, useQuery, useQueryClient, type QueryClient } from "@tanstack/react-query";
import { api, unwrap } from "./client";
import { queryKeys } from "./keys";
import type { User } from "./types";

export async function getMe(): Promise<User | null> {
  return (await unwrap(api.GET("/api/auth/session"))).user ?? null;
}

export function useMe() {
  return useQuery({ queryKey: queryKeys.me, queryFn: getMe, staleTime: 60_000, retry: false });
}

export interface LoginInput {
  email: string;
  password: string;
}
export interface SignupInput extends LoginInput {
  name: string;
}

export function useLogin() {
  const client = useQueryClient();
  return useMutation({
    mutationFn: (body: LoginInput) => unwrap(api.POST("/api/auth/login", { body })),
    onSuccess: (token) => {
      client.setQueryData(queryKeys.me, token.user);
      client.invalidateQueries({ queryKey: ["predictions"] });
    },
  });
}

export function useSignup() {
  const client = useQueryClient();
  return useMutation({
    mutationFn: (body: SignupInput) => unwrap(api.POST("/api/auth/signup", { body })),
    onSuccess: (token) => client.setQueryData(queryKeys.me, token.user),
  });
}

/** Forget who was signed in, and what only they may see (log-out, a deleted account, a
 * password reset that ended every session). */
export function forgetSignedIn(client: QueryClient) {
  client.setQueryData(queryKeys.me, null);
  client.removeQueries({ queryKey: queryKeys.myPredictions });
  client.removeQueries({ queryKey: queryKeys.admin });
  client.removeQueries({ queryKey: queryKeys.account });
}

export function useLogout() {
  const client = useQueryClient();
  return useMutation({
    mutationFn: () => unwrap(api.POST("/api/auth/logout")),
    onSettled: () => forgetSignedIn(client),
  });
}
