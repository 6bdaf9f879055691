export { findPgBinaries, candidateBinDirs, type PgBinaries } from './binaries.ts';
export { startLocalCluster, reapStaleClusters, defaultBaseDir, runDirPrefix, checkSocketPath, maxSocketPathBytes, type LocalCluster, type LocalClusterOptions } from './local-cluster.ts';
export { privateCacheRoot, cacheRootPath, privateTreeProblem, type CacheRootOptions } from './cache-dir.ts';
export { cachedEntryProblem } from './initdb-cache.ts';
export { installationProblem, installationDirName, type Installation } from './installation.ts';
export { diskFullCause } from './disk-full.ts';
export { registerCleanup, interruptedBy, onInterrupt, signalExitStatus, handledSignals, type Cleanup, type HandledSignal } from './exit-cleanup.ts';
export { checkServerPrivileges, missingPrivileges, supabaseActorRoles, type ServerRequirements, type MissingPrivilege } from './privileges.ts';
export { currentRunTag, parseRunDatabaseName, isDeadRunDatabase, dropDeadRunDatabases } from './run-databases.ts';
export { provisionPostgres, urlServer, attachServer, dockerServer, dockerAvailable, localServer, type ProvisionOptions } from './provision.ts';
export { connectTarget, clientEnvFor, serverVersion, type PostgresServer, type ConnectionTarget } from './server.ts';
export { createDatabase, dropDatabase, dropEndingSessions, createTemplate, templateHandle, withClone, type OwnedDatabase, type Template, type CloneStrategy } from './databases.ts';
export {
  installSupabaseShim,
  shimFile,
  platformRoles,
  platformRoleNames,
  platformSchemas,
  shimOwnerRoles,
  developerSearchPath,
  ensurePlatformRoles,
  type ShimResult,
  type ShimOptions,
  type ShimRoles,
  type RoleSpec,
} from './shim.ts';
export { platformExtensions, extensionHint } from './platform-extensions.ts';
export { runScript } from './script.ts';
export { asActor, becomeActor, actorSession, describeActor, type Actor, type ActorSession, type JwtClaims, type AsActorOptions } from './actor.ts';
