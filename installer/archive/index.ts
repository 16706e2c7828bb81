// The archive library: what `pgtide archive` and `pgtide restore` call.
export { archivePending, verifyObject, CHECKSUM_ALGORITHM, type ArchiveOptions, type ArchiveResult, type Manifest } from "./export.js";
export { restoreArchive, manifestUriFor, readManifestUri, type RestoreOptions, type RestoreResult } from "./restore.js";
export { openStore, archiveKeys, type S3Options, type ObjectStore } from "./store.js";
