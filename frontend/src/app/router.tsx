import { lazy, Suspense, type ReactNode } from "react";
import { createBrowserRouter, Navigate, useRouteError } from "react-router";
import { paths } from "@/config/paths";
import { ErrorMessage } from "@/components/ErrorMessage";
import { Loading } from "@/components/Spinner";
import { GalleryPage } from "@/features/gallery/components/GalleryPage";
import { ModelPage } from "@/features/models/components/ModelPage";
import { JobPage } from "@/features/predictions/components/JobPage";
import { ResultPair } from "@/features/predictions/components/compare/ResultPair";
import { HistoryPage } from "@/features/history/components/HistoryPage";
import { ContactPage } from "@/features/contact/components/ContactPage";
import { LoginPage, SignupPage } from "@/features/auth/components/AuthForms";
import { ForgotPasswordPage, ResetPasswordPage } from "@/features/auth/components/PasswordReset";
import { AccountPage } from "@/features/account/components/AccountPage";
import { AccountDeletedPage } from "@/features/account/components/AccountDeletedPage";
import { ConfirmEmailPage } from "@/features/account/components/ConfirmEmailPage";
import { RequireAdmin, RequireUser } from "@/features/auth/components/Guards";
import { Layout, NotFoundPage } from "./Layout";

// The administration (with the chart library) is a separate chunk.
const admin = () => import("@/features/admin");
const AdminLayout = lazy(() => admin().then((m) => ({ default: m.AdminLayout })));
const PredictionsTab = lazy(() => admin().then((m) => ({ default: m.PredictionsTab })));
const StatsTab = lazy(() => admin().then((m) => ({ default: m.StatsTab })));
const ModelsTab = lazy(() => admin().then((m) => ({ default: m.ModelsTab })));
const MessagesTab = lazy(() => admin().then((m) => ({ default: m.MessagesTab })));
const UsersTab = lazy(() => admin().then((m) => ({ default: m.UsersTab })));
const AuditTab = lazy(() => admin().then((m) => ({ default: m.AuditTab })));
const FeedbackTab = lazy(() => admin().then((m) => ({ default: m.FeedbackTab })));

// Releases and their comparisons, a chunk of their own; the comparison shows two results side by
// side with the predictions feature's viewers, composed here.
const releases = () => import("@/features/releases");
async function comparePage(of: "release" | "replay") {
  const { ComparePage } = await releases();
  return { Component: () => <ComparePage of={of} Pair={ResultPair} /> };
}

function Lazy({ children }: { children: ReactNode }) {
  return <Suspense fallback={<Loading />}>{children}</Suspense>;
}

function RouteError() {
  const error = useRouteError();
  return <ErrorMessage error={error} onRetry={() => window.location.reload()} retryLabel="Reload the page" />;
}

const relative = (path: string) => path.replace(/^\/admin\/?/, "");

export const routes = [
  {
    path: "/",
    element: <Layout />,
    errorElement: <RouteError />,
    children: [
      { index: true, element: <GalleryPage /> },
      { path: paths.model.path, element: <ModelPage /> },
      { path: paths.prediction.path, element: <JobPage /> },
      {
        path: paths.history.path,
        element: (
          <RequireUser>
            <HistoryPage />
          </RequireUser>
        ),
      },
      { path: paths.contact.path, element: <ContactPage /> },
      { path: paths.login.path, element: <LoginPage /> },
      { path: paths.signup.path, element: <SignupPage /> },
      { path: paths.forgotPassword.path, element: <ForgotPasswordPage /> },
      { path: paths.resetPassword.path, element: <ResetPasswordPage /> },
      {
        path: paths.account.path,
        element: (
          <RequireUser>
            <AccountPage />
          </RequireUser>
        ),
      },
      // where people look for it under other names
      { path: "/settings", element: <Navigate to={paths.account.href()} replace /> },
      { path: "/profile", element: <Navigate to={paths.account.href()} replace /> },
      { path: paths.accountDeleted.path, element: <AccountDeletedPage /> },
      { path: paths.confirmEmail.path, element: <ConfirmEmailPage /> },
      {
        path: paths.admin.root.path,
        element: (
          <RequireAdmin>
            <Lazy>
              <AdminLayout />
            </Lazy>
          </RequireAdmin>
        ),
        children: [
          { index: true, element: <Lazy><PredictionsTab /></Lazy> },
          { path: relative(paths.admin.stats.path), element: <Lazy><StatsTab /></Lazy> },
          { path: relative(paths.admin.models.path), element: <Lazy><ModelsTab /></Lazy> },
          { path: relative(paths.admin.catalog.path), HydrateFallback: Loading, lazy: async () => ({ Component: (await import("@/features/catalog")).CatalogPage }) },
          { path: relative(paths.admin.releases.path), HydrateFallback: Loading, lazy: async () => ({ Component: (await releases()).ReleasesPage }) },
          { path: relative(paths.admin.releaseComparison.path), HydrateFallback: Loading, lazy: async () => comparePage("release") },
          { path: relative(paths.admin.replayComparison.path), HydrateFallback: Loading, lazy: async () => comparePage("replay") },
          { path: relative(paths.admin.messages.path), element: <Lazy><MessagesTab /></Lazy> },
          { path: relative(paths.admin.users.path), element: <Lazy><UsersTab /></Lazy> },
          { path: relative(paths.admin.audit.path), element: <Lazy><AuditTab /></Lazy> },
          { path: relative(paths.admin.feedback.path), element: <Lazy><FeedbackTab /></Lazy> },
        ],
      },
      { path: "*", element: <NotFoundPage /> },
    ],
  },
];

export function createRouter() {
  return createBrowserRouter(routes);
}
