import { useMe } from "@/api/auth";
import { usePageTitle } from "@/components/PageTitle";
import { DeleteSection } from "./DeleteSection";
import { EmailSection } from "./EmailSection";
import { PasswordSection } from "./PasswordSection";
import { SessionsSection } from "./SessionsSection";
import "../account.css";

/** The signed-in person's account (behind RequireUser): password, address, sessions, deletion. */
export function AccountPage() {
  usePageTitle("Your account");
  const user = useMe().data;
  if (!user) return null;
  return (
    <div className="account-page">
      <h1>Your account</h1>
      <p className="lead">
        {user.name ? `${user.name}, ` : ""}
        <span className="break">{user.email}</span>
        {user.role === "admin" ? " (administrator)" : ""}
      </p>
      <PasswordSection />
      <EmailSection user={user} />
      <SessionsSection />
      <DeleteSection email={user.email} />
    </div>
  );
}
