/**
 * F1 of a job's linkage against the generator's truth, from the job's clusters.arrow (read from
 * the data dir batch by batch, as a benchmark may) and each delivery's row numbers.
 *
 * Pairwise, over clusters: a predicted pair is two records with the same person_id, a true pair
 * two records of the same generated person. With one Float64 key per record,
 * `person_id * people + true person` (exact below 2^53), one sort gives both: runs of equal keys
 * are the true positives, runs of equal `floor(key / people)` the predicted clusters; the true
 * pairs come from a count per person. Memory: 8 bytes per record and 2 per person.
 */
import { open } from 'node:fs/promises';
import { RecordBatchReader, type Data, type Dictionary, type Float64, type Uint32, type Utf8, type Vector } from 'apache-arrow';

export interface LinkQuality {
  readonly records: number;
  readonly truePairs: number;
  readonly predictedPairs: number;
  readonly truePositives: number;
  readonly precision: number;
  readonly recall: number;
  readonly f1: number;
}

/** One delivery: its id, and the generated person of each data row (row r of the CSV at index r - firstRow). */
export interface DeliveryTruth {
  readonly id: string;
  readonly truth: Int32Array;
}

const pairs = (k: number): number => (k * (k - 1)) / 2;

/** Pairwise precision, recall and F1 of `keys` (sorted in place) for a population of `people`. */
export function pairwiseQuality(keys: Float64Array, people: number, truthCounts: Uint16Array): LinkQuality {
  keys.sort();
  let truePositives = 0; let predictedPairs = 0;
  let runKey = 0; let runCluster = 0; let sameKey = 0; let sameCluster = 0;
  for (let i = 0; i < keys.length; i++) {
    const k = keys[i];
    const cluster = Math.floor(k / people);
    if (i > 0 && k === runKey) sameKey++;
    else { truePositives += pairs(sameKey); sameKey = 1; runKey = k; }
    if (i > 0 && cluster === runCluster) sameCluster++;
    else { predictedPairs += pairs(sameCluster); sameCluster = 1; runCluster = cluster; }
  }
  truePositives += pairs(sameKey);
  predictedPairs += pairs(sameCluster);
  let truePairs = 0;
  for (let p = 0; p < truthCounts.length; p++) truePairs += pairs(truthCounts[p]);
  const precision = predictedPairs === 0 ? 1 : truePositives / predictedPairs;
  const recall = truePairs === 0 ? 1 : truePositives / truePairs;
  const f1 = precision + recall === 0 ? 0 : (2 * precision * recall) / (precision + recall);
  return { records: keys.length, truePairs, predictedPairs, truePositives, precision, recall, f1 };
}

/**
 * Reads `clustersFile` and scores it. `firstRow` is the row number the job gives the first data
 * row of a delivery. Every record of every delivery must be in the file exactly once.
 */
export async function clustersQuality(clustersFile: string, deliveries: readonly DeliveryTruth[], people: number, firstRow: number): Promise<LinkQuality> {
  const total = deliveries.reduce((s, d) => s + d.truth.length, 0);
  const keys = new Float64Array(total);
  const truthCounts = new Uint16Array(people);
  const seen = deliveries.map((d) => new Uint8Array(d.truth.length));
  let at = 0;
  const handle = await open(clustersFile, 'r');
  try {
    const reader = await RecordBatchReader.from(handle);
    for await (const batch of reader) {
      const delivery = batch.getChild('delivery') as Vector<Dictionary<Utf8>>;
      const row = batch.getChild('row') as Vector<Uint32>;
      const person = batch.getChild('person_id') as Vector<Float64>;
      // One batch is one chunk of each column: read the buffers, never `get(i)` per row.
      const dd = delivery.data[0] as Data<Dictionary<Utf8>>;
      const labels = dd.dictionary!.toArray() as unknown as string[];
      const which = labels.map((id) => deliveries.findIndex((d) => d.id === id));
      const indices = dd.values as Int32Array;
      const rows = row.data[0].values; const ids = person.data[0].values;
      for (let i = 0; i < batch.numRows; i++) {
        const s = which[indices[i]];
        const r = rows[i] - firstRow;
        if (s < 0 || r < 0 || r >= seen[s].length || seen[s][r] !== 0) throw new Error(`clusters.arrow: record ${at} is not a row of the job's deliveries, or is listed twice`);
        seen[s][r] = 1;
        const truth = deliveries[s].truth[r];
        truthCounts[truth]++;
        keys[at++] = ids[i] * people + truth;
      }
    }
  } finally {
    await handle.close();
  }
  if (at !== total) throw new Error(`clusters.arrow lists ${at} records, the deliveries hold ${total}`);
  return pairwiseQuality(keys, people, truthCounts);
}
