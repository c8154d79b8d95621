// The multi-image view's data: the core's share report (wasm
// `shareImages`, the same document as `layerscope share --json`, see
// docs/json.md) shaped for display. Pure functions, no DOM: every number
// comes from the core; this module only picks, labels and lays out.
import { num, short } from './format.js';

/**
 * How an image is named in the view: its first tag (or `untagged`), and
 * the file it came from with `#N` when that file holds several images.
 */
export function imageLabel(report, index) {
  const image = report.images[index];
  const input = report.inputs[image.input];
  const several = input && input.images.length > 1;
  return {
    tag: image.tags[0] || 'untagged',
    source: several ? `${image.name} #${image.listingIndex}` : image.name,
  };
}

/**
 * Each image's bytes as three stacked parts: the common base, layers above
 * it that other images also use, and layers of its own (no other image
 * uses them). `fraction` scales each bar against the largest image.
 */
export function bars(report) {
  const totals = report.images.map((i) => num(i.uncompressedSize));
  const largest = Math.max(1, ...totals);
  return report.images.map((image, index) => {
    const total = totals[index];
    const above = num(image.aboveBaseUncompressed);
    const own = num(image.exclusiveUncompressed);
    const parts = { base: Math.max(0, total - above), shared: Math.max(0, above - own), own };
    return { index, total, parts, fraction: total / largest };
  });
}

/**
 * The sharing matrix: one row per distinct layer (in the report's order:
 * the first image's layers base first, then each later image's new ones),
 * one cell per image (whether it uses the layer).
 */
export function matrix(report) {
  return report.layers.map((layer, index) => ({
    index,
    diffId: layer.diffId,
    short: short(layer.diffId),
    inBase: !!layer.inBase,
    size: layer.uncompressedSize == null ? null : num(layer.uncompressedSize),
    sizeSource: layer.sizeSource,
    sizeError: layer.sizeError,
    createdBy: layer.createdBy || '',
    users: layer.images.length,
    cells: report.images.map((_, i) => layer.images.includes(i)),
  }));
}

/** Inputs that were not analysed, or only in part: name and reason. */
export function problems(report) {
  const out = [];
  report.inputs.forEach((input) => {
    if (input.status === 'duplicate') {
      const first = report.inputs[input.sameAs];
      out.push({ name: input.name, kind: 'duplicate', message: `the same file as ${first ? first.name : 'an earlier input'}: counted once` });
    }
    for (const error of input.errors) {
      out.push({ name: input.name, kind: error.kind, message: error.message });
    }
  });
  return out;
}

/** The totals as display rows: label, bytes (null when not comparable). */
export function totals(report) {
  const b = report.bytes;
  return {
    sumUncompressed: num(b.sumUncompressed),
    uniqueUncompressed: num(b.uniqueUncompressed),
    savedUncompressed: num(b.savedUncompressed),
    unsizedLayers: num(b.unsizedLayers),
    sumStored: num(b.sumStored),
    uniqueStored: b.uniqueStored == null ? null : num(b.uniqueStored),
    savedStored: b.savedStored == null ? null : num(b.savedStored),
    storedComparable: !!b.storedComparable,
  };
}
