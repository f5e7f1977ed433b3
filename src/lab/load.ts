/**
 * Loads a lab file the way src/config/load.ts loads the daemon's config: YAML with line counting,
 * zod validation, one "file:line:col: key: message" line per problem, nothing half-valid returned.
 */
import { readFileSync } from 'node:fs';
import { ConfigError } from '../config/load.js';
import { type Lab, labSchema } from './schema.js';
import { parseYamlDoc } from './yaml-doc.js';

export { ConfigError as LabError };

export function parseLab(text: string, file = '<lab>'): Lab {
  return parseYamlDoc(labSchema, text, file).data;
}

export function loadLab(file: string): Lab {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new ConfigError([`${file}: ${(e as Error).message}`]);
  }
  return parseLab(text, file);
}
