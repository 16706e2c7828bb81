// The testcontainers backend: PostgreSQL 15 with pg_cron and pgTAP added from Debian's
// packages, used only when a Docker engine answers (never on the project's own machines).
import { GenericContainer, Wait } from "testcontainers";

const DOCKERFILE = `FROM postgres:15
RUN apt-get update && apt-get install -y --no-install-recommends postgresql-15-cron postgresql-15-pgtap && rm -rf /var/lib/apt/lists/*
`;

export async function startContainer(): Promise<{ url: string; stop: () => Promise<void> }> {
  const { mkdtempSync, writeFileSync } = await import("node:fs");
  const { tmpdir } = await import("node:os");
  const { join } = await import("node:path");
  const ctx = mkdtempSync(join(tmpdir(), "pgtide-image-"));
  writeFileSync(join(ctx, "Dockerfile"), DOCKERFILE);
  const image = await GenericContainer.fromDockerfile(ctx).build("pgtide-test-postgres:15", { deleteOnExit: false });
  const container = await image
    .withEnvironment({ POSTGRES_PASSWORD: "pgtide", POSTGRES_HOST_AUTH_METHOD: "trust" })
    .withCommand(["postgres", "-c", "shared_preload_libraries=pg_cron", "-c", "cron.database_name=postgres", "-c", "fsync=off", "-c", "max_connections=200"])
    .withExposedPorts(5432)
    .withWaitStrategy(Wait.forLogMessage(/database system is ready to accept connections/, 2))
    .start();
  const url = `postgresql://postgres:pgtide@${container.getHost()}:${container.getMappedPort(5432)}/postgres`;
  return { url, stop: async () => void (await container.stop()) };
}
