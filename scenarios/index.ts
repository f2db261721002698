/** The scenario language: load and validate scenario files into ScenarioConfigs. */
export { ScenarioError, type SourceLocation } from "./errors.ts";
export { EXPECTATION_METRICS } from "./expectations.ts";
export {
  BASE_VARIANT_NAME,
  type BundledScenario,
  type LoadedScenario,
  type LoadedVariant,
  listBundledScenarios,
  loadScenario,
  loadScenarioText,
  resolveScenarioPath,
} from "./loader.ts";
export {
  parseBytes,
  parseDurationS,
  parseProbability,
  parseRatePerS,
  UnitError,
} from "./units.ts";
