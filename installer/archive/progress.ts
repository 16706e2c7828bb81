// The archive exporter's progress bar is the shared one.
export { Progress } from "../progress.js";
