import { useEffect, useRef, useState } from "react";
import { useSearchParams } from "react-router";
import { usePageTitle } from "@/components/PageTitle";
import { ErrorMessage } from "@/components/ErrorMessage";
import { Loading } from "@/components/Spinner";
import { useCatalog } from "../api";
import { familiesOf, groupsOf, isValidating, tasksOf } from "../describe";
import { GENERIC_FAMILIES, TASK_OF_FAMILY } from "../types";
import { ModelItem } from "./ModelItem";
import { NewModelForm } from "./NewModelForm";
import "../catalog.css";

/** Administrators add their own models, upload and check versions of their weights, and
 * choose which version serves predictions. */
export function CatalogPage() {
  usePageTitle("Manage models · Administration");
  const catalog = useCatalog();
  const [adding, setAdding] = useState(false);
  const [created, setCreated] = useState<string | null>(null);
  // ?model=NAME (a link from the audit log): that model's entry opened, and scrolled to
  const [search] = useSearchParams();
  const linked = search.get("model");
  const [open, setOpen] = useState<ReadonlySet<string>>(() => new Set(linked ? [linked] : []));
  const scrolled = useRef<string | null>(null);
  useEffect(() => {
    if (linked && scrolled.current !== linked && catalog.data?.some((model) => model.id === linked)) {
      scrolled.current = linked;
      document.getElementById(`model-${linked}`)?.scrollIntoView?.({ block: "start" });
    }
  }, [linked, catalog.data]);
  const models = catalog.data ?? [];
  const toggle = (id: string) =>
    setOpen((current) => {
      const next = new Set(current);
      if (next.has(id)) next.delete(id);
      else next.add(id);
      return next;
    });

  return (
    <section aria-labelledby="catalog-heading" className="catalog">
      <div className="catalog-head">
        <h2 id="catalog-heading">Manage models</h2>
        <button
          type="button"
          className="button primary"
          aria-expanded={adding}
          onClick={() => {
            setAdding(true);
            setCreated(null);
          }}
          disabled={adding}
        >
          Add a model
        </button>
      </div>
      <p className="hint">
        Add your own models, upload new versions of their weights and choose which version serves predictions. Each new version
        is loaded and tried by the server before it can go live.
      </p>
      {adding && catalog.data && (
        <NewModelForm
          families={familiesOf(models, GENERIC_FAMILIES)}
          groups={groupsOf(models)}
          tasks={tasksOf(models, Object.values(TASK_OF_FAMILY))}
          onCreated={(model) => {
            setAdding(false);
            setCreated(model.title);
            setOpen((current) => new Set(current).add(model.id));
          }}
          onCancel={() => setAdding(false)}
        />
      )}
      {created && (
        <p role="status" className="alert alert-success">
          {created} was added. Open it below and add its first version.
        </p>
      )}
      {catalog.isPending && <Loading />}
      {catalog.isError && <ErrorMessage error={catalog.error} onRetry={() => catalog.refetch()} />}
      {catalog.data && isValidating(catalog.data) && (
        <p className="muted small" role="status">
          Versions are being checked; this list updates by itself.
        </p>
      )}
      {catalog.data &&
        (models.length === 0 ? (
          <p className="muted">No model yet.</p>
        ) : (
          <ul className="catalog-models" aria-label="Models">
            {models.map((model) => (
              <ModelItem key={model.id} model={model} expanded={open.has(model.id)} onToggle={() => toggle(model.id)} />
            ))}
          </ul>
        ))}
    </section>
  );
}
