import { Strategy } from '../../../proto/gen/prism/admin/v1/partition.js';
import { PrismError } from '../errors.js';
import { describe } from '../names.js';

/** The names operators type (`--strategy`, config files). */
export const STRATEGY_NAMES = ['consistent_hash', 'key_range', 'explicit'] as const;
export type StrategyName = (typeof STRATEGY_NAMES)[number];

const TO_ENUM: Record<StrategyName, Strategy> = {
  consistent_hash: Strategy.STRATEGY_CONSISTENT_HASH,
  key_range: Strategy.STRATEGY_KEY_RANGE,
  explicit: Strategy.STRATEGY_EXPLICIT,
};

export function parseStrategy(name: unknown): StrategyName {
  if (typeof name === 'string' && (STRATEGY_NAMES as readonly string[]).includes(name)) return name as StrategyName;
  throw new PrismError('PRISM-PLAN-002', `strategy ${describe(name)} is not one of ${STRATEGY_NAMES.join(', ')}`);
}

export function strategyToEnum(name: StrategyName): Strategy {
  return TO_ENUM[name];
}

export function strategyFromEnum(value: Strategy): StrategyName {
  switch (value) {
    case Strategy.STRATEGY_KEY_RANGE:
      return 'key_range';
    case Strategy.STRATEGY_EXPLICIT:
      return 'explicit';
    default:
      return 'consistent_hash';
  }
}
