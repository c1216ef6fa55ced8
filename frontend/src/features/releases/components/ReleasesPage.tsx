import { Link, useParams } from "react-router";
import { usePageTitle } from "@/components/PageTitle";
import { ErrorMessage } from "@/components/ErrorMessage";
import { Loading } from "@/components/Spinner";
import { paths } from "@/config/paths";
import { useManagedModel, useReleases, useReplays } from "../api";
import { ActiveRelease } from "./ActiveRelease";
import { useNotice } from "./Notice";
import { ReleaseHistory } from "./ReleaseHistory";
import { ReplayForm } from "./ReplayForm";
import { ReplayList } from "./ReplayList";
import { StartReleaseForm } from "./StartReleaseForm";
import { VersionsPanel } from "./VersionsPanel";
import "../releases.css";

/** A model's releases: its versions, the active release (or the form that starts one), its
 * replays and the release history. */
export function ReleasesPage() {
  const { name = "" } = useParams();
  const model = useManagedModel(name);
  const releases = useReleases(name);
  const replays = useReplays(name);
  const notice = useNotice();
  const title = model.data?.title ?? name;
  usePageTitle(`Releases of ${title} · Administration`);

  if (model.isPending) return <Loading label="Loading the model…" />;
  if (model.isError) return <ErrorMessage error={model.error} onRetry={() => model.refetch()} />;
  const active = releases.data?.find((release) => release.state === "active");

  return (
    <section aria-labelledby="releases-heading" className="releases">
      <nav aria-label="Breadcrumb" className="breadcrumb">
        <Link to={paths.admin.catalog.href(model.data.id)}>Manage models</Link> <span aria-hidden="true">›</span>{" "}
        <span aria-current="page">Releases of {title}</span>
      </nav>
      <h2 id="releases-heading">Releases of {title}</h2>
      <p className="hint">
        Try a new version before everyone gets it: replay past predictions on it, run it on a share of live predictions (canary) or
        on copies of them (shadow), compare it with the live version, then promote it or roll it back.
      </p>
      {notice.element}
      <VersionsPanel model={model.data} />
      {releases.isPending && <Loading label="Loading the releases…" />}
      {releases.isError && <ErrorMessage error={releases.error} onRetry={() => releases.refetch()} />}
      {releases.data &&
        (active ? (
          <ActiveRelease key={active.id} model={model.data} release={active} onDone={notice.say} />
        ) : (
          <StartReleaseForm
            model={model.data}
            onStarted={(release) =>
              notice.say(`The release of version ${release.candidate_number} started beside version ${release.baseline_number}.`)
            }
          />
        ))}
      <ReplayForm
        model={model.data}
        onStarted={(replay) =>
          notice.say(`The replay started: ${replay.chosen} predictions run again on version ${replay.version_number}.`)
        }
      />
      {replays.isError && <ErrorMessage error={replays.error} onRetry={() => replays.refetch()} />}
      {replays.data && <ReplayList model={model.data} replays={replays.data} />}
      {releases.data && <ReleaseHistory model={model.data.id} releases={releases.data} />}
    </section>
  );
}
