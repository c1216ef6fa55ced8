import { useEffect, useRef, useState } from "react";
import { Link, NavLink, Outlet, useLocation, useNavigate } from "react-router";
import { useQueryClient } from "@tanstack/react-query";
import { useLogout, useMe } from "@/api/auth";
import { queryKeys } from "@/api/keys";
import { paths } from "@/config/paths";
import { onUnauthorized } from "@/api/client";
import { ThemeToggle } from "@/components/ThemeToggle";
import "./Layout.css";

export function Layout() {
  const me = useMe();
  const logout = useLogout();
  const navigate = useNavigate();
  const location = useLocation();
  const client = useQueryClient();
  const main = useRef<HTMLElement>(null);
  const [menuOpen, setMenuOpen] = useState(false);
  const [shownPath, setShownPath] = useState(location.pathname);
  const first = useRef(true);
  if (shownPath !== location.pathname) {
    setShownPath(location.pathname);
    setMenuOpen(false);
  }

  // the session ended elsewhere (expired, logged out in another tab): ask again who we are
  useEffect(() => onUnauthorized(() => client.invalidateQueries({ queryKey: queryKeys.me })), [client]);

  // after a navigation, focus the page (screen readers then read the new title)
  useEffect(() => {
    if (first.current) {
      first.current = false;
      return;
    }
    main.current?.focus({ preventScroll: false });
  }, [location.pathname]);

  const user = me.data;
  const link = ({ isActive }: { isActive: boolean }) => `nav-link${isActive ? " active" : ""}`;

  return (
    <div className="app">
      <a className="skip-link" href="#main">
        Skip to content
      </a>
      <header className="site-header">
        <div className="header-inner">
          <Link to={paths.gallery.href()} className="brand">
            <img src="/favicon.svg" alt="" width={28} height={28} />
            <span>Model Gallery</span>
          </Link>
          <ThemeToggle />
          <button
            type="button"
            className="menu-button"
            aria-expanded={menuOpen}
            aria-controls="site-nav"
            onClick={() => setMenuOpen(!menuOpen)}
          >
            Menu
          </button>
          <nav id="site-nav" className={`site-nav${menuOpen ? " open" : ""}`} aria-label="Main">
            <ul>
              <li>
                <NavLink to={paths.gallery.href()} end className={link}>
                  Models
                </NavLink>
              </li>
              {user && (
                <li>
                  <NavLink to={paths.history.href()} className={link}>
                    My predictions
                  </NavLink>
                </li>
              )}
              <li>
                <NavLink to={paths.contact.href()} className={link}>
                  Contact
                </NavLink>
              </li>
              {user?.role === "admin" && (
                <li>
                  <NavLink to={paths.admin.root.href()} className={link}>
                    Admin
                  </NavLink>
                </li>
              )}
              {user ? (
                <li className="nav-user">
                  <span className="muted small" title={user.email}>
                    {user.name || user.email}
                  </span>
                  <NavLink to={paths.account.href()} className={link}>
                    Account
                  </NavLink>
                  <button
                    type="button"
                    className="link-button nav-link"
                    onClick={() => logout.mutate(undefined, { onSettled: () => navigate(paths.gallery.href()) })}
                  >
                    Log out
                  </button>
                </li>
              ) : (
                <>
                  <li>
                    <NavLink to={paths.login.href()} className={link}>
                      Log in
                    </NavLink>
                  </li>
                  <li>
                    <NavLink to={paths.signup.href()} className={link}>
                      Sign up
                    </NavLink>
                  </li>
                </>
              )}
            </ul>
          </nav>
        </div>
      </header>
      <main id="main" ref={main} tabIndex={-1} className="site-main">
        <Outlet />
      </main>
      <footer className="site-footer">
        <p>
          Model Gallery · <Link to={paths.contact.href()}>Contact</Link> · <a href="/docs">API documentation</a>
        </p>
      </footer>
    </div>
  );
}

export function NotFoundPage() {
  return (
    <div className="narrow">
      <h1>Page not found</h1>
      <p>There is nothing at this address.</p>
      <p>
        <Link to={paths.gallery.href()}>Go to the models</Link>
      </p>
    </div>
  );
}
