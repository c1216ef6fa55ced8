// The actions cell of a table row (a prediction, a file, a model): links and buttons, each
// named for screen readers with the row's subject ("Delete bus.jpg"), dangerous ones
// confirmed first.
import { Link } from "react-router";

interface Common {
  label: string;
  /** what the action is about, read after the label; the row's subject when not given */
  subject?: string;
}

export type RowAction =
  | (Common & { kind: "route"; to: string })
  | (Common & {
      kind: "link";
      href: string;
      download?: boolean;
      newTab?: boolean;
      /** a text link (default) or a small button: the row's main action */
      look?: "link" | "button";
    })
  | (Common & {
      kind: "button";
      onClick: () => void;
      disabled?: boolean;
      /** asked with window.confirm first; nothing happens unless the person agrees */
      confirm?: string;
      danger?: boolean;
      /** a text link (default) or a small secondary button */
      look?: "link" | "button";
    });

export function RowActions({ subject, actions }: { subject: string; actions: (RowAction | null | false | undefined)[] }) {
  return (
    <td className="actions">
      {actions.filter((action): action is RowAction => Boolean(action)).map((action) => (
        <ActionItem key={`${action.kind}:${action.label}`} action={action} subject={action.subject ?? subject} />
      ))}
    </td>
  );
}

function ActionItem({ action, subject }: { action: RowAction; subject: string }) {
  const name = (
    <>
      {action.label}
      <span className="visually-hidden"> {subject}</span>
    </>
  );
  switch (action.kind) {
    case "route":
      return <Link to={action.to}>{name}</Link>;
    case "link": {
      const className = action.look === "button" ? "button small" : undefined;
      return action.newTab ? (
        <a className={className} href={action.href} target="_blank" rel="noopener" download={action.download || undefined}>
          {name}
        </a>
      ) : (
        <a className={className} href={action.href} download={action.download || undefined}>
          {name}
        </a>
      );
    }
    case "button": {
      const look = action.look === "button" ? "button small secondary" : "link-button";
      return (
        <button
          type="button"
          className={action.danger ? `${look} danger-text` : look}
          disabled={action.disabled}
          onClick={() => {
            if (action.confirm && !window.confirm(action.confirm)) return;
            action.onClick();
          }}
        >
          {name}
        </button>
      );
    }
  }
}
