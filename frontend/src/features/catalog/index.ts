export { CatalogPage } from "./components/CatalogPage";
