import type { Selectable } from 'kysely';

/** The plans as seed 002 names them, cheapest first. */
export const PLAN_KEYS = ['free', 'pro', 'business', 'advanced', 'business plus', 'business extra', 'business max', 'enterprise'] as const;
export type PlanKey = (typeof PLAN_KEYS)[number];

/**
 * What a plan limits, each kept by a counter of `workspace_plans`: `users` (members),
 * `locations`, `items`, `suppliers`, `tags`, and `usage` (documents issued per billing cycle).
 */
export const PLAN_LIMITS = ['users', 'locations', 'items', 'suppliers', 'tags', 'usage'] as const;
export type PlanLimit = (typeof PLAN_LIMITS)[number];

/** Operator data (migration 0011); `npm run tessera -- plan …` changes it. */
export interface PlansTable {
  key: PlanKey;
  position: number;
  users_limit: number;
  locations_limit: number;
  items_limit: number;
  suppliers_limit: number;
  tags_limit: number;
  usage_limit: number;
  /** 1 on the plan new workspaces start on (one at most: a partial unique index). */
  is_default: number;
}

/** A workspace's plan and its counters, changed only in the transaction that adds or removes what they count. */
export interface WorkspacePlansTable {
  workspace_id: number;
  plan_key: PlanKey;
  trial_ends_at: string | null;
  /** The day of the month (1–31) the billing cycle restarts. */
  billing_cycle_start: number;
  users_usage: number;
  locations_usage: number;
  items_usage: number;
  suppliers_usage: number;
  tags_usage: number;
  usage: number;
}

export type PlanRow = Selectable<PlansTable>;
/** What the operator may change of a workspace's plan row. */
export type WorkspacePlanChanges = Partial<Pick<WorkspacePlansTable, 'plan_key' | 'trial_ends_at' | 'billing_cycle_start'>>;
export type WorkspacePlanRow = Selectable<WorkspacePlansTable>;

/** The counter column of each limit. */
export const USAGE_COLUMN = {
  users: 'users_usage',
  locations: 'locations_usage',
  items: 'items_usage',
  suppliers: 'suppliers_usage',
  tags: 'tags_usage',
  usage: 'usage',
} as const satisfies Record<PlanLimit, keyof WorkspacePlansTable>;

export const LIMIT_COLUMN = {
  users: 'users_limit',
  locations: 'locations_limit',
  items: 'items_limit',
  suppliers: 'suppliers_limit',
  tags: 'tags_limit',
  usage: 'usage_limit',
} as const satisfies Record<PlanLimit, keyof PlansTable>;
