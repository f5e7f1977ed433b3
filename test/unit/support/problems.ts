/** The problems a config or lab file is refused with (file name rack.yaml / lab.yaml), for error tests. */
import { ConfigError, parseConfig } from '../../../src/config/load.js';
import { LabError, parseLab } from '../../../src/lab/load.js';

function problemsOf(
  parse: () => unknown,
  kind: new (...a: never[]) => { problems: readonly string[] },
): string[] {
  try {
    parse();
  } catch (e) {
    if (e instanceof kind) return [...e.problems];
    throw e;
  }
  throw new Error(`expected a ${kind.name}`);
}

export const configErrors = (text: string): string[] =>
  problemsOf(() => parseConfig(text, 'rack.yaml'), ConfigError);
export const labErrors = (text: string): string[] => problemsOf(() => parseLab(text, 'lab.yaml'), LabError);
