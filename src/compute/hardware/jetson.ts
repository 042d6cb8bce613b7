/** Board names in /proc/device-tree/model, most specific first ("Orin Nano" before "Nano"). */
const BOARDS: { pattern: RegExp; model: string; gpu: string }[] = [
  { pattern: /agx orin/i, model: 'Jetson AGX Orin', gpu: 'Ampere (ga10b)' },
  { pattern: /orin nano/i, model: 'Jetson Orin Nano', gpu: 'Ampere (ga10b)' },
  { pattern: /orin nx/i, model: 'Jetson Orin NX', gpu: 'Ampere (ga10b)' },
  { pattern: /orin/i, model: 'Jetson Orin', gpu: 'Ampere (ga10b)' },
  { pattern: /xavier nx/i, model: 'Jetson Xavier NX', gpu: 'Volta (gv11b)' },
  { pattern: /xavier/i, model: 'Jetson AGX Xavier', gpu: 'Volta (gv11b)' },
  { pattern: /tx2/i, model: 'Jetson TX2', gpu: 'Pascal (gp10b)' },
  { pattern: /tx1/i, model: 'Jetson TX1', gpu: 'Maxwell (gm20b)' },
  { pattern: /nano/i, model: 'Jetson Nano', gpu: 'Maxwell (gm20b)' },
];

export interface JetsonBoard {
  model: string;
  /** The integrated GPU: systeminformation lists none on Jetsons (it is not a PCI device). */
  gpu: string;
  l4t?: string;
}

/** Device-tree strings end in a NUL byte. */
export function cleanDeviceTreeString(value: string): string {
  return value.replace(/\0/g, '').trim();
}

/** "# R36 (release), REVISION: 3.0, GCID: ..." -> "36.3.0". */
export function parseL4tRelease(text: string): string | undefined {
  const match = /#\s*R(\d+)\s*\(release\),\s*REVISION:\s*([\d.]+)/.exec(text);
  return match ? `${match[1]}.${match[2]}` : undefined;
}

/**
 * A Jetson is recognised by its device-tree model or, on custom carrier boards
 * whose model string names no Jetson, by the presence of nv_tegra_release.
 */
export function detectJetson(
  deviceTreeModel: string | undefined,
  tegraRelease: string | undefined,
): JetsonBoard | undefined {
  const model = deviceTreeModel === undefined ? '' : cleanDeviceTreeString(deviceTreeModel);
  const named = /jetson/i.test(model);
  if (!named && tegraRelease === undefined) return undefined;
  const l4t = tegraRelease === undefined ? undefined : parseL4tRelease(tegraRelease);
  const board = named ? BOARDS.find((b) => b.pattern.test(model)) : undefined;
  const base = board ?? { model: model.replace(/^NVIDIA\s+/i, '') || 'Jetson', gpu: 'Tegra integrated GPU' };
  return { model: base.model, gpu: base.gpu, ...(l4t ? { l4t } : {}) };
}
