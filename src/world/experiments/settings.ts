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

/** The rest of the paper on the world (`gluegen world eval --experiment NAME`): committed and CI-sized settings. */
export interface PaperSettings {
  biggerEnglish: { pairs: number; steps: number; prompts: number; valPrompts: number; ridges: number[] };
  finetune: {
    imagePairs: number[];
    multilingualImagePairs: number;
    steps: number;
    rows: number;
    lr: number;
    checks: number;
  };
  pointcloud: { pairs: number; steps: number; clouds: number; ridges: number[] };
  samplingSteps: number;
}

export const PAPER_FULL: PaperSettings = {
  biggerEnglish: { pairs: 10000, steps: 800, prompts: 600, valPrompts: 100, ridges: [1e-4, 1e-2, 1, 10, 100] },
  finetune: { imagePairs: [1000, 10000], multilingualImagePairs: 10000, steps: 300, rows: 32, lr: 3e-4, checks: 5 },
  pointcloud: { pairs: 4000, steps: 600, clouds: 600, ridges: [1e-5, 1e-4, 1e-3, 1e-2, 1e-1, 1, 10, 100] },
  samplingSteps: 25,
};

export const PAPER_QUICK: PaperSettings = {
  biggerEnglish: { pairs: 400, steps: 40, prompts: 24, valPrompts: 12, ridges: [0.1, 10] },
  finetune: { imagePairs: [40, 120], multilingualImagePairs: 60, steps: 12, rows: 8, lr: 1e-4, checks: 2 },
  pointcloud: { pairs: 200, steps: 40, clouds: 24, ridges: [0.1, 10] },
  samplingSteps: 10,
};

/** The prompt sets the finetuning experiment scores on: those of the experiments its GlueNets come from. */
export const FINETUNE_PROMPT_SETS = (s: PaperSettings, quick: boolean) => ({
  english: { pairs: s.biggerEnglish.pairs, valPrompts: s.biggerEnglish.valPrompts, prompts: s.biggerEnglish.prompts },
  multilingual: quick
    ? { pairs: QUICK_SETTINGS.pairs, valPerLanguage: QUICK_SETTINGS.valPromptsPerLanguage, perLanguage: QUICK_SETTINGS.promptsPerLanguage }
    : { pairs: FULL_SETTINGS.pairs, valPerLanguage: FULL_SETTINGS.valPromptsPerLanguage, perLanguage: FULL_SETTINGS.promptsPerLanguage },
});
