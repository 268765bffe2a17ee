/**
 * Which model a request is served as, and at what priority: an InferenceModelRewrite rule, else the
 * x-llm-d-model-name-rewrite header (alias x-gateway-model-name-rewrite), else the InferenceModel's weighted targets;
 * then the InferenceObjective named by x-llm-d-inference-objective (alias x-gateway-inference-objective), or the
 * InferenceModel's criticality, decides whether it is sheddable.
 */
import type { LLMRequest } from '../framework/request.ts';
import type { ModelSpec, ObjectiveSpec, RewriteRule } from '../datastore/resources.ts';
import { EppError } from './errors.ts';
import { aliasedHeader, HEADER_MODEL_REWRITE, HEADER_MODEL_REWRITE_OLD, HEADER_OBJECTIVE, HEADER_OBJECTIVE_OLD } from './headers.ts';
import { weightedChoice } from './weighted-choice.ts';

/** What model resolution reads from the datastore. */
export interface ModelStore {
  model(modelName: string): ModelSpec | undefined;
  models(): readonly unknown[];
  objective(name: string): ObjectiveSpec | undefined;
  rewriteRule(modelName: string): RewriteRule | undefined;
  rewriteName(rule: RewriteRule): string;
}

export interface Resolution {
  /** The InferenceModel that names req.model, if any. */
  model: ModelSpec | undefined;
  /** The InferenceModelRewrite whose rule chose the target ('' when none did): a rewrite decision. */
  rewrite: string;
}

/**
 * Fills req.targetModel, req.objective, req.priority and req.sheddable from req.model and the headers.
 * Throws MODEL_NOT_FOUND when `strictModels` and nothing names the model.
 *
 * Precedence as llm-d Router's director (handlers/request.go sets the target from the header, then
 * applyWeightedModelRewrite replaces it when a rule matches): an InferenceModelRewrite rule, then the
 * rewrite header, then the InferenceModel's targetModels (GIE v1alpha2, which had no rewrite rules).
 */
export function resolveModel(req: LLMRequest, ds: ModelStore, strictModels: boolean, random: () => number): Resolution {
  const model = ds.model(req.model);
  const rule = ds.rewriteRule(req.model);
  const fromRule = rule && weightedChoice(rule.targets, random);
  let target = req.model;
  let rewrite = '';
  if (fromRule) {
    target = fromRule.modelRewrite;
    rewrite = ds.rewriteName(rule);
  } else {
    const headerTarget = aliasedHeader(req.headers, HEADER_MODEL_REWRITE, HEADER_MODEL_REWRITE_OLD);
    if (headerTarget) {
      target = headerTarget;
    } else if (model && model.targetModels.length > 0) {
      target = weightedChoice(model.targetModels, random)?.name ?? req.model;
    } else if (!model && strictModels) {
      throw new EppError('MODEL_NOT_FOUND', `The model \`${req.model}\` does not exist.`, 'model');
    }
  }
  req.targetModel = target;

  const objectiveName = aliasedHeader(req.headers, HEADER_OBJECTIVE, HEADER_OBJECTIVE_OLD) ?? '';
  req.objective = objectiveName;
  const objective = objectiveName ? ds.objective(objectiveName) : undefined;
  req.priority = objective?.priority ?? 0;
  if (objective) {
    // InferenceObjective is the successor API: its priority decides (negative = sheddable).
    req.sheddable = req.priority < 0;
  } else {
    // InferenceModel criticality; an unknown model while InferenceModels are in use is sheddable (upstream v1alpha2).
    const criticality = model ? (model.criticality ?? 'Standard') : ds.models().length > 0 ? 'Sheddable' : 'Standard';
    req.sheddable = criticality === 'Sheddable';
  }
  return { model, rewrite };
}
