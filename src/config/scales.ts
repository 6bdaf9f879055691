/** Data scales (kept apart from the config schema so the CLI can list them without loading zod). */
export const scales = ['small', 'medium', 'large'] as const;
export type Scale = (typeof scales)[number];
