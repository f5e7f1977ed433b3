/** `rackbgp show rib summary`, and the outcome of actions and reloads, as text. Pure. */

import type { ReloadReport } from '../../api/daemon.js';
import type { ActionResult, RibSummary } from '../../api/service.js';
import { table } from './text.js';

const mib = (bytes: number) => `${(bytes / 1048576).toFixed(1)} MiB`;

export function formatRibSummary(r: RibSummary): string {
  const rows = r.families.map((f) => [
    f.family,
    String(f.prefixes),
    String(f.paths),
    String(f.best),
    String(f.multipath),
  ]);
  return [
    table(['Family', 'Prefixes', 'Paths', 'Best', 'Multipath'], rows, [
      'left',
      'right',
      'right',
      'right',
      'right',
    ]),
    '',
    `Attribute sets: ${r.attributeSets} in the RIB, ${r.exportedAttributeSets} sent (interned, shared by all their paths)`,
    `Update groups: ${r.updateGroups.length}${r.updateGroups.length ? ` (peers in each: ${r.updateGroups.join(', ')})` : ''}, ${r.sharedUpdates} UPDATEs shared`,
    `Memory: ${mib(r.memory.rss)} resident, ${mib(r.memory.heapUsed)} JavaScript heap in use`,
    '',
  ].join('\n');
}

export function formatAction(r: ActionResult): string {
  return `${r.message}\n`;
}

export function formatReload(r: ReloadReport): string {
  if (!r.ok)
    return `reload rejected; the running configuration stays:\n${r.errors.map((e) => `  ${e}`).join('\n')}\n`;
  const lines = ['configuration reloaded'];
  if (
    !r.actions.length &&
    !r.networks.added.length &&
    !r.networks.removed.length &&
    !r.networks.changed.length
  )
    lines.push('  no change');
  for (const a of r.actions) lines.push(`  ${a.neighbor}: ${a.action} (${a.reason})`);
  const nets = [
    ...r.networks.added.map((p) => `+${p}`),
    ...r.networks.removed.map((p) => `-${p}`),
    ...r.networks.changed.map((p) => `~${p}`),
  ];
  if (nets.length) lines.push(`  networks: ${nets.join(' ')}`);
  if (r.restartRequired.length) lines.push(`  after a restart only: ${r.restartRequired.join(', ')}`);
  return `${lines.join('\n')}\n`;
}
