import { useModels } from "@/api/models";
import { ErrorMessage } from "@/components/ErrorMessage";
import { Loading } from "@/components/Spinner";
import { usePageTitle } from "@/components/PageTitle";
import { ModelCardView } from "./ModelCardView";

export function GalleryPage() {
  usePageTitle("Models");
  const models = useModels();
  return (
    <>
      <div className="page-intro">
        <h1>Model gallery</h1>
        <p className="lead">
          Pick a model, upload a file, and see what it finds. Results can be viewed in the browser and downloaded.
        </p>
      </div>
      {models.isPending && <Loading label="Loading the models…" />}
      {models.isError && <ErrorMessage error={models.error} onRetry={() => models.refetch()} />}
      {models.data && models.data.length === 0 && <p>No model is enabled on this server yet.</p>}
      {models.data && models.data.length > 0 && (
        <ul className="gallery-grid" aria-label="Models">
          {models.data.map((model) => (
            <ModelCardView key={model.name} model={model} />
          ))}
        </ul>
      )}
    </>
  );
}
