export { AdminLayout } from "./components/AdminLayout";
export { PredictionsTab } from "./components/PredictionsTab";
export { StatsTab } from "./components/StatsTab";
export { ModelsTab } from "./components/ModelsTab";
export { MessagesTab } from "./components/MessagesTab";
export { UsersTab } from "./components/UsersTab";
export { AuditTab } from "./components/AuditTab";
export { FeedbackTab } from "./components/FeedbackTab";
