import { useState } from "react";
import { useAdminMessages, useRetryMessage } from "../api";
import { ErrorMessage } from "@/components/ErrorMessage";
import { Pagination } from "@/components/Pagination";
import { Loading } from "@/components/Spinner";
import { usePageTitle } from "@/components/PageTitle";
import { countOf, formatDateTime } from "@/lib/format";
import "@/components/StatusBadge.css";
import "../admin.css";

const LIMIT = 25;
const DELIVERY: Record<string, string> = {
  pending: "pending",
  retrying: "retrying",
  sent: "sent",
  not_configured: "not sent (no mail server configured)",
};

export function MessagesTab() {
  usePageTitle("Messages · Administration");
  const [offset, setOffset] = useState(0);
  const messages = useAdminMessages(offset, LIMIT);
  const retry = useRetryMessage();
  return (
    <section aria-labelledby="messages-heading">
      <h2 id="messages-heading">Contact messages</h2>
      {retry.isError && <ErrorMessage error={retry.error} />}
      {retry.isSuccess && (
        <p role="status" className="alert alert-success">
          A new delivery attempt was scheduled.
        </p>
      )}
      {messages.isPending && <Loading />}
      {messages.isError && <ErrorMessage error={messages.error} onRetry={() => messages.refetch()} />}
      {messages.data && messages.data.count === 0 && <p>No messages yet.</p>}
      {messages.data && messages.data.data.length > 0 && (
        <>
          <ul className="message-list">
            {messages.data.data.map((message) => (
              <li key={message.id} className="panel">
                <div className="section-head">
                  <h3 className="break">{message.subject}</h3>
                  <span className={`badge badge-delivery-${message.delivery}`}>{DELIVERY[message.delivery] ?? message.delivery}</span>
                </div>
                <p className="small muted">
                  From {message.name} &lt;<a href={`mailto:${message.email}`}>{message.email}</a>&gt; · {formatDateTime(message.created_at)} · {countOf(message.attempts, "attempt")}
                  {message.sent_at ? ` · sent ${formatDateTime(message.sent_at)}` : ""}
                  {message.next_attempt_at ? ` · next attempt ${formatDateTime(message.next_attempt_at)}` : ""}
                </p>
                {message.last_error && <p className="small text-error">Last error: {message.last_error}</p>}
                <details>
                  <summary>Message</summary>
                  <p className="pre-wrap">{message.message}</p>
                </details>
                {message.delivery !== "sent" && (
                  <button type="button" className="button small secondary" disabled={retry.isPending} onClick={() => message.id && retry.mutate(message.id)}>
                    Retry delivery<span className="visually-hidden"> of “{message.subject}”</span>
                  </button>
                )}
              </li>
            ))}
          </ul>
          <Pagination offset={offset} limit={LIMIT} count={messages.data.count} onChange={setOffset} />
        </>
      )}
    </section>
  );
}
