export { ComparePage } from "./components/ComparePage";
export { ReleasesPage } from "./components/ReleasesPage";
