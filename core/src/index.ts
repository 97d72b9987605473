export { balance } from './assign/balance.js';
export { MAX_PROXIES, MAX_WEIGHT, type PlanInput, type PlanResult, type ProxySpec, planTable } from './assign/plan.js';
export { emptyRules, normalizeRules } from './assign/rules.js';
export {
  parseStrategy,
  STRATEGY_NAMES,
  type StrategyName,
  strategyFromEnum,
  strategyToEnum,
} from './assign/strategy.js';
export type { AdminConfig } from './config/admin-schema.js';
export { type LoadOptions, loadConfig, type ProgramName } from './config/load.js';
export type { PrismctlConfig } from './config/prismctl-schema.js';
export { PROFILE_NAMES, PROFILES, type ProfileName } from './config/profiles.js';
export type { ProxyConfig } from './config/proxy-schema.js';
export { ERROR_CATALOG, type ErrorBody, type ErrorCode, isPrismError, PrismError, RETIRED_CODES } from './errors.js';
export {
  checkNamespace,
  checkProxyId,
  isValidNamespace,
  NAMESPACE_PATTERN,
  PREFIX_PATTERN,
  PROXY_ID_PATTERN,
} from './names.js';
export { PARTITION_COUNT, partitionOf } from './partition.js';
export { compileRouter, type Route, type Router } from './route.js';
export { checkTable, movedPartitions, parseTable, readTableFile, tableBalance, tableToJson } from './table.js';
