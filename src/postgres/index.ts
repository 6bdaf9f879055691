export { findPgBinaries, candidateBinDirs, type PgBinaries } from './binaries.ts';
export { startLocalCluster, reapStaleClusters, defaultBaseDir, runDirPrefix, type LocalCluster, type LocalClusterOptions } from './local-cluster.ts';
export { provisionPostgres, urlServer, attachServer, dockerServer, dockerAvailable, localServer, type ProvisionOptions } from './provision.ts';
export { connectTarget, clientEnvFor, serverVersion, type PostgresServer, type ConnectionTarget } from './server.ts';
export {
  createDatabase,
  dropDatabase,
  createTemplate,
  templateHandle,
  withClone,
  type OwnedDatabase,
  type Template,
  type CloneStrategy,
} from './databases.ts';
export { installSupabaseShim, shimFile, platformRoles, platformRoleNames, developerSearchPath, ensurePlatformRoles, type ShimResult, type ShimOptions, type ShimRoles, type RoleSpec } from './shim.ts';
export { platformExtensions, extensionHint } from './platform-extensions.ts';
export { asActor, becomeActor, actorSession, describeActor, type Actor, type ActorSession, type JwtClaims, type AsActorOptions } from './actor.ts';
