import { NavLink, Outlet } from "react-router";
import { paths } from "@/config/paths";
import { usePageTitle } from "@/components/PageTitle";
import "../admin.css";

const TABS = [
  { to: paths.admin.predictions.href(), label: "Predictions", end: true },
  { to: paths.admin.stats.href(), label: "Statistics" },
  { to: paths.admin.models.href(), label: "Models" },
  { to: paths.admin.catalog.href(), label: "Manage models" },
  { to: paths.admin.messages.href(), label: "Messages" },
  { to: paths.admin.users.href(), label: "Users" },
  { to: paths.admin.feedback.href(), label: "Feedback" },
  { to: paths.admin.audit.href(), label: "Audit log" },
];

export function AdminLayout() {
  usePageTitle("Administration");
  return (
    <>
      <h1>Administration</h1>
      <nav className="tabs" aria-label="Administration">
        {TABS.map((tab) => (
          <NavLink key={tab.to} to={tab.to} end={tab.end} className={({ isActive }) => `tab${isActive ? " active" : ""}`}>
            {tab.label}
          </NavLink>
        ))}
      </nav>
      <div className="tab-panel">
        <Outlet />
      </div>
    </>
  );
}
