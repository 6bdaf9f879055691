/**
 * Sharding: split a run's items (pgTAP files, RLS properties, mutants) over
 * `n` machines with `--shard i/n`, and merge the shards' JSON reports into
 * the report of the unsharded run (`schemaproof merge-reports`).
 */
export { parseShard, isShardSpec, assignShards, selectShard, compareNames, type ShardSpec } from './select.ts';
export { planShard, hashFiles, shardFingerprint, emptyShardMessage, shardKinds, shardInfoVersion, type ShardInfo, type ShardKind, type ShardInputs } from './envelope.ts';
export { mergeShardReports, mergedPassed, readShardReport, type MergedReport, type ShardReportFile } from './merge.ts';
export { pgtapShardInputs, rlsShardInputs, mutationShardInputs } from './inputs.ts';
export { emptyPgtapResult, emptyRlsResult, emptyMutationResult } from './empty.ts';
