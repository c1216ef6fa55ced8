// Accounts: the session lives in the HttpOnly cookie; /api/auth/me says who is logged in.
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { api, unwrap } from "./client";
import { ApiError } from "./errors";
import { queryKeys } from "./keys";
import type { User } from "./types";

export async function getMe(): Promise<User | null> {
  try {
    return await unwrap(api.GET("/api/auth/me"));
  } catch (error) {
    if (error instanceof ApiError && error.status === 401) return null;
    throw error;
  }
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

export function useLogout() {
  const client = useQueryClient();
  return useMutation({
    mutationFn: () => unwrap(api.POST("/api/auth/logout")),
    onSettled: () => {
      client.setQueryData(queryKeys.me, null);
      client.removeQueries({ queryKey: queryKeys.myPredictions });
      client.removeQueries({ queryKey: queryKeys.admin });
    },
  });
}
