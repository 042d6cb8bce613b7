/** Canonical names for the GPU vendors policies match on, tested against lower-cased vendor strings in order. */
const KNOWN_VENDORS: [RegExp, string][] = [
  [/nvidia/, 'NVIDIA'],
  [/advanced micro devices|\bamd\b|\bati\b/, 'AMD'],
  [/intel/, 'Intel'],
  [/apple/, 'Apple'],
];

/**
 * Display adapters that cannot run compute: server BMCs and the emulated
 * displays of virtual machines. They are left out of the GPU list so that a
 * rule with `gpu: true` does not match a headless server or a cloud VM.
 */
const DISPLAY_ONLY_VENDORS =
  /aspeed|matrox|cirrus logic|vmware|red hat|qemu|bochs|microsoft|innotek|virtualbox|silicon motion/;

/** "NVIDIA Corporation", "Advanced Micro Devices, Inc. [AMD/ATI]", "Intel Corporation" -> NVIDIA, AMD, Intel. */
export function normaliseGpuVendor(vendor: string, model = ''): string {
  const text = vendor.toLowerCase();
  for (const [pattern, name] of KNOWN_VENDORS) if (pattern.test(text)) return name;
  // lspci sometimes leaves the vendor empty and names it in the model string.
  const fromModel = model.toLowerCase();
  for (const [pattern, name] of KNOWN_VENDORS) if (pattern.test(fromModel)) return name;
  return vendor.trim();
}

export function isDisplayOnly(vendor: string): boolean {
  return DISPLAY_ONLY_VENDORS.test(vendor.toLowerCase());
}

/**
 * lspci names a card "AD102 [GeForce RTX 4090]" (the bracketed part is the
 * product) and AMD ones "[AMD/ATI] Raphael" (the bracket is a vendor tag).
 */
export function productName(model: string): string {
  const text = model.trim();
  const bracketed = /\[([^\]]+)\]$/.exec(text);
  if (bracketed && bracketed.index > 0) return bracketed[1].trim();
  return text.replace(/^\[[^\]]*\]\s*/, '') || text;
}
