import { useRef, useState, type FormEvent } from "react";
import type { UploadProgress } from "@/api/upload";
import { ErrorMessage } from "@/components/ErrorMessage";
import { FileUpload } from "@/components/FileUpload";
import { UploadStatus } from "@/components/UploadStatus";
import { useAddVersion } from "../api";
import { RUNTIMES, type ManagedModel, type ModelVersion, type RuntimeName } from "../types";
import { buildVersionForm, EMPTY_VERSION, validateNewVersion, withServerError } from "../versionForm";
import { FormButtons, ProblemSummary, SelectField, TextField } from "./Field";
import { useCatalogForm } from "./useCatalogForm";
import { ExtraFields, OptionFields } from "./VersionFields";

interface Props {
  model: ManagedModel;
  onAdded: (version: ModelVersion) => void;
  onCancel: () => void;
}

const WEIGHTS_HINT =
  "ONNX, TensorFlow Lite, Keras, TorchScript or PyTorch weights; for OpenVINO choose both the .xml and the .bin file. A labels file may go with them.";

/** POST /api/admin/catalog/{name}/versions, with upload progress; the version is then checked. */
export function VersionForm({ model, onAdded, onCancel }: Props) {
  const add = useAddVersion();
  const form = useCatalogForm(EMPTY_VERSION, validateNewVersion, () => {
    if (add.isError) add.reset();
  });
  const { prefix, values, change } = form;
  // a refusal of the server that is about one field is shown there too
  const errors = withServerError(form.errors, add.error);
  const [progress, setProgress] = useState<UploadProgress | null>(null);
  const abort = useRef<AbortController | null>(null);
  const busy = add.isPending;
  const aborted = add.error instanceof DOMException && add.error.name === "AbortError";

  const onSubmit = (event: FormEvent) =>
    form.submit(event, async () => {
      abort.current = new AbortController();
      setProgress(null);
      onAdded(await add.mutateAsync({ model: model.id, form: buildVersionForm(values), onProgress: setProgress, signal: abort.current.signal }));
    });

  return (
    <form className="panel catalog-form" onSubmit={onSubmit} noValidate aria-labelledby={`${prefix}-heading`}>
      <h4 id={`${prefix}-heading`}>Add a version of {model.title}</h4>
      <p className="hint">
        The files are uploaded, then the server loads the model, warms it up and tries the example. This takes seconds to a
        minute; the version can go live once it is ready.
      </p>
      <ProblemSummary {...form.problemSummary} />
      <fieldset disabled={busy} className="catalog-fieldset">
        <fieldset aria-describedby={errors.weights ? `${prefix}-weights-error` : undefined}>
          <legend>Weights</legend>
          <FileUpload
            files={values.weights}
            onChange={(weights) => change({ weights })}
            accept=""
            multiple
            hint={WEIGHTS_HINT}
            describedBy={errors.weights ? `${prefix}-weights-error` : undefined}
          />
          {errors.weights && (
            <p id={`${prefix}-weights-error`} className="field-error">
              {errors.weights}
            </p>
          )}
          <TextField
            id={`${prefix}-existing`}
            label="Or files already in the models folder"
            value={values.existing}
            onChange={(existing) => change({ existing })}
            error={errors.existing}
            hint="Their names, separated by commas, e.g. resnet50.onnx."
            autoComplete="off"
          />
        </fieldset>
        <fieldset>
          <legend>Example input (optional)</legend>
          <FileUpload
            files={values.example ? [values.example] : []}
            onChange={(files) => change({ example: files[0] ?? null })}
            accept=""
            multiple={false}
            hint="An input the check tries, e.g. a photo: what the model finds on it is shown with the version."
            describedBy={errors.example ? `${prefix}-example-error` : undefined}
          />
          {errors.example && (
            <p id={`${prefix}-example-error`} className="field-error">
              {errors.example}
            </p>
          )}
        </fieldset>
        <SelectField
          id={`${prefix}-runtime`}
          label="Runtime"
          value={values.runtime}
          onChange={(runtime) => change({ runtime: runtime as "" | RuntimeName })}
          options={[{ value: "", label: "Automatic (the fastest)" }, ...RUNTIMES.map((name) => ({ value: name, label: name }))]}
          error={errors.runtime}
          hint="Automatic tries every runtime the server has on these weights and keeps the fastest."
          className="catalog-narrow"
        />
        <OptionFields prefix={prefix} family={model.family} values={values} errors={errors} onChange={change} />
        <ExtraFields prefix={prefix} values={values} errors={errors} onChange={change} />
      </fieldset>
      {busy && <UploadStatus progress={progress} onCancel={() => abort.current?.abort()} />}
      {add.isError && !aborted && <ErrorMessage error={add.error} />}
      {aborted && <p role="status">The upload was cancelled.</p>}
      <FormButtons busy={busy} label="Upload and check" busyLabel="Uploading…" onCancel={onCancel} />
    </form>
  );
}
