// Follows a job: the snapshot from the query, then the server-sent events until it ends.
// When the stream cannot be opened (an old proxy, a network that cuts it), it polls instead.
import { useEffect, useReducer } from "react";
import { useQueryClient } from "@tanstack/react-query";
import { eventsUrl, getPrediction } from "../api";
import { queryKeys } from "@/api/keys";
import { isTerminal, type Job } from "@/api/types";
import { initialJobEvents, jobEventsReducer } from "./jobEvents";

const POLL_MS = 2_000;

export function useJobEvents(id: string, snapshot: Job | undefined) {
  const [state, dispatch] = useReducer(jobEventsReducer, initialJobEvents);
  const client = useQueryClient();

  useEffect(() => {
    if (snapshot) dispatch({ type: "snapshot", job: snapshot });
  }, [snapshot]);

  const ended = snapshot ? isTerminal(snapshot.status) : false;
  const failed = state.connection === "failed";

  useEffect(() => {
    if (!snapshot || ended || typeof EventSource === "undefined") return;
    dispatch({ type: "connect" });
    const source = new EventSource(eventsUrl(id));
    source.addEventListener("open", () => dispatch({ type: "open" }));
    source.addEventListener("job", (event) => {
      let job: Job;
      try {
        job = JSON.parse((event as MessageEvent<string>).data) as Job;
      } catch {
        dispatch({ type: "parse-error" });
        return;
      }
      dispatch({ type: "event", job });
      if (isTerminal(job.status)) {
        source.close();
        client.setQueryData(queryKeys.prediction(id), job);
        client.invalidateQueries({ queryKey: ["predictions", "mine"] });
      }
    });
    source.addEventListener("error", () => {
      // CONNECTING: the browser retries by itself; CLOSED: it gave up (e.g. a 404)
      dispatch({ type: "error", closed: source.readyState === EventSource.CLOSED });
    });
    return () => source.close();
    // the snapshot's identity changes on every refetch; only its arrival matters here
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [id, Boolean(snapshot), ended, client]);

  // fallback: poll while the stream is down for good
  useEffect(() => {
    if (!failed) return;
    let stopped = false;
    const timer = window.setInterval(async () => {
      try {
        const job = await getPrediction(id);
        if (stopped) return;
        dispatch({ type: "snapshot", job });
        if (isTerminal(job.status)) {
          client.setQueryData(queryKeys.prediction(id), job);
          window.clearInterval(timer);
        }
      } catch {
        /* try again on the next tick */
      }
    }, POLL_MS);
    return () => {
      stopped = true;
      window.clearInterval(timer);
    };
  }, [failed, id, client]);

  return state;
}
