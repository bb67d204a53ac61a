import { readFile } from 'node:fs/promises';
import { parseAllDocuments } from 'yaml';
import type { LegacyConfig, MetalLBObject } from '@herald/core';
import { CliError } from '../cliError.js';
import { serviceFacts, type MetalLBSource } from './metallbSource.js';

interface Doc { apiVersion?: string; kind?: string; metadata?: { name?: string; namespace?: string }; items?: Doc[]; data?: Record<string, string> }

function parseLegacy(text: string, where: string): LegacyConfig {
  const docs = parseAllDocuments(text);
  const first = docs[0];
  if (!first || first.errors.length) throw new CliError(`${where}: the config key is not YAML: ${first?.errors[0]?.message ?? 'empty'}`);
  const value = first.toJS() as unknown;
  if (value === null || typeof value !== 'object') throw new CliError(`${where}: the config key does not hold a mapping`);
  return value as LegacyConfig;
}

/**
 * MetalLB configuration from YAML/JSON files (`-f`, `-` for stdin), as `kubectl get -o yaml` or a manifest
 * writes it: many documents, `kind: List`. A ConfigMap named `config` is MetalLB's legacy configuration;
 * Services are read for the annotation and address report; anything else goes to the translation, which
 * reports what it does not know.
 */
export async function readMetallbFiles(paths: readonly string[], readStdin: () => Promise<string>): Promise<MetalLBSource> {
  const objects: MetalLBObject[] = [];
  const services: unknown[] = [];
  let legacy: MetalLBSource['legacy'];
  for (const path of paths) {
    let text: string;
    try {
      text = path === '-' ? await readStdin() : await readFile(path, 'utf8');
    } catch (e) {
      throw new CliError(`cannot read ${path}: ${(e as Error).message}`);
    }
    const docs = parseAllDocuments(text);
    for (const [i, d] of docs.entries()) {
      if (d.errors.length) throw new CliError(`${path}: document ${i + 1} is not valid YAML: ${d.errors[0]!.message}`);
      const flat = (x: Doc | null): Doc[] => (!x ? [] : x.kind === 'List' || (x.kind?.endsWith('List') && Array.isArray(x.items)) ? (x.items ?? []).flatMap(flat) : [x]);
      for (const o of flat(d.toJS() as Doc | null)) {
        if (!o.kind || !o.metadata?.name) throw new CliError(`${path}: document ${i + 1} has no kind or metadata.name`);
        if (o.kind === 'Service' && o.apiVersion === 'v1') services.push(o);
        else if (o.kind === 'ConfigMap' && o.metadata.name === 'config') {
          const source = `${o.metadata.namespace ?? 'metallb-system'}/config`;
          if (o.data?.config === undefined) throw new CliError(`${path}: ConfigMap ${source} has no data.config`);
          legacy = { config: parseLegacy(o.data.config, `${path}: ConfigMap ${source}`), source };
        } else objects.push(o as MetalLBObject);
      }
    }
  }
  return { description: `files ${paths.join(', ')}`, objects, ...(legacy ? { legacy } : {}), services: serviceFacts(services as never[]) };
}
