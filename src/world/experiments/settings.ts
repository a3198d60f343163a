/**
 * The settings of the committed world experiments (`gluegen world eval`, docs/world-eval) and of the
 * CI-sized `--quick` run, and the recipe the shipped world GlueNets are trained with (`gluegen world
 * glue`): the same pairs, steps and seed as the experiment's main GlueNets, so the shipped ones are
 * those the experiments measured.
 */
import type { ExperimentOptions } from './run.js';

export type ExperimentSettings = Omit<ExperimentOptions, 'outDir' | 'seed' | 'real' | 'log' | 'progress' | 'sampling'> & { samplingSteps: number };

export const FULL_SETTINGS: ExperimentSettings = {
  pairs: 20000,
  soundPairs: 4000,
  multilingualRecipe: { steps: 800, denoise: { weight: 1, rows: 16 } },
  soundRecipe: { steps: 600, denoise: { weight: 1, rows: 16 } },
  promptsPerLanguage: 100,
  valPromptsPerLanguage: 20,
  sounds: 300,
  valSounds: 100,
  dataEfficiency: [100, 1000, 10000],
  translatorSteps: 1000,
  ridges: [1e-2, 1e-1, 1, 10, 100],
  ablations: true,
  samplingSteps: 25,
};

export const QUICK_SETTINGS: ExperimentSettings = {
  pairs: 600,
  soundPairs: 200,
  multilingualRecipe: { steps: 60, denoise: { weight: 1, rows: 8 } },
  soundRecipe: { steps: 40, denoise: { weight: 1, rows: 8 } },
  promptsPerLanguage: 5,
  valPromptsPerLanguage: 3,
  sounds: 20,
  valSounds: 10,
  dataEfficiency: [100],
  translatorSteps: 60,
  ridges: [0.1, 10],
  ablations: false,
  samplingSteps: 10,
};
